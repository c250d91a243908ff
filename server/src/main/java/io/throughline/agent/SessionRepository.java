package io.throughline.agent;

import io.throughline.store.Sql;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Agent sessions, stored by the SHA-256 of their token. Ending sessions tells every node on {@value #ENDED_CHANNEL},
 * with the agent's id, so their open streams check their session at once rather than at their next heartbeat. The
 * NOTIFY is sent by the deleting transaction, so it is heard only once the sessions are gone; ending sessions is
 * rare (a logout, a deactivation, a new password), so the lock a NOTIFY takes at commit costs nothing that matters.
 */
public final class SessionRepository {

    /** The LISTEN/NOTIFY channel of ended sessions; its payload is the agent's id. */
    public static final String ENDED_CHANNEL = "throughline_session_ended";
    /** Deletes the sessions a condition on {@code agent_sessions} picks, and tells the nodes whose they were. */
    private static final String DELETE_AND_TELL = """
            WITH gone AS (DELETE FROM agent_sessions WHERE %s RETURNING agent_id)
            SELECT pg_notify($2, agent_id::text) FROM (SELECT DISTINCT agent_id FROM gone) ended""";

    /** A valid session and its agent. */
    public record Session(Agent agent, String csrfToken, Instant lastUsedAt) {
    }

    /**
     * Starts a session for an agent whose password was checked against {@code checkedHash}, when that is still
     * their password and they are still active; false when not. The agent's row is share-locked, so a password
     * reset or a deactivation committing while the password was checked (which ends the agent's sessions) cannot
     * miss this one: the insert waits for it, then finds the hash changed.
     */
    public boolean insert(Sql sql, byte[] tokenHash, Agent agent, String checkedHash, String csrfToken,
                          Duration lifetime, String ip, String userAgent) {
        return sql.update("""
                INSERT INTO agent_sessions (token_hash, agent_id, workspace_id, csrf_token, ip, user_agent, expires_at)
                SELECT $1, a.id, a.workspace_id, $4, $5, $6, now() + make_interval(secs => $7)
                FROM agents a
                WHERE a.id = $2 AND a.workspace_id = $3 AND a.active AND a.password_hash = $8
                FOR SHARE""",
                Buffer.buffer(tokenHash), agent.id(), agent.workspaceId(), csrfToken, ip,
                userAgent, (double) lifetime.toSeconds(), checkedHash) == 1;
    }

    /** The session, when it exists, has not expired nor outlived {@code maxAge}, and its agent is active. */
    public Optional<Session> find(Sql sql, byte[] tokenHash, Duration maxAge) {
        return sql.one("""
                SELECT a.id, a.workspace_id, a.email, a.name, a.role, a.active, a.created_at,
                       s.csrf_token, s.last_used_at
                FROM agent_sessions s JOIN agents a ON a.id = s.agent_id
                WHERE s.token_hash = $1 AND s.expires_at > now() AND a.active
                  AND s.created_at > now() - make_interval(secs => $2)""",
                Buffer.buffer(tokenHash), (double) maxAge.toSeconds())
                .map(row -> new Session(Agent.from(row), row.getString("csrf_token"),
                        row.getOffsetDateTime("last_used_at").toInstant()));
    }

    /**
     * Slides the expiry forward, up to {@code maxAge} after the login: a token in constant use (a script, a stream
     * left open) still ends, so a leaked one does not work for ever.
     */
    public void touch(Sql sql, byte[] tokenHash, Duration ttl, Duration maxAge) {
        sql.update("""
                UPDATE agent_sessions SET last_used_at = now(),
                    expires_at = least(now() + make_interval(secs => $2), created_at + make_interval(secs => $3))
                WHERE token_hash = $1""", Buffer.buffer(tokenHash), (double) ttl.toSeconds(),
                (double) maxAge.toSeconds());
    }

    public void delete(Sql sql, byte[] tokenHash) {
        sql.rows(DELETE_AND_TELL.formatted("token_hash = $1"), Buffer.buffer(tokenHash), ENDED_CHANNEL);
    }

    public void deleteForAgent(Sql sql, long agentId) {
        sql.rows(DELETE_AND_TELL.formatted("agent_id = $1"), agentId, ENDED_CHANNEL);
    }

    /** Ends the agent's sessions but the one they act from (a password they changed themselves). */
    public void deleteForAgentExcept(Sql sql, long agentId, byte[] keptTokenHash) {
        sql.rows(DELETE_AND_TELL.formatted("agent_id = $1 AND token_hash <> $3"), agentId, ENDED_CHANNEL,
                Buffer.buffer(keptTokenHash));
    }

    public int deleteExpired(Sql sql) {
        return sql.update("DELETE FROM agent_sessions WHERE expires_at <= now()");
    }
}
