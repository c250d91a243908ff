package io.throughline.failure;

/** HTTP 409: Conflict. */
public final class Conflict extends ThroughlineException {

    public Conflict(String detail) {
        super(detail);
    }

    @Override
    public int status() {
        return 409;
    }

    @Override
    public String slug() {
        return "conflict";
    }

    @Override
    public String title() {
        return "Conflict";
    }
}
