package io.throughline.http;

import io.throughline.agent.Caller;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.MDC;

/**
 * Runs endpoint code on a virtual thread, never on the event loop (the golden rule), with the request id (and,
 * once known, the agent and workspace) in the logging MDC of every line it writes. The answer is written back
 * on the request's own context; a thrown exception goes to the one failure handler.
 */
public final class Endpoints {

    /** An endpoint for an authenticated agent. */
    @FunctionalInterface
    public interface AgentEndpoint {
        Reply handle(Call call) throws Exception;
    }

    /** An endpoint that authenticates by other means (login, an inbox token) or not at all. */
    @FunctionalInterface
    public interface PublicEndpoint {
        Reply handle(RoutingContext rc) throws Exception;
    }

    private final Authenticator authenticator;
    private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("http-", 0).factory());

    public Endpoints(Authenticator authenticator) {
        this.authenticator = authenticator;
    }

    public Handler<RoutingContext> agent(AgentEndpoint endpoint) {
        return open(rc -> {
            Caller caller = authenticator.require(rc.request());
            MDC.put("agent", String.valueOf(caller.agentId()));
            MDC.put("workspace", String.valueOf(caller.workspaceId()));
            rc.put(Caller.class.getName(), caller);
            return endpoint.handle(new Call(rc, caller));
        });
    }

    public Handler<RoutingContext> open(PublicEndpoint endpoint) {
        return rc -> {
            Context context = Vertx.currentContext();
            String requestId = RequestLog.id(rc);
            executor.execute(() -> {
                MDC.put("request", requestId);
                try {
                    Reply reply = endpoint.handle(rc);
                    context.runOnContext(v -> {
                        try {
                            reply.write(rc.response());
                        } catch (RuntimeException e) {
                            // An answer that cannot be encoded fails the request, never leaves it hanging; the
                            // headers it set (a cookie, a location) do not go out with the error.
                            if (!rc.response().headWritten()) {
                                rc.response().headers().clear();
                            }
                            rc.fail(e);
                        }
                    });
                } catch (Throwable e) {
                    context.runOnContext(v -> rc.fail(e));
                } finally {
                    MDC.clear();
                }
            });
        };
    }

    /** Runs blocking work for a handler that answers by itself (a file, a WebSocket upgrade). */
    public void blocking(RoutingContext rc, Runnable work) {
        String requestId = RequestLog.id(rc);
        executor.execute(() -> {
            MDC.put("request", requestId);
            try {
                work.run();
            } finally {
                MDC.clear();
            }
        });
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    public void close() {
        executor.shutdown();
    }
}
