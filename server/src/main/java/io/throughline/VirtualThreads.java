package io.throughline;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.Callable;

/** Runs blocking work (await-style SQL, Jakarta Mail, Lucene commits) off the event loop, on virtual threads. */
public final class VirtualThreads {

    private VirtualThreads() {
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
