package io.throughline.http;

import io.throughline.agent.AuthService;
import io.throughline.agent.Caller;
import io.throughline.agent.Tokens;
import io.throughline.failure.Forbidden;
import io.throughline.failure.Unauthorized;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the agent behind a request: {@code Authorization: Bearer <token>} first, then the session cookie. A
 * cookie-authenticated write must also carry the session's CSRF token in {@code X-CSRF-Token} (a bearer token
 * cannot be sent by a forged cross-site form, a cookie can).
 */
public final class Authenticator {

    public static final String SESSION_COOKIE = "tl_session";
    public static final String CSRF_COOKIE = "tl_csrf";
    public static final String CSRF_HEADER = "X-CSRF-Token";
    private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

    private final AuthService auth;

    public Authenticator(AuthService auth) {
        this.auth = auth;
    }

    /** The caller, or {@link Unauthorized}; blocks on the session lookup. */
    public Caller require(HttpServerRequest request) {
        Caller caller = find(request).orElseThrow(() -> new Unauthorized(
                "log in first: POST /api/v1/auth/login, then send the token as Authorization: Bearer <token>"
                        + " or the session cookie"));
        if (caller.viaCookie() && !SAFE.contains(request.method())
                && !Tokens.constantTimeEquals(caller.csrfToken(), request.getHeader(CSRF_HEADER))) {
            throw new Forbidden("a cookie-authenticated " + request.method() + " needs the " + CSRF_HEADER
                    + " header from the login answer");
        }
        return caller;
    }

    public Optional<Caller> find(HttpServerRequest request) {
        Optional<String> bearer = BearerToken.of(request.getHeader("Authorization"));
        if (bearer.isPresent()) {
            return auth.authenticate(bearer.get(), false);
        }
        Cookie cookie = request.getCookie(SESSION_COOKIE);
        return cookie == null ? Optional.empty() : auth.authenticate(cookie.getValue(), true);
    }

    /** The session token a request carries, for logout. */
    public static Optional<String> token(HttpServerRequest request) {
        return BearerToken.of(request.getHeader("Authorization"))
                .or(() -> Optional.ofNullable(request.getCookie(SESSION_COOKIE)).map(Cookie::getValue));
    }
}
