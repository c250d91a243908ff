package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.throughline.connector.DeliveryFailure;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SendQueueTest {

    @Test
    void closingHandsTheSendsStillInLineBackToBeRetried() throws Exception {
        SendQueue queue = new SendQueue("smtp-test", 1, 4, Throwable::toString);
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<Throwable> slow = failureOf(queue, () -> {
            running.countDown();
            new CountDownLatch(1).await(); // a mail server that never answers
            return "sent";
        });
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Throwable> waiting = failureOf(queue, () -> "sent");
        awaitInLine(queue);

        queue.close(Duration.ofMillis(100));

        // Neither caller hangs: the one in line is cancelled, the running one interrupted; both retry later. Only
        // the one that ran counts an attempt: ten saves of the settings failed a reply that never left.
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(DeliveryFailure.class, f -> {
            assertThat(f.permanent()).isFalse();
            assertThat(f.attempted()).isFalse();
        });
        assertThat(slow.get(5, TimeUnit.SECONDS)).isInstanceOfSatisfying(DeliveryFailure.class, f -> {
            assertThat(f.permanent()).isFalse();
            assertThat(f.attempted()).isTrue();
        });
        DeliveryFailure afterClose = catchThrowableOfType(DeliveryFailure.class, () -> queue.run(() -> "late"));
        assertThat(afterClose).isNotNull();
        assertThat(afterClose.attempted()).as("never ran").isFalse();
    }

    @Test
    void aFullLineHandsTheSendBackAtOnce() throws Exception {
        SendQueue queue = new SendQueue("smtp-test", 1, 1, Throwable::toString);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        CompletableFuture<Throwable> first = failureOf(queue, () -> {
            running.countDown();
            release.await();
            return "sent";
        });
        assertThat(running.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Throwable> second = failureOf(queue, () -> "sent");
        // The line holds one: once the second send is in it, a third is handed back at once.
        awaitInLine(queue);
        DeliveryFailure busy = catchThrowableOfType(DeliveryFailure.class, () -> queue.run(() -> "third"));
        assertThat(busy).isNotNull();
        assertThat(busy.retryAfter()).isEqualTo(SendQueue.BUSY_RETRY);
        assertThat(busy.attempted()).as("untried: the outbox does not count it").isFalse();
        assertThat(busy.getMessage()).contains("the mail server is slow");

        release.countDown();
        assertThat(first.get(5, TimeUnit.SECONDS)).isNull();
        assertThat(second.get(5, TimeUnit.SECONDS)).isNull();
        queue.close(Duration.ofSeconds(1));
    }

    /** Waits until a send is in line behind the running one. */
    private static void awaitInLine(SendQueue queue) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (queue.waiting() == 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(queue.waiting()).as("a send is in line").isEqualTo(1);
    }

    /** Runs a send on its own thread; completes with its failure, or null once it was sent. */
    private static CompletableFuture<Throwable> failureOf(SendQueue queue, Callable<String> send) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                queue.run(send);
                return null;
            } catch (DeliveryFailure e) {
                return e;
            }
        }, Thread::startVirtualThread);
    }
}
