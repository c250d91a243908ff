package io.throughline;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VertxException;
import java.util.concurrent.Callable;

/** Runs blocking work (await-style SQL, Jakarta Mail, Lucene commits) off the event loop, on virtual threads. */
public final class VirtualThreads {

    private VirtualThreads() {
    }

    /**
     * {@link Future#await()} (on a virtual thread), but a checked failure comes out wrapped in a
     * {@link VertxException}: {@code await()} throws a failed future's cause as it is, so a refused connection (a
     * checked {@code ConnectException}) would pass, undeclared, every {@code catch (RuntimeException e)} written
     * for it. {@code Database.isTransient} looks through the wrapper.
     */
    public static <T> T await(Future<T> future) {
        try {
            return future.await();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new VertxException(e);
        }
    }

    /** Runs a blocking call on a fresh virtual thread and completes a future with its result. */
    public static <T> Future<T> call(String name, Callable<T> work) {
        Promise<T> promise = Promise.promise();
        Thread.ofVirtual().name(name).start(() -> {
            try {
                promise.complete(work.call());
            } catch (Throwable e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }
}
