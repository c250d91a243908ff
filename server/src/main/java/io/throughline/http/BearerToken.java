package io.throughline.http;

import java.util.Optional;

/** The token of an {@code Authorization: Bearer <token>} header, the way every caller of the API sends it. */
public final class BearerToken {

    private BearerToken() {
    }

    /** The token (possibly empty) when the header names the Bearer scheme, in any case; else empty. */
    public static Optional<String> of(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        return Optional.of(authorization.substring(7).strip());
    }
}
