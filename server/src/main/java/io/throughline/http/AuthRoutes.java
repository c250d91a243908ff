package io.throughline.http;

import io.throughline.agent.AuthService;
import io.throughline.agent.Passwords;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.util.function.Supplier;

/** {@code /api/v1/auth}: log in (cookie and bearer token), log out, who am I. */
final class AuthRoutes {

    private static final int MAX_EMAIL = 320;
    private static final int MAX_PASSWORD = 1024;

    private final AuthService auth;
    private final ClientAddress clients;
    private final Supplier<URI> publicUrl;

    AuthRoutes(AuthService auth, ClientAddress clients, Supplier<URI> publicUrl) {
        this.auth = auth;
        this.clients = clients;
        this.publicUrl = publicUrl;
    }

    /**
     * Whether the session cookies are marked Secure: the request came over TLS, as the connection or a trusted
     * proxy says, or it names the host of an https public URL. Throughline serves no TLS itself, so a browser that
     * reached that name came through a TLS proxy, even one {@code http.trustProxy} does not name: without this its
     * cookies went out without Secure, for a plain-http request to that name to carry. A request to another name
     * (the server's own address on the LAN, during setup) gets them without: a browser drops a Secure cookie sent
     * over plain http, and the sign-in would fail without a word.
     */
    private boolean secure(HttpServerRequest request) {
        if (clients.secure(request)) {
            return true;
        }
        URI configured = publicUrl.get();
        HostAndPort authority = request.authority();
        return "https".equalsIgnoreCase(configured.getScheme()) && authority != null
                && authority.host().equalsIgnoreCase(configured.getHost());
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.post("/api/v1/auth/login").handler(body).handler(endpoints.open(rc -> {
            JsonBody json = JsonBody.of(rc);
            String email = json.requiredString("email", MAX_EMAIL);
            String password = json.requiredString("password", MAX_PASSWORD);
            json.validate();
            AuthService.Login login = auth.login(email.strip(), password, clients.ip(rc.request()),
                    rc.request().getHeader("User-Agent"));
            boolean secure = secure(rc.request());
            long maxAge = auth.cookieLifetime().toSeconds();
            return Reply.ok(new JsonObject()
                            .put("token", login.token())
                            .put("csrfToken", login.csrfToken())
                            .put("agent", login.agent().toJson()))
                    .header("Cache-Control", "no-store")
                    .cookie(Cookie.cookie(Authenticator.SESSION_COOKIE, login.token()).setHttpOnly(true)
                            .setSameSite(CookieSameSite.LAX).setSecure(secure).setPath("/").setMaxAge(maxAge))
                    .cookie(Cookie.cookie(Authenticator.CSRF_COOKIE, login.csrfToken()).setHttpOnly(false)
                            .setSameSite(CookieSameSite.LAX).setSecure(secure).setPath("/").setMaxAge(maxAge));
        }));
        router.post("/api/v1/auth/logout").handler(endpoints.agent(call -> {
            Authenticator.token(call.rc().request()).ifPresent(auth::logout);
            boolean secure = secure(call.rc().request());
            return Reply.noContent()
                    .cookie(expired(Authenticator.SESSION_COOKIE, true, secure))
                    .cookie(expired(Authenticator.CSRF_COOKIE, false, secure));
        }));
        router.post("/api/v1/auth/password").handler(body).handler(endpoints.agent(call -> {
            JsonBody json = call.body();
            String current = json.requiredString("currentPassword", MAX_PASSWORD);
            String next = json.requiredString("newPassword", MAX_PASSWORD);
            if (next != null && next.length() < Passwords.MIN_LENGTH) {
                json.error("newPassword", "must have at least " + Passwords.MIN_LENGTH + " characters");
            }
            json.validate();
            auth.changePassword(call.caller(), Authenticator.token(call.rc().request()).orElseThrow(), current, next,
                    clients.ip(call.rc().request()));
            return Reply.noContent();
        }));
        router.get("/api/v1/auth/me").handler(endpoints.agent(call -> Reply.ok(new JsonObject()
                .put("agentId", call.caller().agentId())
                .put("workspaceId", call.caller().workspaceId())
                .put("name", call.caller().name())
                .put("role", call.caller().role().wireName())
                .put("csrfToken", call.caller().viaCookie() ? call.caller().csrfToken() : null))));
    }

    private static Cookie expired(String name, boolean httpOnly, boolean secure) {
        return Cookie.cookie(name, "").setHttpOnly(httpOnly).setSameSite(CookieSameSite.LAX).setSecure(secure)
                .setPath("/").setMaxAge(0);
    }
}
