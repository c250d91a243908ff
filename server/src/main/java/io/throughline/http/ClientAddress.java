package io.throughline.http;

import io.vertx.core.http.HttpServerRequest;

/** Where a request comes from and whether it arrived over TLS, trusting proxy headers only when configured. */
public final class ClientAddress {

    private final boolean trustProxy;

    public ClientAddress(boolean trustProxy) {
        this.trustProxy = trustProxy;
    }

    public String ip(HttpServerRequest request) {
        if (trustProxy) {
            String forwarded = request.getHeader("X-Forwarded-For");
            if (forwarded != null && !forwarded.isBlank()) {
                // The last entry is the one the trusted proxy appended: the address it saw. Earlier entries come
                // from the client, which can write anything there (and so dodge every per-IP limit).
                String[] hops = forwarded.split(",");
                String last = hops[hops.length - 1].strip();
                if (!last.isEmpty()) {
                    return last;
                }
            }
        }
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }

    public boolean secure(HttpServerRequest request) {
        if (request.isSSL()) {
            return true;
        }
        return trustProxy && "https".equalsIgnoreCase(request.getHeader("X-Forwarded-Proto"));
    }
}
