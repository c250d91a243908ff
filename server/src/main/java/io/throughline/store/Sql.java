package io.throughline.store;

import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Runs plain SQL with positional parameters ({@code $1}, {@code $2}) and blocks the calling virtual thread until
 * PostgreSQL answers. Either a transaction ({@link Database#tx}) or the pool ({@link Database#sql()}).
 * Never call it on an event loop: {@code Future.await()} refuses to block one.
 */
public interface Sql {

    /** Executes a statement and returns all its rows. */
    RowSet<Row> rows(String sql, Object... params);

    /** The only row, or empty; more than one row is a programming error. */
    default Optional<Row> one(String sql, Object... params) {
        RowSet<Row> rows = rows(sql, params);
        if (rows.size() > 1) {
            throw new IllegalStateException("expected at most one row, got " + rows.size());
        }
        return rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next());
    }

    /** The first row; its absence is a programming error. */
    default Row single(String sql, Object... params) {
        return one(sql, params).orElseThrow(() -> new IllegalStateException("expected one row: " + sql));
    }

    /**
     * Waits for, and holds until the transaction ends, an advisory lock named by {@code key} (hashed to a number):
     * transactions about one thing (a domain, an external id) take turns on it. Only in a transaction.
     */
    default void lockKey(String key) {
        single("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text AS locked", key);
    }

    /** Maps every row. */
    default <T> List<T> list(String sql, Function<Row, T> mapper, Object... params) {
        List<T> out = new ArrayList<>();
        for (Row row : rows(sql, params)) {
            out.add(mapper.apply(row));
        }
        return out;
    }

    /**
     * Executes a statement whose answer the caller does not need, without waiting for it: in a transaction it goes
     * out at once and the commit waits for it (its failure rolls the transaction back and is what the commit throws);
     * on the pool it runs like {@link #rows}. For the writes that end a transaction (an event appended).
     */
    void send(String sql, Object... params);

    /**
     * Runs an action once the current transaction has committed (at once on the pool, which commits each
     * statement). Used to ring the event doorbell outside the hot transaction.
     */
    void afterCommit(Runnable action);

    /** Executes a statement and returns the number of rows it changed. */
    default int update(String sql, Object... params) {
        return rows(sql, params).rowCount();
    }
}
