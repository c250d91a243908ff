package io.throughline.widget;

import io.throughline.agent.Tokens;
import io.throughline.config.ThroughlineConfig;
import io.throughline.connector.IdentityKind;
import io.throughline.contact.Identities;
import io.throughline.failure.Conflict;
import io.throughline.failure.Forbidden;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.failure.Unauthorized;
import io.throughline.http.BearerToken;
import io.throughline.http.ClientAddress;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Widget sessions ({@code POST /widget/v1/sessions}): checks the site key and the page's origin, proves or only
 * records the visitor's identity, and resumes the visitor the frame's token names or starts a new one.
 *
 * <p>A token only ever resumes a visitor of the same kind: an anonymous token stays anonymous, and an identified
 * visitor is resumed only with a fresh, valid HMAC for the same person. So a browser that a logged-in customer
 * left (without the site calling {@code reset}) shows the next, anonymous person nothing of theirs.
 */
public final class VisitorService {

    private static final Logger log = LoggerFactory.getLogger(VisitorService.class);

    /** A page view, a tab or a socket's new ticket resumes once: a minute of them is far more than any browser. */
    private static final int RESUMES_PER_MINUTE = 60;

    private final Database database;
    private final EventLog events;
    private final VisitorRepository visitors;
    private final SiteDirectory sites;
    private final SocketTickets tickets;
    private final RateLimiter newSessions;
    private final RateLimiter resumes;
    private final ThroughlineConfig.Widget config;
    private final LongSupplier position;
    private final Clock clock;

    VisitorService(Database database, EventLog events, VisitorRepository visitors, SiteDirectory sites,
                   SocketTickets tickets, ThroughlineConfig.Widget config, LongSupplier position, Clock clock) {
        this.database = database;
        this.events = events;
        this.visitors = visitors;
        this.sites = sites;
        this.tickets = tickets;
        this.newSessions = new RateLimiter(clock, config.newSessionsPerIp(), config.sessionWindow());
        this.resumes = new RateLimiter(clock, RESUMES_PER_MINUTE, Duration.ofMinutes(1));
        this.config = config;
        this.position = position;
        this.clock = clock;
    }

    /** What a site passes through {@code Throughline('identify', ...)}; only the hmac makes it proven. */
    record IdentityClaim(String externalId, String email, String name, String hmac) {
    }

    /**
     * One session request.
     *
     * @param origin the request's Origin header
     * @param hostOrigin the origin of the page embedding the frame, as the frame learned it from postMessage
     * @param ownOrigins this server's own origins (the frame is served from them)
     * @param context page URL and title, locale, user agent and IP, kept for agents
     */
    /** A session request; {@code reset} ends the visitor of {@code visitorToken} (the site's logout) for a new one. */
    record SessionRequest(String siteKey, String visitorToken, IdentityClaim identity, String origin,
                          String hostOrigin, Set<String> ownOrigins, String ip, JsonObject context, boolean reset) {
    }

    /** A started or resumed session: the answer's JSON, and whether a new visitor was created. */
    record Session(boolean created, JsonObject json) {
    }

    private sealed interface Proof permits Anonymous, Claimed, Proven {
    }

    private record Anonymous() implements Proof {
    }

    private record Claimed(JsonObject profile) implements Proof {
    }

    /** A proven identity; {@code profile} holds what came with it unproven (an email signed in another form). */
    private record Proven(IdentityKind kind, String value, JsonObject identity, JsonObject profile) implements Proof {
    }

