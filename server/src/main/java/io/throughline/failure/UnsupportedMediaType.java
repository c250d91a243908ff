package io.throughline.failure;

/** HTTP 415: Unsupported media type. */
public final class UnsupportedMediaType extends ThroughlineException {

    public UnsupportedMediaType(String detail) {
        super(detail);
    }

    @Override
    public int status() {
        return 415;
    }

    @Override
    public String slug() {
        return "unsupported-media-type";
    }

    @Override
    public String title() {
        return "Unsupported media type";
    }
}
