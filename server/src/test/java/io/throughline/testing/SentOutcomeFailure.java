package io.throughline.testing;

import io.throughline.store.Sql;

/**
 * Makes the database refuse, once or for a while, to record a delivery as sent (the event the outcome appends), with
 * a chosen SQLSTATE: a transient one ({@code 40001}) the dispatcher retries, or one it gives up on ({@code P0001}).
 * The reply itself has gone out by then: what a channel does about it is under test.
 */
public final class SentOutcomeFailure implements AutoCloseable {

    private final Sql sql;

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
    }
}
