package io.throughline.widget;

import io.throughline.attachment.Attachment;
import io.throughline.attachment.AttachmentService;
import io.throughline.failure.Forbidden;
import io.throughline.failure.Invalid;
import io.throughline.failure.NotFound;
import io.throughline.failure.ThroughlineException;
import io.throughline.failure.TooManyRequests;
import io.throughline.failure.Unavailable;
import io.throughline.http.ClientAddress;
import io.throughline.http.Endpoints;
import io.throughline.http.JsonBody;
import io.throughline.http.Params;
import io.throughline.http.Reply;
import io.throughline.http.UploadGuard;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.FileUpload;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The visitor API under {@code /widget/v1/}: sessions, the WebSocket, the HTTP fallback (send, long poll),
 * uploads and downloads, typing, receipts and the pre-chat form. Visitor calls authenticate with
 * {@code Authorization: Bearer <visitor token>}; CORS answers pages on any allowed origin (no cookies are ever
 * used, so no credentials are allowed).
 */
final class WidgetRoutes {

    private static final Logger log = LoggerFactory.getLogger(WidgetRoutes.class);
    /** A long poll's tab id: the late events offered to a poll are noted per visitor, resume point and tab. */
    private static final Pattern TAB = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private final WidgetChannel channel;
    private final ClientAddress clients;
    private final long maxBody;
    private final Path uploadDir;
    private final RateLimiter uploadsPerIp;

    WidgetRoutes(WidgetChannel channel, ClientAddress clients, long maxBody, Path uploadDir) {
        this.channel = channel;
        this.clients = clients;
        this.maxBody = maxBody;
        this.uploadDir = uploadDir;
        this.uploadsPerIp = new RateLimiter(Clock.systemUTC(), channel.settings().messagesPerIp(),
                channel.settings().rateWindow());
    }

    /** Forgets the upload counts of addresses that went quiet. */
    void sweep() {
        uploadsPerIp.sweep();
    }

