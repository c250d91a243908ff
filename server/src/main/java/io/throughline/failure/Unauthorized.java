package io.throughline.failure;

/** HTTP 401: Authentication required. */
public final class Unauthorized extends ThroughlineException {

    public Unauthorized(String detail) {
        super(detail);
    }

    @Override
    public int status() {
        return 401;
    }

    @Override
    public String slug() {
        return "unauthorized";
    }

    @Override
    public String title() {
        return "Authentication required";
    }
}
