package io.throughline.store;

import io.throughline.VirtualThreads;
import io.throughline.connector.StorageUnavailable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL pool. Repositories get a {@link Sql} handle through {@link #tx} or {@link #sql()} and write
 * sequential code on virtual threads; the reactive client does the I/O underneath.
 */
public final class Database implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Database.class);
    private static final String UNIQUE_VIOLATION = "23505";
    private static final String SERIALIZATION_FAILURE = "40001";
    private static final String DEADLOCK = "40P01";

    private final Vertx vertx;
    private final Pool pool;
    private final PgConnectOptions connectOptions;
    private final Sql poolSql;

    public Database(Vertx vertx, PgConnectOptions connectOptions, int poolSize) {
        this.vertx = vertx;
        this.connectOptions = connectOptions;
        this.pool = PgBuilder.pool()
                // Spread the connections over the event loops: the callers are virtual threads, with no Vert.x
                // context, and a pool left to its default puts every connection on one loop, which then encodes
                // and decodes all the database traffic of the node on one core.
                .with(new PoolOptions().setMaxSize(poolSize).setMaxWaitQueueSize(10_000).setName("throughline")
                        .setEventLoopSize(VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE))
                .connectingTo(connectOptions)
                .using(vertx)
                .build();
        this.poolSql = new Handle(pool, false);
    }

    /** Statements on the pool, each in its own implicit transaction. */
    public Sql sql() {
        return poolSql;
    }

    /** The reactive pool itself, for event-loop code (the event feed) that must not block. */
    public Pool pool() {
        return pool;
    }

    /** The options of this pool, for dedicated connections (LISTEN, advisory locks). */
    public PgConnectOptions connectOptions() {
        return connectOptions;
    }

    public Vertx vertx() {
        return vertx;
    }

    /**
     * Runs work in one transaction on one connection: commit when it returns, roll back when it throws. Blocks the
     * calling virtual thread.
     *
     * <p>The transaction is pipelined: {@code BEGIN} goes out with the first statement, and the statements the work
     * only {@linkplain Sql#send sent} go out with {@code COMMIT}, so a transaction of n awaited statements costs
     * n + 1 round trips rather than n + 2 plus one per sent statement. On a two-core machine a round trip costs as
     * much database CPU as a small insert; ingest's five became three. A sent statement that failed aborts the
     * transaction, and PostgreSQL turns the {@code COMMIT} that follows into a rollback: the commit then throws that
     * statement's failure, never reports success.
     */
    public <T> T tx(Function<Sql, T> work) {
        SqlConnection connection = VirtualThreads.await(pool.getConnection());
        Handle handle = new Handle(connection, true);
        try {
            handle.send("BEGIN");
            T result;
            try {
                result = work.apply(handle);
                handle.commit();
            } catch (RuntimeException | Error e) {
                handle.rollbackQuietly(e);
                throw e;
            }
            handle.committed();
            return result;
        } finally {
            connection.close();
        }
    }

    /**
     * Runs a transaction, retrying up to {@code attempts} times when it lost a race to a unique index, a
     * serialization check or a deadlock. The work must be safe to repeat, which a rolled-back transaction is.
     */
    public <T> T txWithRetry(int attempts, Function<Sql, T> work) {
        for (int attempt = 1; ; attempt++) {
            try {
                return tx(work);
            } catch (PgException e) {
                if (attempt >= attempts || !isRace(e)) {
                    throw e;
                }
                log.debug("transaction lost a race, retrying attempt={} sqlState={}", attempt, e.getSqlState());
            }
        }
    }

    /** True when the statement violated a unique constraint. */
    public static boolean isUniqueViolation(Throwable e) {
        return e instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState());
    }

    /**
     * Whether a failure is the database's passing state rather than the statement's fault: the connection (class
     * 08), resources such as a full disk (53), an operator or a timeout (57), a read-only standby after a failover
     * (25006), a serialization or deadlock that outlived its retries (40), or the client's own connection and pool
     * errors. A retry later may well succeed; the data was not the problem.
     */
    public static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException pg) {
                String state = pg.getSqlState() == null ? "" : pg.getSqlState();
                return state.startsWith("08") || state.startsWith("53") || state.startsWith("57")
                        || state.startsWith("40") || state.equals("25006");
            }
            String type = t.getClass().getName();
            if (t instanceof IOException || type.startsWith("io.vertx.sqlclient.")
                    || type.equals("io.vertx.core.VertxException") || type.startsWith("io.netty.")
                    || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs a call for a connector (ingest, a checkpoint); a database that cannot take it now is a
     * {@link StorageUnavailable}, which connectors tell from their own remote's trouble: they keep the message at
     * its source and retry within seconds.
     */
    public static <T> T orUnavailable(Supplier<T> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            throw isTransient(e) ? unavailable(e) : e;
        }
    }

    /** What a connector gets when PostgreSQL cannot be reached: keep the message at its source and retry. */
    public static StorageUnavailable unavailable(RuntimeException cause) {
        return new StorageUnavailable("the database is unavailable: " + cause.getMessage(), cause);
    }

    /**
     * Whether a request failed on the database's moment, not on itself nor on a bug: PostgreSQL's own transient
     * answers (a broken deadlock, a cancelled statement, a server shutting down, too many connections), or the
     * client's connection or pool failing. Narrower than {@link #isTransient}, which also takes any I/O failure: a
     * full disk or a missing file is not the database's, nor passing.
     */
    public static boolean isMoment(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PgException) {
                return isTransient(t);
            }
            String type = t.getClass().getName();
            if (type.startsWith("io.vertx.sqlclient.") || type.startsWith("io.vertx.pgclient.")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isRace(PgException e) {
        String state = e.getSqlState();
        return UNIQUE_VIOLATION.equals(state) || SERIALIZATION_FAILURE.equals(state) || DEADLOCK.equals(state);
    }

    /** Binds values the client does not take as they are: Instants become timestamptz, collections text[]. */
    static Tuple bind(Object... params) {
        Tuple tuple = Tuple.tuple();
        for (Object param : params) {
            tuple.addValue(switch (param) {
                case Instant instant -> OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
                case Collection<?> strings -> strings.stream().map(String::valueOf).toArray(String[]::new);
                case null, default -> param;
            });
        }
        return tuple;
    }

    @Override
    public void close() {
        pool.close().await();
    }

    private static final class Handle implements Sql {
        private final SqlClient client;
        private final boolean transactional;
        /** Statements of this transaction sent without waiting for their answer, oldest first. */
        private final List<Future<RowSet<Row>>> sent = new ArrayList<>();
        private List<Runnable> afterCommit;

        Handle(SqlClient client, boolean transactional) {
            this.client = client;
            this.transactional = transactional;
        }

        @Override
        public RowSet<Row> rows(String sql, Object... params) {
            try {
                return VirtualThreads.await(client.preparedQuery(sql).execute(bind(params)));
            } catch (RuntimeException e) {
                // After a sent statement failed, PostgreSQL refuses every later one ("current transaction is
                // aborted"): the sent statement's failure is the one that says what went wrong.
                throw firstSentFailure(e);
            }
        }

        @Override
        public void send(String sql, Object... params) {
            if (!transactional) {
                rows(sql, params);
                return;
            }
            sent.add(params.length == 0 ? client.query(sql).execute()
                    : client.preparedQuery(sql).execute(bind(params)));
        }

        /** Sends COMMIT behind what is still in flight, then waits for all of it, oldest first. */
        void commit() {
            Future<RowSet<Row>> commit = client.query("COMMIT").execute();
            for (Future<RowSet<Row>> statement : sent) {
                VirtualThreads.await(statement);
            }
            VirtualThreads.await(commit);
        }

        void rollbackQuietly(Throwable cause) {
            try {
                VirtualThreads.await(client.query("ROLLBACK").execute());
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }

        private RuntimeException firstSentFailure(RuntimeException failure) {
            for (Future<RowSet<Row>> statement : sent) {
                if (statement.failed() && statement.cause() != failure) {
                    RuntimeException first = statement.cause() instanceof RuntimeException runtime ? runtime
                            : new IllegalStateException(statement.cause());
                    first.addSuppressed(failure);
                    return first;
                }
            }
            return failure;
        }

        @Override
        public void afterCommit(Runnable action) {
            if (!transactional) {
                action.run();
                return;
            }
            if (afterCommit == null) {
                afterCommit = new ArrayList<>();
            }
            if (!afterCommit.contains(action)) {
                afterCommit.add(action);
            }
        }

        void committed() {
            if (afterCommit != null) {
                for (Runnable action : afterCommit) {
                    try {
                        action.run();
                    } catch (RuntimeException e) {
                        log.error("after-commit action failed", e);
                    }
                }
            }
        }
    }
}