    Session start(SessionRequest request) {
        Site site = sites.bySiteKey(request.siteKey(), request.ip())
                .orElseThrow(() -> new NotFound("no widget with this siteKey (it may have been disabled)"));
        requireOrigin(site, request.origin(), request.hostOrigin(), request.ownOrigins());
        Proof proof = proof(site, request.identity());
        Optional<Visitor> existing = request.visitorToken() == null ? Optional.empty()
                : visitors.byToken(database.sql(), Tokens.sha256(request.visitorToken()))
                        .filter(v -> v.inboxId() == site.inbox().id());
        if (request.visitorToken() != null && existing.isEmpty()) {
            log.info("widget session with an unknown visitor token, starting a new visitor inbox={}",
                    site.inbox().id());
        }
        if (existing.isPresent() && request.reset()) {
            // Logged out: the token stops working now, in this tab and in any copy of it (another tab's requests).
            end(existing.get());
            log.info("widget visitor reset by the site inbox={} visitor={}", site.inbox().id(), existing.get().id());
            existing = Optional.empty();
        }
        if (existing.isPresent() && resumable(existing.get(), proof)) {
            // Each resume writes the visitor (and a profile it claims): a script looping on one token is bounded
            // as new sessions are.
            resumes.acquire(Long.toString(existing.get().id()),
                    "too many session requests from this chat; wait a moment");
            Visitor visitor = resume(site, existing.get(), proof, request.context());
            return new Session(false, answer(site, visitor, request.visitorToken()));
        }
        newSessions.acquire(ClientAddress.limitKey(request.ip()),
                "too many new chat sessions from this address; try again later");
        // Someone else now (another identity): the token is retired, but the old visitor's open tabs are not cut
        // off. Another tab of this browser still showing the old page would start a session of its own identity
        // with the shared token, retire this one, and the two tabs would take turns replacing each other.
        existing.ifPresent(old -> visitors.retireToken(database.sql(), old.id()));
        String token = "tlv_" + Tokens.random(32);
        Visitor visitor = create(site, proof, token, request.context(),
                existing.filter(v -> !v.identified()).map(Visitor::publicId).orElse(null));
        log.info("widget visitor started inbox={} visitor={} identified={}", site.inbox().id(), visitor.id(),
                visitor.identified());
        return new Session(true, answer(site, visitor, token));
    }

    /**
     * Retires the visitor's token, and with the same commit tells every node to end that visitor's open sockets and
     * polls: a tab still connected must not keep receiving the thread of someone who logged out (the site's reset,
     * which every tab of the browser follows).
     */
    private void end(Visitor visitor) {
        database.tx(tx -> {
            visitors.retireToken(tx, visitor.id());
            events.append(tx, visitor.workspaceId(), EventType.VISITOR_SESSION_ENDED, new JsonObject()
                    .put("visitorId", visitor.publicId()).put("reason", "reset"));
            return null;
        });
    }

    /** The visitor a bearer token names, with its site and thread; 401 for an unknown token. */
    Viewer authenticate(String authorization) {
        String token = BearerToken.of(authorization).orElse(null);
        if (token == null || token.isEmpty()) {
            throw new Unauthorized("send the visitor token from POST /widget/v1/sessions as Authorization: Bearer");
        }
        Visitor visitor = visitors.byToken(database.sql(), Tokens.sha256(token))
                .orElseThrow(() -> new Unauthorized("unknown visitor token: start a new session"));
        Viewer viewer = viewer(visitor);
        if (!visitor.provenSince(clock.instant(), config.identifiedTokenTtl(), viewer.site().settings().proofKey())) {
            log.info("widget token of a signed-in visitor refused, not proven for {} with the site's current secret"
                    + " visitor={}", config.identifiedTokenTtl(), visitor.id());
            throw new Unauthorized("the site has not signed this visitor in for too long, or with its current"
                    + " secret: start a new session with its identity");
        }
        return viewer;
    }

    /** The visitor a socket ticket names; empty when the ticket is forged or expired. */
    Optional<Viewer> byTicket(String ticket) {
        return tickets.verify(ticket)
                .flatMap(parsed -> visitors.byIdWithToken(database.sql(), parsed.visitorId())
                        // A ticket of a token retired since (a logout, a replaced visitor) opens nothing.
                        .filter(found -> tickets.issuedFor(parsed, found.tokenHash()))
                        .map(VisitorRepository.WithToken::visitor))
                .map(this::viewer)
                .filter(viewer -> viewer.visitor().provenSince(clock.instant(), config.identifiedTokenTtl(),
                        viewer.site().settings().proofKey()));
    }

    Viewer viewer(Visitor visitor) {
        Site site = sites.byInbox(visitor.inboxId())
                .orElseThrow(() -> new Conflict("this chat widget was disabled or removed"));
        return new Viewer(visitor, site, visitors.thread(database.sql(), visitor).orElse(null));
    }

    /** Re-reads where a viewer's thread is (after a merge moved it). */
    void refresh(Viewer viewer) {
        Long before = viewer.conversationId();
        viewer.reread(visitors.thread(database.sql(), viewer.visitor()).orElse(null), before);
    }

