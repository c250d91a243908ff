package io.throughline.failure;

import io.vertx.core.json.JsonObject;

/** HTTP 413: Payload too large. */
public final class PayloadTooLarge extends ThroughlineException {

    /** Which limit was passed, for a client to explain it ({@code limit} in the problem); null: the body's size. */
    private final String limit;

    public PayloadTooLarge(String detail) {
        this(detail, null);
    }

    public PayloadTooLarge(String detail, String limit) {
        super(detail);
        this.limit = limit;
    }

    @Override
    public JsonObject extensions() {
        return limit == null ? new JsonObject() : new JsonObject().put("limit", limit);
    }

    @Override
    public int status() {
        return 413;
    }

    @Override
    public String slug() {
        return "payload-too-large";
    }

    @Override
    public String title() {
        return "Payload too large";
    }
}
