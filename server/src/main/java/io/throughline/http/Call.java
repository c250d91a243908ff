package io.throughline.http;

import io.throughline.agent.Caller;
import io.vertx.ext.web.RoutingContext;

/** One authenticated API call, as endpoints see it on their virtual thread. */
public record Call(RoutingContext rc, Caller caller) {

    public long pathId(String name) {
        return Params.pathId(rc, name);
    }

    public JsonBody body() {
        return JsonBody.of(rc);
    }

    public String header(String name) {
        return rc.request().getHeader(name);
    }
}