    /** The pre-chat form: what the visitor typed is kept as claimed, and never opens an existing thread. */
    JsonObject profile(Viewer viewer, String name, String email, String phone) {
        WidgetSettings settings = viewer.site().settings();
        // The form's required fields hold for the form, asked once of an anonymous visitor: a signed-in customer
        // never sees it, and a later change (the email the offline form asks for) names only what it changes.
        for (WidgetSettings.PreChatField field : asksForm(viewer.visitor(), settings) ? settings.preChatFields()
                : List.<WidgetSettings.PreChatField>of()) {
            String value = switch (field.name()) {
                case "name" -> name;
                case "email" -> email;
                default -> phone;
            };
            if (field.required() && value == null) {
                throw Invalid.field(field.name(), "is required");
            }
        }
        JsonObject profile = new JsonObject().put("submittedAt", Instant.now(clock).toString());
        if (name != null) {
            profile.put("name", name.strip());
        }
        if (email != null) {
            profile.put("email", normalize(IdentityKind.EMAIL, email, "email"));
        }
        if (phone != null) {
            profile.put("phone", normalize(IdentityKind.PHONE, phone, "phone"));
        }
        Visitor updated = visitors.mergeProfile(database.sql(), viewer.workspaceId(), viewer.visitor().id(), profile);
        return visitorJson(updated, viewer.site().settings());
    }

    private static boolean resumable(Visitor visitor, Proof proof) {
        return switch (proof) {
            case Proven proven -> visitor.identified() && visitor.principalKind() == proven.kind()
                    && visitor.principalValue().equals(proven.value());
            case Anonymous anonymous -> !visitor.identified();
            case Claimed claimed -> !visitor.identified();
        };
    }

    private Visitor resume(Site site, Visitor visitor, Proof proof, JsonObject context) {
        Visitor touched = visitors.touch(database.sql(), visitor.workspaceId(), visitor.id(), context);
        if (proof instanceof Claimed claimed) {
            touched = visitors.mergeProfile(database.sql(), visitor.workspaceId(), visitor.id(), claimed.profile());
        } else if (proof instanceof Proven proven) {
            touched = visitors.proven(database.sql(), visitor.workspaceId(), visitor.id(), proven.identity(),
                    site.settings().proofKey());
        }
        return touched;
    }

    private Visitor create(Site site, Proof proof, String token, JsonObject context, String previousPublicId) {
        String publicId = "v_" + Tokens.random(12);
        IdentityKind kind = IdentityKind.WIDGET_VISITOR;
        String value = publicId;
        JsonObject identity = null;
        JsonObject profile = new JsonObject();
        switch (proof) {
            case Proven proven -> {
                kind = proven.kind();
                value = proven.value();
                identity = proven.identity();
                profile = proven.profile();
            }
            case Claimed claimed -> profile = claimed.profile();
            case Anonymous anonymous -> {
            }
        }
        return visitors.insert(database.sql(), site.workspaceId(), site.inbox().id(), publicId, Tokens.sha256(token),
                kind, value, identity, profile, context, previousPublicId, site.settings().proofKey());
    }

    private JsonObject answer(Site site, Visitor visitor, String token) {
        Instant now = Instant.now(clock);
        String ticket = tickets.issue(visitor.id(), Tokens.sha256(token));
        return new JsonObject()
                .put("visitorToken", token)
                .put("visitor", visitorJson(visitor, site.settings()))
                .put("socket", new JsonObject()
                        .put("url", "/widget/v1/ws?token=" + ticket)
                        .put("token", ticket)
                        .put("expiresAt", tickets.expiry(ticket).toString()))
                .put("heartbeatSeconds", Math.max(1, config.heartbeat().toSeconds()))
                .put("seq", position.getAsLong())
                .put("limits", new JsonObject().put("maxMessageChars", config.maxMessageChars())
                        .put("maxUploadSize", config.maxUploadSize())
                        .put("uploadTypes", new JsonArray(config.uploadTypes())))
                .put("settings", site.settings().publicJson(now));
    }

    static JsonObject visitorJson(Visitor visitor, WidgetSettings settings) {
        JsonObject identity = visitor.identity();
        JsonObject profile = visitor.profile();
        String email = identity != null && identity.getString("email") != null ? identity.getString("email")
                : profile.getString("email");
        return new JsonObject()
                .put("id", visitor.publicId())
                .put("previousId", visitor.previousPublicId())
                .put("identified", visitor.identified())
                .put("name", visitor.name())
                .put("email", email)
                .put("showPreChatForm", asksForm(visitor, settings));
    }

    /** Whether the visitor is shown the pre-chat form: anonymous, and not filled in yet. */
    private static boolean asksForm(Visitor visitor, WidgetSettings settings) {
        return settings.preChatEnabled() && !visitor.identified() && !visitor.profile().containsKey("submittedAt");
    }

