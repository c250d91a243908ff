package io.throughline.ingest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * PostgreSQL text and jsonb cannot hold U+0000, and inbound mail can carry it (a quoted-printable {@code =00}, a
 * raw header): a message with one would fail its insert on every retry. Ingest removes it everywhere first.
 */
public final class NulBytes {

    private NulBytes() {
    }

    public static String strip(String text) {
        return text == null || text.indexOf('\u0000') < 0 ? text : text.replace("\u0000", "");
    }

    /** A copy without U+0000 in any key or string value, or the same object when it has none. */
    public static JsonObject strip(JsonObject json) {
        if (json == null || !hasNul(json)) {
            return json;
        }
        JsonObject clean = new JsonObject();
        for (Map.Entry<String, Object> entry : json) {
            clean.put(strip(entry.getKey()), value(entry.getValue()));
        }
        return clean;
    }

    private static boolean hasNul(Object value) {
        return switch (value) {
            case String text -> text.indexOf('\u0000') >= 0;
            case JsonObject object -> object.fieldNames().stream()
                    .anyMatch(key -> hasNul(key) || hasNul(object.getValue(key)));
            case JsonArray array -> array.stream().anyMatch(NulBytes::hasNul);
            case null, default -> false;
        };
    }

    private static Object value(Object value) {
        return switch (value) {
            case String text -> strip(text);
            case JsonObject object -> strip(object);
            case JsonArray array -> {
                JsonArray clean = new JsonArray();
                array.forEach(item -> clean.add(value(item)));
                yield clean;
            }
            case null, default -> value;
        };
    }
}
