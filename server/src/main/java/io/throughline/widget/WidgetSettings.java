package io.throughline.widget;

import io.throughline.agent.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One widget inbox's config, validated: where it may be embedded, how it looks, what it asks, and its rules.
 *
 * <pre>{@code
 * {
 *   "allowedOrigins": ["https://shop.example.com", "https://*.example.com"],
 *   "hmacRequired": false,
 *   "hmacVersion": 1,                       // 2: typed signatures ("v2=..."), see IdentitySignature
 *   "title": "Chat with us", "greeting": "Hi! How can we help?",
 *   "offlineMessage": "We are away; leave your email and we will answer there.",
 *   "locale": "auto",                       // auto (the browser's), en, uk, ru or pl
 *   "colors": {"primary": "#2563eb", "onPrimary": "#ffffff"},
 *   "position": "right",                    // or left
 *   "preChatForm": {"enabled": true, "fields": [{"name": "name"}, {"name": "email", "required": true}]},
 *   "businessHours": {"timezone": "Europe/Kyiv", "weekly": {"mon": ["09:00-18:00"]}},
 *   "attachments": true,
 *   "siteKey": "...",                       // minted; public
 *   "identitySecret": "..."                 // minted; secret, shown once
 * }
 * }</pre>
 */
public record WidgetSettings(
        List<OriginPattern> allowedOrigins,
        boolean hmacRequired,
        int hmacVersion,
        String title,
        String greeting,
        String offlineMessage,
        String locale,
        String primaryColor,
        String onPrimaryColor,
        String position,
        boolean preChatEnabled,
        List<PreChatField> preChatFields,
        BusinessHours businessHours,
        boolean attachments,
        String siteKey,
        String identitySecret) {

    static final String SITE_KEY = "siteKey";
    static final String IDENTITY_SECRET = "identitySecret";
    static final List<String> LOCALES = List.of("auto", "en", "uk", "ru", "pl");
    private static final Set<String> FIELDS = Set.of("allowedOrigins", "hmacRequired", "hmacVersion", "title",
            "greeting",
            "offlineMessage", "locale", "colors", "position", "preChatForm", "businessHours", "attachments",
            SITE_KEY, IDENTITY_SECRET);
    private static final Pattern COLOR = Pattern.compile("#[0-9a-fA-F]{6}");
    private static final int MAX_ORIGINS = 50;

    /** A pre-chat form field: {@code name}, {@code email} or {@code phone}. */
    public record PreChatField(String name, boolean required) {
        JsonObject toJson() {
            return new JsonObject().put("name", name).put("required", required);
        }
    }

    /** The parse result: settings when valid, else every problem, each starting with its field. */
    public record Parsed(WidgetSettings settings, List<String> problems) {
    }

    /**
     * What a signed-in visitor keeps of the secret that proved it (a digest of the secret and the signature
     * version): a new secret or version ends the sessions the old one proved.
     */
    String proofKey() {
        return Tokens.sha256Hex("widget-proof\n" + hmacVersion + "\n" + identitySecret).substring(0, 32);
    }

    public static Parsed parse(JsonObject config) {
        List<String> problems = new ArrayList<>();
        for (String field : config.fieldNames()) {
            if (!FIELDS.contains(field)) {
                problems.add("config." + field + ": unknown field (a widget inbox has " + String.join(", ",
                        FIELDS.stream().sorted().toList()) + ")");
            }
        }
        List<OriginPattern> origins = origins(config.getValue("allowedOrigins"), problems);
        boolean hmacRequired = bool(config, "hmacRequired", false, problems);
        int hmacVersion = 1;
        Object version = config.getValue("hmacVersion");
        if (version instanceof Number n && n.doubleValue() == n.intValue()
                && (n.intValue() == 1 || n.intValue() == 2)) {
            hmacVersion = n.intValue();
        } else if (version != null) {
            problems.add("config.hmacVersion: must be 1 (signatures of the text) or 2 (typed signatures, \"v2=\")");
        }
        String title = text(config, "title", 80, problems);
        String greeting = text(config, "greeting", 500, problems);
        String offline = text(config, "offlineMessage", 500, problems);
        String locale = choice(config, "locale", LOCALES, problems);
        String position = choice(config, "position", List.of("right", "left"), problems);
        String primary = "#2563eb";
        String onPrimary = "#ffffff";
        Object colors = config.getValue("colors");
        if (colors != null) {
            if (colors instanceof JsonObject json) {
                primary = color(json, "primary", primary, problems);
                onPrimary = color(json, "onPrimary", onPrimary, problems);
                json.fieldNames().stream().filter(n -> !n.equals("primary") && !n.equals("onPrimary")).forEach(n ->
                        problems.add("config.colors." + n + ": unknown field (colors has primary and onPrimary)"));
            } else {
                problems.add("config.colors: must be an object {primary, onPrimary}");
            }
        }
        boolean preChat = false;
        List<PreChatField> fields = List.of();
        Object form = config.getValue("preChatForm");
        if (form != null) {
            if (form instanceof JsonObject json) {
                preChat = bool(json, "enabled", true, problems);
                fields = preChatFields(json.getValue("fields"), problems);
            } else {
                problems.add("config.preChatForm: must be an object {enabled, fields}");
            }
        }
        BusinessHours hours = null;
        Object hoursJson = config.getValue("businessHours");
        if (hoursJson instanceof JsonObject json) {
            hours = BusinessHours.parse(json, "config.businessHours", problems);
        } else if (hoursJson != null) {
            problems.add("config.businessHours: must be an object {timezone, weekly}");
        }
        boolean attachments = bool(config, "attachments", true, problems);
        String siteKey = text(config, SITE_KEY, 100, problems);
        String secret = text(config, IDENTITY_SECRET, 200, problems);
        if (secret != null && secret.length() < 32) {
            problems.add("config.identitySecret: must have at least 32 characters (leave it out to have one minted)");
        }
        if (!problems.isEmpty()) {
            return new Parsed(null, List.copyOf(problems));
        }
        return new Parsed(new WidgetSettings(origins, hmacRequired, hmacVersion, title, greeting, offline,
                locale == null ? "auto" : locale, primary.toLowerCase(Locale.ROOT), onPrimary.toLowerCase(Locale.ROOT),
                position == null ? "right" : position, preChat, fields, hours, attachments, siteKey, secret),
                List.of());
    }

    /** Whether a browser origin may embed this widget. */
    public boolean allows(String origin) {
        return allowedOrigins.stream().anyMatch(p -> p.matches(origin));
    }

    /** Whether the team is available now (always, when no business hours are set). */
    public boolean available(Instant now) {
        return businessHours == null || businessHours.isOpen(now);
    }

    /** What the loader and the frame may know: everything but the identity secret. */
    public JsonObject publicJson(Instant now) {
        JsonArray fields = new JsonArray();
        preChatFields.forEach(f -> fields.add(f.toJson()));
        return new JsonObject()
                .put("siteKey", siteKey)
                .put("title", title)
                .put("greeting", greeting)
                .put("offlineMessage", offlineMessage)
                .put("locale", locale)
                .put("colors", new JsonObject().put("primary", primaryColor).put("onPrimary", onPrimaryColor))
                .put("position", position)
                .put("preChatForm", new JsonObject().put("enabled", preChatEnabled).put("fields", fields))
                .put("attachments", attachments)
                .put("hmacRequired", hmacRequired)
                .put("available", available(now));
    }

    private static List<OriginPattern> origins(Object value, List<String> problems) {
        List<OriginPattern> out = new ArrayList<>();
        if (!(value instanceof JsonArray list) || list.isEmpty()) {
            problems.add("config.allowedOrigins: is required: the origins whose pages may show the widget,"
                    + " such as [\"https://shop.example.com\"]");
            return out;
        }
        if (list.size() > MAX_ORIGINS) {
            problems.add("config.allowedOrigins: must have at most " + MAX_ORIGINS + " origins");
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            Object item = list.getValue(i);
            OriginPattern.Parsed parsed = OriginPattern.parse(item instanceof String text ? text : null);
            if (parsed.pattern() == null) {
                problems.add("config.allowedOrigins[" + i + "]: " + (item instanceof String ? parsed.problem()
                        : "must be a string such as https://shop.example.com"));
            } else {
                out.add(parsed.pattern());
            }
        }
        return out;
    }

    private static List<PreChatField> preChatFields(Object value, List<String> problems) {
        if (value == null) {
            return List.of(new PreChatField("name", false), new PreChatField("email", true));
        }
        List<PreChatField> out = new ArrayList<>();
        if (!(value instanceof JsonArray list) || list.isEmpty()) {
            problems.add("config.preChatForm.fields: must be a non-empty list of {name, required}");
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            String where = "config.preChatForm.fields[" + i + "]";
            if (!(list.getValue(i) instanceof JsonObject field)) {
                problems.add(where + ": must be an object {name, required}");
                continue;
            }
            Object name = field.getValue("name");
            if (!(name instanceof String text) || !List.of("name", "email", "phone").contains(text)) {
                problems.add(where + ".name: must be name, email or phone");
                continue;
            }
            if (out.stream().anyMatch(f -> f.name().equals(text))) {
                problems.add(where + ".name: " + text + " is listed twice");
                continue;
            }
            out.add(new PreChatField(text, bool(field, "required", false, problems)));
        }
        return List.copyOf(out);
    }

    private static boolean bool(JsonObject json, String field, boolean defaultValue, List<String> problems) {
        Object value = json.getValue(field);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean bool) {
            return bool;
        }
        problems.add("config." + field + ": must be true or false");
        return defaultValue;
    }

    private static String text(JsonObject json, String field, int max, List<String> problems) {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text)) {
            problems.add("config." + field + ": must be a string");
            return null;
        }
        if (text.length() > max) {
            problems.add("config." + field + ": must be at most " + max + " characters");
            return null;
        }
        return text.isBlank() ? null : text.strip();
    }

    private static String choice(JsonObject json, String field, List<String> allowed, List<String> problems) {
        Object value = json.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text) || !allowed.contains(text)) {
            problems.add("config." + field + ": must be one of " + String.join(", ", allowed));
            return null;
        }
        return text;
    }

    private static String color(JsonObject json, String field, String defaultValue, List<String> problems) {
        Object value = json.getValue(field);
        if (value == null) {
            return defaultValue;
        }
        if (!(value instanceof String text) || !COLOR.matcher(text).matches()) {
            problems.add("config.colors." + field + ": must be a color such as #2563eb");
            return defaultValue;
        }
        return text;
    }
}
