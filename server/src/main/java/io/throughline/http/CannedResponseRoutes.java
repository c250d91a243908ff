package io.throughline.http;

import io.throughline.cannedresponse.CannedResponse;
import io.throughline.cannedresponse.CannedResponseService;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.Locale;
import java.util.regex.Pattern;

/** {@code /api/v1/canned-responses}: every agent lists and reads them; admins create, change and delete them. */
final class CannedResponseRoutes {

    /** Letters and digits of any script, so "/доставка" works as well as "/refund". */
    /** Letters and digits of any script, with the marks they carry (Hindi's vowel signs, a lowercased "İ"'s dot). */
    private static final Pattern SHORT_CODE = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}_.-]{0,63}");
    private static final int MAX_TITLE = 120;
    private static final int MAX_BODY = 10_000;

    private final CannedResponseService responses;

    CannedResponseRoutes(CannedResponseService responses) {
        this.responses = responses;
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.get("/api/v1/canned-responses").handler(endpoints.agent(call -> {
            String query = Params.query(call.rc(), "q");
            JsonArray list = new JsonArray();
            responses.list(call.caller(), query).forEach(r -> list.add(r.toJson()));
            return Reply.ok(new JsonObject().put("cannedResponses", list));
        }));
        router.get("/api/v1/canned-responses/:id").handler(endpoints.agent(call ->
                Reply.ok(responses.get(call.caller(), call.pathId("id")).toJson())));
        router.post("/api/v1/canned-responses").handler(body).handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            JsonBody json = call.body();
            String shortCode = shortCode(json, json.requiredString("shortCode", 65));
            String title = json.optionalString("title", MAX_TITLE);
            String text = json.requiredString("body", MAX_BODY);
            json.validate();
            CannedResponse created = responses.create(call.caller(),
                    new CannedResponseService.Draft(shortCode, title == null ? null : title.strip(), text));
            return Reply.created(created.toJson());
        }));
        router.patch("/api/v1/canned-responses/:id").handler(body).handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            JsonBody json = call.body();
            String shortCode = shortCode(json, json.optionalNonBlank("shortCode", 65));
            String title = json.optionalString("title", MAX_TITLE);
            String text = json.optionalString("body", MAX_BODY);
            if (json.has("body") && text == null) {
                json.error("body", "must not be empty");
            }
            json.validate();
            // A title sent empty (or null) clears it; an absent one stays.
            String newTitle = title != null ? title.strip() : json.has("title") ? "" : null;
            return Reply.ok(responses.update(call.caller(), call.pathId("id"),
                    new CannedResponseService.Draft(shortCode, newTitle, text)).toJson());
        }));
        router.delete("/api/v1/canned-responses/:id").handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            responses.delete(call.caller(), call.pathId("id"));
            return Reply.noContent();
        }));
    }

    /**
     * Short codes are stored in lower case, so "/Refund" and "/refund" are one response; read up to 65 characters,
     * so a code of 64 typed with its "/" passes (the pattern checks the code as stored).
     */
    private static String shortCode(JsonBody json, String value) {
        if (value == null) {
            return null;
        }
        // Checked as stored: a code the form sends back as it was read must pass again.
        String code = value.strip().toLowerCase(Locale.ROOT);
        if (code.startsWith("/")) {
            code = code.substring(1);
        }
        if (!SHORT_CODE.matcher(code).matches()) {
            json.error("shortCode", "must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or"
                    + " digit");
            return null;
        }
        return code;
    }
}
