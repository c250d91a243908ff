package io.throughline.agent;

import io.throughline.config.ThroughlineConfig;
import io.throughline.failure.Conflict;
import io.throughline.failure.Invalid;
import io.throughline.failure.Unauthorized;
import io.throughline.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Logs agents in and out and resolves a session token to its {@link Caller}. */
public final class AuthService {

    private static final Logger log = LoggerFactory.getLogger(AuthService.class);
    /** A session's expiry is pushed forward at most this often, not on every request. */
    private static final Duration TOUCH_EVERY = Duration.ofMinutes(1);

    private final Database database;
    private final AgentRepository agents;
    private final SessionRepository sessions;
    private final LoginThrottle throttle;
    private final Duration ttl;
    private final Duration maxAge;
    private final Clock clock;

    public AuthService(Database database, AgentRepository agents, SessionRepository sessions,
                       ThroughlineConfig.Auth config, byte[] throttleSecret, Clock clock) {
        this.database = database;
        this.agents = agents;
        this.sessions = sessions;
        this.ttl = config.sessionTtl();
        this.maxAge = config.sessionMaxAge();
        this.clock = clock;
        this.throttle = new LoginThrottle(database, throttleSecret, config.loginWindow(), config.attemptsPerIp(),
                config.attemptsPerAccount());
    }

    /** Housekeeping: drops login attempts past the throttle's window. */
    public int forgetOldLoginAttempts() {
        return throttle.forgetOld();
    }

    /** A new session: the bearer token (also the cookie value) and its CSRF token. */
    public record Login(String token, String csrfToken, Agent agent) {
    }

    public Login login(String email, String password, String ip, String userAgent) {
        // The address as PostgreSQL folds it keys the account's count, as it finds the account: Java's folding can
        // differ (a Turkish İ), and every spelling that reaches one account must share its budget. Folded the same
        // way whether an account has it or not, so a 429 never tells which addresses are accounts.
        String account = agents.folded(database.sql(), email);
        LoginThrottle.Attempt attempt = throttle.attempt(ip, account);
        Optional<AgentRepository.Credentials> found = agents.credentials(database.sql(), email);
        boolean ok;
        if (found.isEmpty()) {
            Passwords.burnVerification(password);
            ok = false;
        } else {
            // The hash is checked first, so a deactivated account answers no faster than an active one.
            ok = Passwords.matches(password, found.get().passwordHash()) && found.get().agent().active();
        }
        if (!ok) {
            // The attempt already counts against the account (LoginThrottle.attempt): nothing more to record.
            log.info("login failed ip={} known={}", ip, found.isPresent());
            throw new Unauthorized("wrong email or password");
        }
        throttle.succeeded(attempt);
        Agent agent = found.get().agent();
        String token = Tokens.random(32);
        String csrf = Tokens.random(24);
        if (!sessions.insert(database.sql(), Tokens.sha256(token), agent, found.get().passwordHash(), csrf,
                sessionTtl(), ip, truncate(userAgent))) {
            // The password was reset, or the agent deactivated, while this one was checked.
            log.info("login raced a password reset or a deactivation agent={} ip={}", agent.id(), ip);
            throw new Unauthorized("wrong email or password");
        }
        log.info("login agent={} workspace={} ip={}", agent.id(), agent.workspaceId(), ip);
        return new Login(token, csrf, agent);
    }

    /**
     * An agent changes their own password: the current one is checked as a login is (and counts against the same
     * budget, so a session left open is no way to guess it), and their other sessions end.
     */
    public void changePassword(Caller caller, String token, String current, String next, String ip) {
        Agent me = agents.find(database.sql(), caller.workspaceId(), caller.agentId())
                .orElseThrow(() -> new Unauthorized("this session's agent no longer exists"));
        LoginThrottle.Attempt attempt = throttle.attempt(ip, agents.folded(database.sql(), me.email()));
        String checked = agents.credentials(database.sql(), me.email()).map(AgentRepository.Credentials::passwordHash)
                .orElseThrow(() -> new Unauthorized("this session's agent no longer exists"));
        if (!Passwords.matches(current, checked)) {
            log.info("password change refused, the current password did not match agent={} ip={}", me.id(), ip);
            throw Invalid.field("currentPassword", "is not your current password");
        }
        throttle.succeeded(attempt);
        String hash = Passwords.hash(next);
        database.tx(tx -> {
            // Set only over the hash just checked: an admin's reset committing meanwhile is not undone.
            if (tx.update("UPDATE agents SET password_hash = $3, updated_at = now()"
                    + " WHERE workspace_id = $1 AND id = $2 AND password_hash = $4", me.workspaceId(), me.id(), hash,
                    checked) == 0) {
                throw new Conflict("your password was changed by someone else meanwhile: sign in again");
            }
            sessions.deleteForAgentExcept(tx, me.id(), Tokens.sha256(token));
            return null;
        });
        log.info("password changed by its agent agent={} workspace={} ip={}", me.id(), me.workspaceId(), ip);
    }

    public void logout(String token) {
        sessions.delete(database.sql(), Tokens.sha256(token));
    }

    /** The caller behind a token, or empty when it is unknown, expired, or its agent was deactivated. */
    public Optional<Caller> authenticate(String token, boolean viaCookie) {
        if (token == null || token.isBlank() || token.length() > 200) {
            return Optional.empty();
        }
        byte[] hash = Tokens.sha256(token);
        return sessions.find(database.sql(), hash, maxAge).map(session -> {
            if (session.lastUsedAt().plus(TOUCH_EVERY).isBefore(Instant.now(clock))) {
                sessions.touch(database.sql(), hash, ttl, maxAge);
            }
            Agent agent = session.agent();
            return new Caller(agent.id(), agent.workspaceId(), agent.role(), agent.name(), viaCookie,
                    session.csrfToken());
        });
    }

    /** How long a new session lives unused: its idle lifetime, or its maximum age when that is shorter. */
    public Duration sessionTtl() {
        return ttl.compareTo(maxAge) < 0 ? ttl : maxAge;
    }

    /**
     * How long the browser keeps the session's cookies: the session's maximum age, as each use slides the session
     * on (up to that age) without setting the cookie again. The server decides when the session ends; a cookie
     * kept only for the idle lifetime signed out, on day 14, an agent who worked every day.
     */
    public Duration cookieLifetime() {
        return maxAge;
    }

    private static String truncate(String userAgent) {
        return userAgent == null || userAgent.length() <= 300 ? userAgent : userAgent.substring(0, 300);
    }
}
