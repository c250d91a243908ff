package io.throughline.failure;

/** HTTP 412: the resource changed since the version the request's {@code If-Match} names. */
public final class PreconditionFailed extends ThroughlineException {

    public PreconditionFailed(String detail) {
        super(detail);
    }

    @Override
    public int status() {
        return 412;
    }

    @Override
    public String slug() {
        return "precondition-failed";
    }

    @Override
    public String title() {
        return "Precondition Failed";
    }
}
