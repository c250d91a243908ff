package io.throughline.http;

import io.throughline.connector.Texts;
import io.throughline.failure.Invalid;
import io.throughline.failure.UnsupportedMediaType;
import io.throughline.ingest.NulBytes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a JSON request body field by field, checking types and sizes, and collects every problem so the client
 * hears about all of them at once ({@link #validate()}).
 */
public final class JsonBody {

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999Z");

    private final JsonObject json;
    private final List<Invalid.FieldError> errors = new ArrayList<>();

    private JsonBody(JsonObject json) {
        this.json = json;
    }

    /**
     * The request's JSON object; 415 for another content type, 400 for malformed JSON, a non-object, or a NUL
     * character anywhere in it.
     */
    public static JsonBody of(RoutingContext rc) {
        JsonObject object = parse(rc);
        String nul = nulAt(object, "");
        if (nul != null) {
            // PostgreSQL text cannot hold it: refused here, rather than failing the statement with a 500.
            throw Invalid.field(nul.isEmpty() ? "body" : nul, "must not contain the NUL character (U+0000)");
        }
        return new JsonBody(object);
    }

    /**
     * The request's JSON object with every NUL character removed, for content a channel relays from elsewhere
     * (a shop's database, a mail) that must not be refused for it; otherwise as {@link #of}.
     */
    public static JsonBody withoutNul(RoutingContext rc) {
        return new JsonBody(NulBytes.strip(parse(rc)));
    }

    private static JsonObject parse(RoutingContext rc) {
        String type = rc.request().getHeader("Content-Type");
        Buffer buffer = rc.body() == null ? null : rc.body().buffer();
        if (buffer == null || buffer.length() == 0) {
            if (type != null && !isJson(type)) {
                throw new UnsupportedMediaType("send the body as application/json");
            }
            throw new Invalid("a JSON object body is required");
        }
        if (type == null || !isJson(type)) {
            throw new UnsupportedMediaType("send the body as application/json, not " + (type == null ? "nothing"
                    : type));
        }
        Object value;
        try {
            value = buffer.toJsonValue();
        } catch (DecodeException e) {
            throw new Invalid("the body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!(value instanceof JsonObject object)) {
            throw new Invalid("the body must be a JSON object");
        }
        return wellFormed(object);
    }

    /**
     * The object with U+FFFD for each lone surrogate in its keys and strings (half an emoji, left by a client's cut,
     * sent as an escape or as the three bytes the parser also takes), or the object itself when it holds none: the
     * database's encoder writes "?" for one, so what was stored would differ from what was sent. For JSON that
     * arrives other than as a request body (a socket's frames).
     */
    public static JsonObject wellFormed(JsonObject object) {
        return hasLoneSurrogate(object) ? (JsonObject) repaired(object) : object;
    }

    private static boolean hasLoneSurrogate(Object value) {
        return switch (value) {
            case String text -> !isWellFormed(text);
            case JsonObject object -> object.fieldNames().stream()
                    .anyMatch(key -> !isWellFormed(key) || hasLoneSurrogate(object.getValue(key)));
            case JsonArray array -> array.stream().anyMatch(JsonBody::hasLoneSurrogate);
            case null, default -> false;
        };
    }

    /** Whether every surrogate in the text is half of a pair. */
    private static boolean isWellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** The value with U+FFFD for each lone surrogate ({@link #wellFormed}). */
    private static Object repaired(Object value) {
        return switch (value) {
            case String text -> isWellFormed(text) ? text : text.codePoints()
                    .map(c -> c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE ? 0xFFFD : c)
                    .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            case JsonObject object -> {
                JsonObject clean = new JsonObject();
                object.forEach(member -> clean.put((String) repaired(member.getKey()),
                        repaired(member.getValue())));
                yield clean;
            }
            case JsonArray array -> {
                JsonArray clean = new JsonArray();
                array.forEach(item -> clean.add(repaired(item)));
                yield clean;
            }
            case null, default -> value;
        };
    }

    /** The path of the first key or string holding U+0000 ("" for a key of the top object), or null. */
    private static String nulAt(Object value, String path) {
        if (value instanceof String text) {
            return text.indexOf('\u0000') >= 0 ? path : null;
        }
        if (value instanceof JsonObject object) {
            for (String key : object.fieldNames()) {
                String at = path.isEmpty() ? key : path + "." + key;
                if (key.indexOf('\u0000') >= 0) {
                    return path;
                }
                String found = nulAt(object.getValue(key), at);
                if (found != null) {
                    return found;
                }
            }
        } else if (value instanceof JsonArray array) {
            for (int i = 0; i < array.size(); i++) {
                String found = nulAt(array.getValue(i), path + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    /** Wraps a nested object, sharing nothing with the parent's errors. */
    public static JsonBody wrap(JsonObject json) {
        return new JsonBody(json);
    }

    public JsonObject raw() {
        return json;
    }

    public boolean has(String field) {
        return json.containsKey(field);
    }

    public String requiredString(String field, int maxLength) {
        String value = optionalString(field, maxLength);
        if (value == null && !hasError(field)) {
            error(field, "is required");
        }
        return value;
    }

    /** The field's string, or null: absent, or not a string (then an error). */
    private String string(String field) {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text)) {
            error(field, "must be a string");
            return null;
        }
        return text;
    }

    /**
     * A string that may be left out, but not given blank: for a field a change sets ("name" of a PATCH), where
     * {@code ""} would otherwise read as "unchanged" and answer 200 having done nothing.
     */
    public String optionalNonBlank(String field, int maxLength) {
        String text = optionalString(field, maxLength);
        if (text == null && has(field) && !hasError(field)) {
            error(field, "must not be empty");
        }
        return text;
    }

    /** A string; blank counts as absent. */
    public String optionalString(String field, int maxLength) {
        String text = string(field);
        if (text == null) {
            return null;
        }
        if (text.length() > maxLength) {
            error(field, "must be at most " + maxLength + " characters");
            return null;
        }
        return text.isBlank() ? null : text;
    }

    /**
     * A string kept to its first {@code maxLength} characters (never split inside a surrogate pair) instead of being
     * refused: for what a page reports about itself (its URL, its title), which no sender can be expected to cut.
     */
    public String optionalStringCut(String field, int maxLength) {
        String text = string(field);
        if (text == null) {
            return null;
        }
        String cut = Texts.cut(text, maxLength);
        return cut.isBlank() ? null : cut;
    }

    /** An id given as a string or a whole number (a site passing its user's numeric id as it is). */
    public String optionalId(String field, int maxLength) {
        Object value = json.getValue(field);
        if (value instanceof Integer || value instanceof Long) {
            return value.toString();
        }
        return optionalString(field, maxLength);
    }

    public Long optionalLong(String field) {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        Long exact = exactLong(value);
        if (exact != null) {
            return exact;
        }
        error(field, "must be an integer");
        return null;
    }

    /**
     * The value as a long when it is a whole number a long holds exactly, else null: JSON numbers past a long's
     * range decode as big integers, whose {@code longValue()} keeps only the low 64 bits (2^64 + 5 would name 5).
     */
    public static Long exactLong(Object value) {
        return switch (value) {
            case Integer number -> (long) number;
            case Long number -> number;
            case BigInteger number -> number.bitLength() < Long.SIZE ? number.longValue() : null;
            case Number number -> {
                double d = number.doubleValue();
                yield d == Math.rint(d) && Math.abs(d) < 0x1p63 ? (long) d : null;
            }
            case null, default -> null;
        };
    }

    public Boolean optionalBoolean(String field) {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        if (value instanceof Boolean bool) {
            return bool;
        }
        error(field, "must be true or false");
        return null;
    }

    public JsonObject optionalObject(String field) {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        if (value instanceof JsonObject object) {
            return object;
        }
        error(field, "must be an object");
        return null;
    }

    public JsonArray optionalArray(String field, int maxItems) {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof JsonArray array)) {
            error(field, "must be an array");
            return null;
        }
        if (array.size() > maxItems) {
            error(field, "must have at most " + maxItems + " items");
            return null;
        }
        return array;
    }

    public Instant optionalInstant(String field) {
        String text = optionalString(field, 64);
        if (text == null) {
            return null;
        }
        Instant instant;
        try {
            instant = Instant.parse(text);
        } catch (DateTimeParseException e) {
            error(field, "must be an ISO-8601 instant such as 2026-01-31T09:30:00Z");
            return null;
        }
        if (instant.isBefore(EARLIEST) || instant.isAfter(LATEST)) {
            // PostgreSQL stores later ones as infinity (a snooze that never ends) or refuses them.
            error(field, "must be between the years 1 and 9999");
            return null;
        }
        return instant;
    }

    public void error(String field, String message) {
        errors.add(new Invalid.FieldError(field, message));
    }

    boolean hasError(String field) {
        return errors.stream().anyMatch(e -> e.field().equals(field));
    }

    /** Throws {@link Invalid} with every collected problem, if there are any. */
    public void validate() {
        if (!errors.isEmpty()) {
            StringBuilder detail = new StringBuilder();
            for (Invalid.FieldError e : errors) {
                detail.append(detail.isEmpty() ? "" : "; ").append(e.field()).append(' ').append(e.message());
            }
            throw new Invalid(detail.toString(), errors);
        }
    }

    /** Adds another reader's problems under a prefix ({@code contact.}). */
    public void absorb(String prefix, JsonBody nested) {
        nested.errors.forEach(e -> errors.add(new Invalid.FieldError(prefix + e.field(), e.message())));
    }

    private static boolean isJson(String contentType) {
        String type = contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        return type.equals("application/json") || type.endsWith("+json");
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
