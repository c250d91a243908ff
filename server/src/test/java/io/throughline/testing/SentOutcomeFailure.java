package io.throughline.testing;

import io.throughline.store.Sql;

/**
 * Makes the database refuse, once or for a while, to record a delivery as sent (the event the outcome appends), with
 * a chosen SQLSTATE: a transient one ({@code 40001}) the dispatcher retries, or one it gives up on ({@code P0001}).
 * The reply itself has gone out by then: what a channel does about it is under test.
 */
public final class SentOutcomeFailure implements AutoCloseable {

    private final Sql sql;
    private boolean renewals;

    private SentOutcomeFailure(Sql sql) {
        this.sql = sql;
    }

    public static SentOutcomeFailure once(Sql sql, String sqlState) {
        return refusing(sql, sqlState, "nextval('fail_sent_once') = 1");
    }

    /** Refuses every sent outcome for {@code duration} from now (a database away for that long). */
    public static SentOutcomeFailure during(Sql sql, String sqlState, java.time.Duration duration) {
        return refusing(sql, sqlState, "clock_timestamp() < '" + java.time.Instant.now().plus(duration)
                + "'::timestamptz AND nextval('fail_sent_once') > 0");
    }

    /**
     * The database away from the sending node for {@code duration} from now: its sent outcome refused, and the
     * renewals of its lease too, so the lease runs out while the node still tries to record the send.
     */
    public static SentOutcomeFailure awayDuring(Sql sql, String sqlState, java.time.Duration duration) {
        SentOutcomeFailure failure = during(sql, sqlState, duration);
        sql.update("""
                CREATE FUNCTION fail_renewal() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF OLD.lease_until IS NOT NULL AND NEW.lease_until > OLD.lease_until
                       AND clock_timestamp() < '%s'::timestamptz THEN
                        RAISE EXCEPTION 'simulated failure' USING ERRCODE = '%s';
                    END IF;
                    RETURN NEW;
                END $$""".formatted(java.time.Instant.now().plus(duration), sqlState));
        sql.update("CREATE TRIGGER fail_renewal BEFORE UPDATE ON deliveries FOR EACH ROW"
                + " EXECUTE FUNCTION fail_renewal()");
        failure.renewals = true;
        return failure;
    }

    private static SentOutcomeFailure refusing(Sql sql, String sqlState, String condition) {
        if (!sqlState.matches("[0-9A-Z]{5}")) {
            throw new IllegalArgumentException("not a SQLSTATE: " + sqlState);
        }
        sql.update("CREATE SEQUENCE fail_sent_once");
        sql.update("""
                CREATE FUNCTION fail_sent_once() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.type = 'delivery.updated' AND NEW.data #>> '{delivery,status}' = 'sent'
                       AND %s THEN
                        RAISE EXCEPTION 'simulated failure' USING ERRCODE = '%s';
                    END IF;
                    RETURN NEW;
                END $$""".formatted(condition, sqlState));
        sql.update("CREATE TRIGGER fail_sent_once BEFORE INSERT ON events FOR EACH ROW"
                + " EXECUTE FUNCTION fail_sent_once()");
        return new SentOutcomeFailure(sql);
    }

    /** Whether the refusal happened (a sent outcome was written, and refused). */
    public boolean happened() {
        return sql.single("SELECT last_value FROM fail_sent_once").getLong("last_value") >= 1;
    }

    @Override
    public void close() {
        sql.update("DROP TRIGGER fail_sent_once ON events");
        if (renewals) {
            sql.update("DROP TRIGGER fail_renewal ON deliveries");
        }
    }
}