    /**
     * A page on an allowed origin may start a session directly; the chat frame, served from this server, must
     * name the page that embeds it (which the browser told it, in postMessage's origin) and that page must be
     * allowed. The frame's own CSP frame-ancestors already keeps it out of every other page.
     */
    static void requireOrigin(Site site, String origin, String hostOrigin, Set<String> ownOrigins) {
        if (origin == null || origin.isBlank()) {
            throw new Forbidden("widget sessions start in a browser: the request carries no Origin header");
        }
        if (site.settings().allows(origin)) {
            return;
        }
        if (isOwn(origin, ownOrigins)) {
            if (hostOrigin != null && (site.settings().allows(hostOrigin) || isOwn(hostOrigin, ownOrigins))) {
                return;
            }
            throw new Forbidden("the page " + (hostOrigin == null ? "embedding the chat" : hostOrigin)
                    + " is not an allowed origin of this widget");
        }
        throw new Forbidden("the origin " + origin + " is not allowed to use this widget; add it to the widget"
                + " inbox's allowedOrigins");
    }

    static boolean isOwn(String origin, Set<String> ownOrigins) {
        return OriginPattern.origin(origin).map(o -> ownOrigins.contains(o.toString())).orElse(false);
    }

    private Proof proof(Site site, IdentityClaim claim) {
        if (claim == null) {
            return new Anonymous();
        }
        WidgetSettings settings = site.settings();
        String externalId = claim.externalId();
        // What is signed is what is stored: no padding to strip, and no newline to blur "externalId\nemail".
        if (externalId != null && (!externalId.equals(externalId.strip())
                || externalId.chars().anyMatch(Character::isISOControl) || externalId.isEmpty())) {
            throw Invalid.field("identity.externalId", "must be non-empty, without control characters or"
                    + " surrounding spaces");
        }
        String email = claim.email() == null ? null : normalize(IdentityKind.EMAIL, claim.email(), "identity.email");
        String name = claim.name() == null ? null : claim.name().strip();
        if (claim.hmac() != null) {
            if (externalId == null && email == null) {
                throw Invalid.field("identity", "a signed identity needs an externalId or an email");
            }
            boolean typed = settings.hmacVersion() == 2;
            if (!IdentitySignature.verify(settings.identitySecret(), claim.externalId(), claim.email(),
                    claim.hmac(), typed)) {
                log.info("widget identity refused: hmac does not match inbox={} typed={}", site.inbox().id(), typed);
                throw new Forbidden(typed ? "the identity's hmac does not match: this widget takes typed"
                        + " signatures only, \"v2=\" followed by the hex HMAC-SHA256 of \"v2\", the externalId and the"
                        + " email on three lines (an absent one empty)"
                        : "the identity's hmac does not match: sign the externalId (or the email, or both joined by"
                        + " a newline) with the widget's identity secret");
            }
            if (email != null && !email.equals(claim.email())) {
                // Signed as typed, stored as normalized ("Anna@Example.com" becomes anna@example.com): a site
                // telling those apart as two accounts would have proven someone else's address. Only an address
                // signed as it is stored is proven; this one is kept as the visitor's claim.
                log.info("widget identity email not proven: signed other than in its normal form (lower case, no"
                        + " spaces or mailto:) inbox={}", site.inbox().id());
                JsonObject profile = new JsonObject().put("email", email);
                if (name != null) {
                    profile.put("name", name);
                }
                if (externalId == null) {
                    return new Claimed(profile);
                }
                return new Proven(IdentityKind.EXTERNAL_ID, externalId, new JsonObject().put("externalId", externalId)
                        .put("name", name), profile);
            }
            JsonObject identity = new JsonObject().put("externalId", externalId).put("email", email)
                    .put("name", name);
            return externalId != null ? new Proven(IdentityKind.EXTERNAL_ID, externalId, identity, new JsonObject())
                    : new Proven(IdentityKind.EMAIL, email, identity, new JsonObject());
        }
        if (settings.hmacRequired()) {
            log.info("widget identity refused: unsigned while hmacRequired inbox={}", site.inbox().id());
            throw new Forbidden("this widget accepts only signed identities: pass identity.hmac");
        }
        JsonObject profile = new JsonObject();
        if (name != null) {
            profile.put("name", name);
        }
        if (email != null) {
            profile.put("email", email);
        }
        if (externalId != null) {
            profile.put("externalId", externalId);
        }
        return profile.isEmpty() ? new Anonymous() : new Claimed(profile);
    }

    private static String normalize(IdentityKind kind, String value, String field) {
        try {
            return Identities.normalize(kind, value);
        } catch (Invalid e) {
            throw Invalid.field(field, "'" + value.strip() + "' is not a valid " + kind.wireName());
        }
    }

    /** Forgets idle rate-limit buckets. */
    void sweep() {
        newSessions.sweep();
        resumes.sweep();
    }
}
