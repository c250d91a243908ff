package io.throughline.failure;

/** HTTP 404: Not found. */
public final class NotFound extends ThroughlineException {

    public NotFound(String detail) {
        super(detail);
    }

    @Override
    public int status() {
        return 404;
    }

    @Override
    public String slug() {
        return "not-found";
    }

    @Override
    public String title() {
        return "Not found";
    }
}
