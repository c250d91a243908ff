package io.throughline.failure;

/** HTTP 413: Payload too large. */
public final class PayloadTooLarge extends ThroughlineException {

    public PayloadTooLarge(String detail) {
        super(detail);
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
