package io.throughline.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.pgclient.PgException;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Which database failures say "retry later" and which say "this statement is wrong". */
class TransientFailuresTest {

    private static PgException pg(String sqlState) {
        return new PgException("failure " + sqlState, "ERROR", sqlState, null);
    }

    @Test
    void passingStatesOfTheDatabaseAreTransient() {
        assertThat(Database.isTransient(pg("25006"))).as("read-only standby").isTrue();
        assertThat(Database.isTransient(pg("53100"))).as("disk full").isTrue();
        assertThat(Database.isTransient(pg("57014"))).as("statement timeout").isTrue();
        assertThat(Database.isTransient(pg("08006"))).as("connection failure").isTrue();
        assertThat(Database.isTransient(pg("40001"))).as("serialization").isTrue();
        assertThat(Database.isTransient(new IllegalStateException("wrapped", new IOException("reset"))))
                .as("an I/O cause").isTrue();
    }

    @Test
    void faultsOfTheDataOrTheCodeAreNot() {
        assertThat(Database.isTransient(pg("22021"))).as("invalid byte sequence").isFalse();
        assertThat(Database.isTransient(pg("23505"))).as("unique violation").isFalse();
        assertThat(Database.isTransient(new NullPointerException())).isFalse();
    }
}