    void mount(Router router, Endpoints endpoints) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBody);
        router.route("/widget/v1/*").handler(this::cors);
        router.get("/widget/v1/config").handler(endpoints.open(this::config));
        router.post("/widget/v1/sessions").handler(body).handler(endpoints.open(this::session));
        router.get("/widget/v1/ws").handler(this::socket);
        router.post("/widget/v1/messages").handler(body).handler(endpoints.open(this::send));
        router.get("/widget/v1/messages").handler(rc -> {
            if (rc.queryParams().contains("since")) {
                poll(rc, endpoints);
            } else {
                endpoints.open(this::history).handle(rc);
            }
        });
        BodyHandler uploads = BodyHandler.create(uploadDir.toString())
                .setBodyLimit(channel.settings().maxUploadSize() + 64 * 1024)
                .setDeleteUploadedFilesOnEnd(true).setHandleFileUploads(true);
        // The token's presence and the per-IP limit are checked first.
        router.post("/widget/v1/uploads").handler(UploadGuard.requiring(UploadGuard::hasBearer,
                "send the visitor token as Authorization: Bearer <token>"));
        router.post("/widget/v1/uploads").handler(this::limitUploads);
        // The token itself, and the body's form, before a byte of it is read (the upload checks the token again).
        router.post("/widget/v1/uploads").handler(UploadGuard.checkedBeforeBody(endpoints,
                request -> channel.visitors().authenticate(request.getHeader("Authorization"))));
        router.post("/widget/v1/uploads").handler(uploads).handler(endpoints.open(this::upload));
        router.get("/widget/v1/attachments/:id").handler(endpoints.open(this::download));
        router.post("/widget/v1/typing").handler(body).handler(endpoints.open(this::typing));
        router.post("/widget/v1/seen").handler(body).handler(endpoints.open(this::seen));
        router.post("/widget/v1/profile").handler(body).handler(endpoints.open(this::profile));
        router.route("/widget/v1/*").handler(rc -> rc.fail(404));
    }

    /** CORS for pages of allowed origins, and no caching of visitor data anywhere. */
    private void cors(RoutingContext rc) {
        rc.response().putHeader("Cache-Control", "no-store");
        String origin = rc.request().getHeader("Origin");
        boolean allowed = origin != null && (channel.sites().anyAllows(origin)
                || VisitorService.isOwn(origin, ownOrigins(rc)));
        if (allowed) {
            rc.response().putHeader("Access-Control-Allow-Origin", origin).putHeader("Vary", "Origin");
        }
        if (rc.request().method() == HttpMethod.OPTIONS) {
            if (allowed) {
                rc.response().putHeader("Access-Control-Allow-Methods", "GET, POST")
                        .putHeader("Access-Control-Allow-Headers", "Authorization, Content-Type")
                        .putHeader("Access-Control-Max-Age", "600");
            }
            rc.response().setStatusCode(allowed ? 204 : 403).end();
            return;
        }
        rc.next();
    }

    /** What the loader needs before it draws the launcher: the widget's public settings. */
    private Reply config(RoutingContext rc) {
        String siteKey = Params.query(rc, "siteKey");
        if (siteKey == null) {
            throw Invalid.field("siteKey", "is required");
        }
        Site site = channel.sites().bySiteKey(siteKey, clients.ip(rc.request()))
                .orElseThrow(() -> new NotFound("no widget with this siteKey"));
        String origin = rc.request().getHeader("Origin");
        if (origin != null && !site.settings().allows(origin) && !VisitorService.isOwn(origin, ownOrigins(rc))) {
            log.info("widget refused on a page of another origin inbox={} origin={}", site.inbox().id(), origin);
            throw new Forbidden("the origin " + origin + " is not allowed to show this widget");
        }
        return Reply.ok(site.settings().publicJson(Instant.now())
                .put("frameUrl", "/widget/v1/frame?siteKey=" + encode(siteKey)));
    }

    private Reply session(RoutingContext rc) {
        JsonBody json = JsonBody.of(rc);
        String siteKey = json.requiredString("siteKey", 100);
        String token = json.optionalString("visitorToken", 200);
        String hostOrigin = json.optionalString("hostOrigin", 300);
        String pageUrl = json.optionalStringCut("pageUrl", 2000);
        String pageTitle = json.optionalStringCut("pageTitle", 300);
        String locale = json.optionalString("locale", 35);
        boolean reset = Boolean.TRUE.equals(json.optionalBoolean("reset"));
        JsonObject identityJson = json.optionalObject("identity");
        VisitorService.IdentityClaim identity = null;
        if (identityJson != null) {
            JsonBody claim = JsonBody.wrap(identityJson);
            identity = new VisitorService.IdentityClaim(claim.optionalId("externalId", 255),
                    claim.optionalString("email", 320), claim.optionalString("name", 200),
                    claim.optionalString("hmac", 128));
            json.absorb("identity.", claim);
        }
        json.validate();
        String userAgent = rc.request().getHeader("User-Agent");
        JsonObject context = new JsonObject().put("pageUrl", pageUrl).put("pageTitle", pageTitle)
                .put("locale", locale).put("hostOrigin", hostOrigin)
                .put("userAgent", userAgent == null ? null : userAgent.substring(0, Math.min(500, userAgent.length())))
                .put("ip", clients.ip(rc.request()));
        VisitorService.Session session = channel.visitors().start(new VisitorService.SessionRequest(siteKey, token,
                identity, rc.request().getHeader("Origin"), hostOrigin, ownOrigins(rc), clients.ip(rc.request()),
                context, reset));
        return (session.created() ? Reply.created(session.json()) : Reply.ok(session.json()))
                .header("Cache-Control", "no-store");
    }

    /** The visitor WebSocket. Refusals after the upgrade carry a close code the frame can act on. */
    private void socket(RoutingContext rc) {
        if (!"websocket".equalsIgnoreCase(rc.request().getHeader("Upgrade"))) {
            rc.fail(new Invalid("this endpoint is a WebSocket: connect with Upgrade: websocket"));
            return;
        }
        if (!channel.settings().webSocket()) {
            rc.fail(new Forbidden("WebSockets are turned off on this server: use the HTTP fallback"));
            return;
        }
        if (channel.stopping()) {
            rc.fail(shuttingDown());
            return;
        }
        String ticket = Params.query(rc, "token");
        long since;
        try {
            since = Params.sinceSeq(rc);
        } catch (Invalid e) {
            rc.fail(e);
            return;
        }
        String origin = rc.request().getHeader("Origin");
        Set<String> own = ownOrigins(rc);
        String ip = clients.ip(rc.request());
        Context context = Vertx.currentContext();
        rc.request().pause();
        channel.executor().execute(() -> {
            Viewer viewer = null;
            short refusal = 0;
            String reason = null;
            try {
                viewer = channel.visitors().byTicket(ticket).orElse(null);
                if (viewer == null) {
                    refusal = SocketStream.SESSION_ENDED;
                    reason = "the socket token is invalid or expired: start a session again";
                } else if (origin != null && !viewer.site().settings().allows(origin)
                        && !VisitorService.isOwn(origin, own)) {
                    refusal = SocketStream.GONE;
                    reason = "this origin may not use this widget";
                } else if (!channel.allowSignal(viewer)
                        || !channel.hub().reserveSocket(viewer.publicId(), SocketStream.MAX_PER_VISITOR)) {
                    // Each connect reads the log to catch up: a token from a public site key must not loop on it,
                    // nor hold thousands of sockets.
                    refusal = SocketStream.TOO_MANY;
                    reason = "too many connections from this chat: close other tabs, or wait a moment";
                }
            } catch (ThroughlineException e) {
                refusal = SocketStream.GONE;
                reason = e.getMessage();
            } catch (RuntimeException e) {
                log.warn("widget socket could not load its visitor: {}", e.toString());
                refusal = 1011;
                reason = "server error: reconnect";
            }
            Viewer accepted = viewer;
            short code = refusal;
            String why = reason;
            context.runOnContext(v -> rc.request().toWebSocket().onComplete(ar -> {
                if (ar.failed()) {
                    log.debug("widget socket upgrade failed: {}", ar.cause().getMessage());
                    if (code == 0) {
                        channel.hub().releaseSocket(accepted.publicId());
                    }
                    return;
                }
                ServerWebSocket socket = ar.result();
                if (code != 0) {
                    log.info("widget socket refused code={} reason={}", code, why);
                    socket.close(code, why);
                    return;
                }
                SocketStream stream = new SocketStream(socket, accepted, channel, since, ip, channel.executor());
                stream.listen();
                channel.executor().execute(() -> {
                    stream.start(since);
                    // A logout that ended the visitor, or a new identity secret that ended its proof, between the
                    // ticket's check and this registration was told to no stream of it: checked again now that the
                    // stream hears the next one.
                    try {
                        if (channel.visitors().byTicket(ticket).isEmpty()) {
                            stream.end();
                        }
                    } catch (ThroughlineException e) {
                        stream.end(); // the widget was disabled or removed meanwhile
                    } catch (RuntimeException e) {
                        log.debug("widget socket ticket not checked again visitor={}: {}",
                                accepted.visitor().id(), e.toString());
                    }
                });
            }));
        });
    }

    private Reply send(RoutingContext rc) {
        Viewer viewer = channel.visitors().authenticate(rc.request().getHeader("Authorization"));
        VisitorMessages.Outgoing message = channel.messages().parse(JsonBody.of(rc).raw());
        VisitorMessages.Ack ack = channel.messages().send(viewer, message, clients.ip(rc.request()));
        JsonObject answer = ack.toJson();
        return ack.duplicate() ? Reply.ok(answer) : Reply.created(answer);
    }

    // The fallback endpoints take one of the visitor's signals (240 a minute, 429 beyond), as socket frames do: a
    // token from a public site key must not make the server write typing signals, receipts or claimed identities,
    // or read history, without bound. Downloads do not: a thread of screenshots, shown again on every page of the
    // site, would use up the chat's signals.

    private Reply history(RoutingContext rc) {
        Viewer viewer = channel.visitors().authenticate(rc.request().getHeader("Authorization"));
        channel.signal(viewer);
        Long before = Params.queryLong(rc, "before");
        int limit = Params.queryInt(rc, "limit", 50, 1, 100);
        return Reply.ok(channel.messages().history(viewer, before, limit));
    }

    /** The HTTP fallback's long poll: answered by {@link PollStream} when news comes or the wait is over. */
    private void poll(RoutingContext rc, Endpoints endpoints) {
        long since;
        long waitMs;
        String tab;
        try {
            Long given = Params.queryLong(rc, "since");
            if (given == null || given < 0) {
                throw Invalid.field("since", "must be the seq of the last answer (0 or more)");
            }
            since = given;
            waitMs = Params.queryInt(rc, "wait", (int) channel.settings().longPoll().toSeconds(), 0, 60) * 1000L;
            tab = Params.query(rc, "tab");
            if (tab != null && !TAB.matcher(tab).matches()) {
                throw Invalid.field("tab", "must be 1 to 64 letters, digits, '-' or '_' (an id the tab chose)");
            }
        } catch (Invalid e) {
            rc.fail(e);
            return;
        }
        if (channel.stopping()) {
            rc.fail(shuttingDown());
            return;
        }
        Context context = Vertx.currentContext();
        String authorization = rc.request().getHeader("Authorization");
        endpoints.blocking(rc, () -> {
            try {
                Viewer viewer = channel.visitors().authenticate(authorization);
                channel.signal(viewer);
                // Open polls are counted per visitor, as sockets are: each catch-up reads the log, and a token from
                // a public site key must not hold thousands of them open at once.
                if (!channel.hub().reservePoll(viewer.publicId(), PollStream.MAX_PER_VISITOR)) {
                    throw new TooManyRequests("too many connections from this chat: close other tabs, or wait a"
                            + " moment", Duration.ofSeconds(5));
                }
                PollStream poll = new PollStream(rc, context, viewer, channel, since, tab);
                try {
                    poll.start(since, waitMs);
                } catch (RuntimeException e) {
                    poll.releaseSlot();
                    throw e;
                }
            } catch (RuntimeException e) {
                context.runOnContext(v -> rc.fail(e));
            }
        });
    }

    private static Unavailable shuttingDown() {
        return new Unavailable("this server is shutting down: try again in a moment", Duration.ofSeconds(1));
    }

    private void limitUploads(RoutingContext rc) {
        try {
            uploadsPerIp.acquire(ClientAddress.limitKey(clients.ip(rc.request())),
                    "too many uploads from this address; wait a moment");
            rc.next();
        } catch (TooManyRequests e) {
            rc.fail(e);
        }
    }

    private Reply upload(RoutingContext rc) {
        Viewer viewer = channel.visitors().authenticate(rc.request().getHeader("Authorization"));
        List<FileUpload> files = rc.fileUploads();
        if (files.size() != 1) {
            throw Invalid.field("file", "send exactly one file as multipart/form-data field 'file'");
        }
        FileUpload file = files.getFirst();
        return Reply.created(channel.uploads().upload(viewer, Path.of(file.uploadedFileName()), file.fileName(),
                file.contentType()));
    }

    private Reply download(RoutingContext rc) {
        Viewer viewer = channel.visitors().authenticate(rc.request().getHeader("Authorization"));
        AttachmentService.Download download = channel.messages().attachment(viewer, Params.pathId(rc, "id"));
        Attachment attachment = download.attachment();
        String type = attachment.contentType().toLowerCase(Locale.ROOT).split(";")[0].strip();
        boolean inline = Uploads.INLINE_IMAGES.contains(type);
        return Reply.file(download.path())
                .header("Content-Type", inline ? type : "application/octet-stream")
                .header("Content-Disposition", (inline ? "inline" : "attachment") + "; filename*=UTF-8''"
                        + encode(attachment.filename()))
                .header("Content-Security-Policy", "default-src 'none'; sandbox")
                // Taken as the type it is sent with (the agent API's downloads say the same), never sniffed.
                .header("X-Content-Type-Options", "nosniff")
                // Never kept by the browser: a signed-in customer's files must not outlive a sign-out on a shared
                // computer (the frame keeps what it shows in memory).
                .header("Cache-Control", "no-store");
    }

    private Reply typing(RoutingContext rc) {
        Viewer viewer = channel.visitors().authenticate(rc.request().getHeader("Authorization"));
        channel.signal(viewer);
        JsonBody json = JsonBody.of(rc);
        Boolean typing = json.optionalBoolean("typing");
        if (typing == null) {
            json.error("typing", "is required: true or false");
        }
        json.validate();
        channel.visitorTyping(viewer, typing);
        return Reply.noContent();
    }

    private Reply seen(RoutingContext rc) {
        Viewer viewer = channel.visitors().authenticate(rc.request().getHeader("Authorization"));
        channel.signal(viewer);
        JsonBody json = JsonBody.of(rc);
        Long messageId = json.optionalLong("messageId");
        if (messageId == null) {
            json.error("messageId", "is required");
        }
        json.validate();
        channel.receipts().seen(viewer, messageId);
        return Reply.noContent();
    }

    private Reply profile(RoutingContext rc) {
        Viewer viewer = channel.visitors().authenticate(rc.request().getHeader("Authorization"));
        channel.signal(viewer);
        JsonBody json = JsonBody.of(rc);
        String name = json.optionalString("name", 200);
        String email = json.optionalString("email", 320);
        String phone = json.optionalString("phone", 40);
        json.validate();
        JsonObject visitor = channel.visitors().profile(viewer, name, email, phone);
        channel.messages().claimProfile(viewer, email, phone);
        return Reply.ok(new JsonObject().put("visitor", visitor));
    }

    /** This server's own origins: the configured public URL, and the host the request came to. */
    private Set<String> ownOrigins(RoutingContext rc) {
        Set<String> own = new LinkedHashSet<>();
        URI configured = channel.publicUrl().get();
        if (configured != null) {
            OriginPattern.origin(configured.getScheme() + "://" + configured.getAuthority())
                    .ifPresent(o -> own.add(o.toString()));
        }
        String host = rc.request().getHeader("Host");
        if (host != null) {
            String scheme = clients.secure(rc.request()) ? "https" : "http";
            Optional<OriginPattern> requested = OriginPattern.origin(scheme + "://" + host);
            requested.ifPresent(o -> own.add(o.toString()));
        }
        return own;
    }

    private static String encode(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
