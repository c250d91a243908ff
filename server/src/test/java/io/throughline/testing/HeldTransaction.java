package io.throughline.testing;

import io.throughline.store.Database;
import io.throughline.store.Sql;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * A transaction a test holds open after its work, until {@link #commit()}: what a request meets when another
 * one (another agent's, another node's) has written and not committed yet. {@link #someoneWaits} tells when the
 * request under test has reached the locks it holds.
 *
 * @param <T> what the work returns
 */
public final class HeldTransaction<T> {

    private final CountDownLatch done = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final CompletableFuture<T> result;

    private HeldTransaction(Database database, Function<Sql, T> work) {
        result = CompletableFuture.supplyAsync(() -> database.tx(tx -> {
            T value = work.apply(tx);
            done.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return value;
        }), Thread::startVirtualThread);
    }

    /** Runs the work in a transaction and returns once it is done, the transaction still open. */
    public static <T> HeldTransaction<T> start(Database database, Function<Sql, T> work) {
        HeldTransaction<T> held = new HeldTransaction<>(database, work);
        try {
            if (!held.done.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the held transaction's work did not finish: " + held.result);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return held;
    }

    /** Commits, and returns what the work returned. */
    public T commit() {
        release.countDown();
        try {
            return result.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the held transaction failed", e);
        }
    }

    /** Whether a statement of this database waits for a row or transaction lock (a held one, in a test). */
    public static boolean someoneWaits(Database database) {
        return waiting(database) > 0;
    }

    /** Whether a statement of this database starting with {@code statement} waits for a row or transaction lock. */
    public static boolean waits(Database database, String statement) {
        return database.sql().single("""
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1 || '%'""",
                statement).getLong("n") > 0;
    }

    /** How many statements of this database wait for a row or transaction lock. */
    public static long waiting(Database database) {
        return database.sql().single("""
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'""").getLong("n");
    }
}
