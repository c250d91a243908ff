package io.throughline.widget;

import io.throughline.connector.IdentityKind;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * One browser's widget session, as stored.
 *
 * @param id the row id (never shown to the visitor)
 * @param publicId the value of the visitor's {@code widget_visitor} identity
 * @param principalKind with {@code principalValue}: the identity whose contact this visitor may see
 * @param identity the HMAC-proven identity {@code {externalId, email, name}}, or null for an anonymous visitor
 * @param profile what the visitor typed (pre-chat form, unsigned identify): claimed only
 * @param context the page, locale, user agent and IP last seen
 * @param provenAt when the site last proved the identity (null for an anonymous visitor)
 */
public record Visitor(
        long id,
        long workspaceId,
        long inboxId,
        String publicId,
        IdentityKind principalKind,
        String principalValue,
        JsonObject identity,
        JsonObject profile,
        JsonObject context,
        String previousPublicId,
        boolean online,
        Instant lastSeenAt,
        Long lastReadMessageId,
        Instant lastReadAt,
        Instant createdAt,
        Instant provenAt,
        String provenWith) {

    static final String COLUMNS = "id, workspace_id, inbox_id, public_id, principal_kind, principal_value, identity,"
            + " profile, context, previous_public_id, online, last_seen_at, last_read_message_id, last_read_at,"
            + " created_at, proven_at, proven_with";

    static Visitor from(Row row) {
        return new Visitor(row.getLong("id"), row.getLong("workspace_id"), row.getLong("inbox_id"),
                row.getString("public_id"), IdentityKind.fromWireName(row.getString("principal_kind")).orElseThrow(),
                row.getString("principal_value"), row.getJsonObject("identity"), row.getJsonObject("profile"),
                row.getJsonObject("context"), row.getString("previous_public_id"), row.getBoolean("online"),
                instant(row.getOffsetDateTime("last_seen_at")), row.getLong("last_read_message_id"),
                instant(row.getOffsetDateTime("last_read_at")), instant(row.getOffsetDateTime("created_at")),
                instant(row.getOffsetDateTime("proven_at")), row.getString("proven_with"));
    }

    /** True once a valid HMAC proved who the visitor is: then the visitor sees the contact's whole thread. */
    public boolean identified() {
        return identity != null;
    }

    /**
     * Whether the site proved the identity within {@code ttl} before {@code now}, with the secret it signs with now
     * ({@link WidgetSettings#proofKey()}): always true when anonymous.
     */
    boolean provenSince(Instant now, Duration ttl, String proofKey) {
        return !identified() || (!proofLapsed(now, ttl) && proofKey.equals(provenWith));
    }

    /** Whether the site last proved this signed-in visitor's identity {@code ttl} or more before {@code now}. */
    boolean proofLapsed(Instant now, Duration ttl) {
        return identified() && (provenAt == null || !provenAt.plus(ttl).isAfter(now));
    }

    /** The display name: the signed one, else the one typed into the form. */
    public String name() {
        String signed = identity == null ? null : identity.getString("name");
        return signed != null ? signed : profile.getString("name");
    }

    static Instant instant(OffsetDateTime value) {
        return value == null ? null : value.toInstant();
    }
}
