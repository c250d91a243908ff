package io.throughline.http;

import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.vertx.ext.web.RoutingContext;

/** Path and query parameters, read strictly: a bad value is a 400 that names it, never a 500. */
public final class Params {

    private Params() {
    }

    /** A numeric path id; anything else is a 404, as no such resource can exist. */
    public static long pathId(RoutingContext rc, String name) {
        String value = rc.pathParam(name);
        try {
            long id = Long.parseLong(value);
            if (id > 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // fall through: not an id
        }
        throw new NotFound("no such " + name.replace("Id", "") + " '" + value + "'");
    }

    public static String query(RoutingContext rc, String name) {
        String value = rc.queryParams().get(name);
        if (value != null && value.indexOf('\u0000') >= 0) {
            throw Invalid.field(name, "must not contain the NUL character (U+0000)");
        }
        return value == null || value.isBlank() ? null : value.strip();
    }

    public static Long queryLong(RoutingContext rc, String name) {
        String value = query(rc, name);
        if (value == null) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw Invalid.field(name, "must be an integer");
        }
    }

    /** The {@code since} of a stream to resume: a seq (0 or more), or -1 when the client starts afresh. */
    public static long sinceSeq(RoutingContext rc) {
        Long given = queryLong(rc, "since");
        if (given != null && given < 0) {
            throw Invalid.field("since", "must be a seq (0 or more)");
        }
        return given == null ? -1 : given;
    }

    public static int queryInt(RoutingContext rc, String name, int defaultValue, int min, int max) {
        Long value = queryLong(rc, name);
        if (value == null) {
            return defaultValue;
        }
        if (value < min || value > max) {
            throw Invalid.field(name, "must be between " + min + " and " + max);
        }
        return value.intValue();
    }
}
