package io.throughline.failure;

/** HTTP 403: Forbidden. */
public final class Forbidden extends ThroughlineException {

    public Forbidden(String detail) {
        super(detail);
    }

    @Override
    public int status() {
        return 403;
    }

    @Override
    public String slug() {
        return "forbidden";
    }

    @Override
    public String title() {
        return "Forbidden";
    }
}
