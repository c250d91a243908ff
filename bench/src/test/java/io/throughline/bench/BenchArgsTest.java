package io.throughline.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchArgsTest {

    @Test
    void countsAreReadInBothSpellingsWithUnderscoresAndDefaults() {
        BenchArgs args = new BenchArgs(List.of("--messages", "100_000", "--rate=250", "--verbose"));
        assertThat(args.integer("messages", 1)).isEqualTo(100_000);
        assertThat(args.integer("rate", 1)).isEqualTo(250);
        assertThat(args.integer("seconds", 15)).isEqualTo(15);
        assertThat(args.has("verbose")).isTrue();
    }

    /** A zero count used to fail deep inside a run (a division by zero, an empty random range) after its setup. */
    @Test
    void aCountBelowOneStopsTheRunNamingTheFlag() {
        assertThatThrownBy(() -> new BenchArgs(List.of("--messages", "0")).integer("messages", 1_000_000))
                .isInstanceOf(BenchArgs.Invalid.class).hasMessage("--messages must be at least 1, not 0");
        assertThatThrownBy(() -> new BenchArgs(List.of("--rate=-5")).integer("rate", 1_000))
                .isInstanceOf(BenchArgs.Invalid.class).hasMessage("--rate must be at least 1, not -5");
        assertThatThrownBy(() -> new BenchArgs(List.of("--sessions", "ten")).integer("sessions", 10))
                .isInstanceOf(BenchArgs.Invalid.class).hasMessage("--sessions takes a whole number, not 'ten'");
    }

    @Test
    void aWarmUpMayBeZeroAndASeedAnyNumber() {
        BenchArgs args = new BenchArgs(List.of("--warmup", "0", "--seed", "-7"));
        assertThat(args.atLeast("warmup", 5, 0)).isZero();
        assertThat(args.atLeast("seed", 42, Integer.MIN_VALUE)).isEqualTo(-7);
        assertThatThrownBy(() -> new BenchArgs(List.of("--warmup", "-1")).atLeast("warmup", 5, 0))
                .isInstanceOf(BenchArgs.Invalid.class);
    }

    @Test
    void aBareWordIsRefused() {
        assertThatThrownBy(() -> new BenchArgs(List.of("messages", "10")))
                .isInstanceOf(BenchArgs.Invalid.class).hasMessage("unexpected argument 'messages'");
    }
}
