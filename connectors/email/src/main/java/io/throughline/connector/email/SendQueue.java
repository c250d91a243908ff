package io.throughline.connector.email;

import io.throughline.connector.DeliveryFailure;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The SMTP sends of one inbox: a few at once, a short line behind them, and an end that leaves no caller waiting.
 * <ul>
 *   <li>The outbox calls {@link #run} from one of its few dispatch slots, shared by every channel of the node. A
 *       slow or silent mail server must not hold them all: past a short line, a send is handed back at once to be
 *       retried later, and widget and Telegram replies keep going out.</li>
 *   <li>Closing (the inbox is reopened after an edit, or removed) cancels the sends still in line, so their callers
 *       get a failure instead of waiting forever on a task that will never run. Not one that counts an attempt:
 *       nothing was tried, and ten saves of the settings would otherwise fail a reply that never left.</li>
 * </ul>
 */
final class SendQueue {

    /** How long a send handed back because the line is full waits before it is tried again. */
    static final Duration BUSY_RETRY = Duration.ofSeconds(30);
    /** How long a send that never ran because the inbox closed waits (its reopened inbox sends it). */
    static final Duration CLOSED_RETRY = Duration.ofSeconds(1);

    private final ThreadPoolExecutor executor;
    private final int line;
    private final Function<Throwable, String> describe;

    SendQueue(String name, int threads, int line, Function<Throwable, String> describe) {
        this.line = line;
        this.describe = describe;
        this.executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(line), Thread.ofPlatform().daemon().name(name + "-", 0).factory());
        this.executor.allowCoreThreadTimeOut(true);
    }

    /** Runs a send and waits for its outcome; a {@link DeliveryFailure} it throws comes out as it is. */
    <T> T run(Callable<T> send) throws DeliveryFailure {
        Future<T> sent;
        try {
            sent = executor.submit(send);
        } catch (RejectedExecutionException e) {
            if (executor.isShutdown()) {
                throw DeliveryFailure.notAttempted("the inbox was closing (its settings changed); the reply is sent"
                        + " again", CLOSED_RETRY);
            }
            throw DeliveryFailure.notAttempted("the mail server is slow: " + line + " replies are already waiting"
                    + " to be sent", BUSY_RETRY);
        }
        try {
            return sent.get();
        } catch (CancellationException e) {
            throw DeliveryFailure.notAttempted("the inbox closed before the reply was sent (its settings changed);"
                    + " it is sent again", CLOSED_RETRY);
        } catch (InterruptedException e) {
            sent.cancel(true);
            Thread.currentThread().interrupt();
            throw DeliveryFailure.retryable("interrupted while sending", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof DeliveryFailure failure) {
                throw failure;
            }
            throw DeliveryFailure.retryable("sending failed: " + describe.apply(e.getCause()), e.getCause());
        }
    }

    /** Sends in line behind the running ones. */
    int waiting() {
        return executor.getQueue().size();
    }

    /** Lets sends under way finish within {@code grace}; then interrupts them and cancels those still in line. */
    void close(Duration grace) {
        executor.shutdown();
        try {
            if (executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Runnable waiting : executor.shutdownNow()) {
            if (waiting instanceof Future<?> future) {
                future.cancel(false);
            }
        }
    }
}
