package io.throughline.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.throughline.failure.Unavailable;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PasswordsTest {

    @Test
    void aHashMatchesItsPasswordOnly() {
        String hash = Passwords.hash("correct horse");
        assertThat(hash).startsWith("$argon2id$");
        assertThat(Passwords.matches("correct horse", hash)).isTrue();
        assertThat(Passwords.matches("correct hors", hash)).isFalse();
    }

    @Test
    void theGateRunsNoMoreAtOnceThanItsPermitsAndRefusesAfterItsWait() throws Exception {
        Passwords.Gate gate = new Passwords.Gate(1, Duration.ofMillis(100));
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> holder = CompletableFuture.supplyAsync(() -> gate.run(() -> {
            inside.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return "first";
        }), Thread::startVirtualThread);
        assertThat(inside.await(10, TimeUnit.SECONDS)).isTrue();

        assertThatThrownBy(() -> gate.run(() -> "second")).isInstanceOf(Unavailable.class)
                .satisfies(e -> assertThat(((Unavailable) e).retryAfterSeconds()).isPositive());
        release.countDown();
        assertThat(holder.get(10, TimeUnit.SECONDS)).isEqualTo("first");
        assertThat(gate.run(() -> "third")).isEqualTo("third");
    }
}
