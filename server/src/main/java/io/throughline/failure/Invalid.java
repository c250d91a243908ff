package io.throughline.failure;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** HTTP 400: the request is malformed; {@code errors} names every bad field at once. */
public final class Invalid extends ThroughlineException {

    private final List<FieldError> errors;

    public Invalid(String detail) {
        this(detail, List.of());
    }

    public Invalid(String detail, List<FieldError> errors) {
        super(detail);
        this.errors = List.copyOf(errors);
    }

    public static Invalid field(String field, String message) {
        return new Invalid(field + ": " + message, List.of(new FieldError(field, message)));
    }

    public List<FieldError> errors() {
        return errors;
    }

    @Override
    public int status() {
        return 400;
    }

    @Override
    public String slug() {
        return "invalid-request";
    }

    @Override
    public String title() {
        return "Invalid request";
    }

    @Override
    public JsonObject extensions() {
        if (errors.isEmpty()) {
            return new JsonObject();
        }
        JsonArray list = new JsonArray();
        errors.forEach(e -> list.add(new JsonObject().put("field", e.field()).put("message", e.message())));
        return new JsonObject().put("errors", list);
    }

    /** One bad field: its JSON path and what is wrong with it. */
    public record FieldError(String field, String message) {
    }
}
