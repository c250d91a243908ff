package io.throughline.agent;

import io.throughline.store.Sql;
import io.vertx.sqlclient.Row;
import java.util.List;
import java.util.Optional;

/** SQL for agents. Every read of tenant data is scoped by workspace, except the login lookup by email. */
public final class AgentRepository {

    /** An agent with its stored password hash, only for login. */
    public record Credentials(Agent agent, String passwordHash) {
    }

    /** The address as the login lookup folds it (PostgreSQL's lower(), under the database's locale). */
    public String folded(Sql sql, String email) {
        return sql.single("SELECT lower($1) AS folded", email == null ? "" : email.strip()).getString("folded");
    }

    public Optional<Credentials> credentials(Sql sql, String email) {
        return sql.one("SELECT " + Agent.COLUMNS + ", password_hash FROM agents WHERE lower(email) = lower($1)",
                email).map(row -> new Credentials(Agent.from(row), row.getString("password_hash")));
    }

    public Optional<Agent> find(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + Agent.COLUMNS + " FROM agents WHERE workspace_id = $1 AND id = $2",
                workspaceId, id).map(Agent::from);
    }

    /** The agent, locked until the transaction ends (an edit reads what it writes back over). */
    public Optional<Agent> lock(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + Agent.COLUMNS + " FROM agents WHERE workspace_id = $1 AND id = $2 FOR UPDATE",
                workspaceId, id).map(Agent::from);
    }

    public List<Agent> list(Sql sql, long workspaceId) {
        return sql.list("SELECT " + Agent.COLUMNS + " FROM agents WHERE workspace_id = $1 ORDER BY id",
                Agent::from, workspaceId);
    }

    public Agent insert(Sql sql, long workspaceId, String email, String name, Role role, String passwordHash) {
        Row row = sql.single("""
                INSERT INTO agents (workspace_id, email, name, role, password_hash)
                VALUES ($1, $2, $3, $4, $5)
                RETURNING""" + " " + Agent.COLUMNS, workspaceId, email, name, role.wireName(), passwordHash);
        return Agent.from(row);
    }

    public Agent update(Sql sql, long workspaceId, long id, String name, Role role, boolean active) {
        return Agent.from(sql.single("""
                UPDATE agents SET name = $3, role = $4, active = $5, updated_at = now()
                WHERE workspace_id = $1 AND id = $2
                RETURNING""" + " " + Agent.COLUMNS, workspaceId, id, name, role.wireName(), active));
    }

    public void updatePassword(Sql sql, long workspaceId, long id, String passwordHash) {
        sql.update("UPDATE agents SET password_hash = $3, updated_at = now() WHERE workspace_id = $1 AND id = $2",
                workspaceId, id, passwordHash);
    }

    /** Active admins other than {@code exceptId}, locked so two concurrent demotions cannot both pass. */
    public int otherActiveAdmins(Sql sql, long workspaceId, long exceptId) {
        return sql.rows("""
                SELECT id FROM agents
                WHERE workspace_id = $1 AND role = 'admin' AND active AND id <> $2
                FOR UPDATE""", workspaceId, exceptId).size();
    }

    public boolean emailTaken(Sql sql, String email) {
        return sql.one("SELECT 1 FROM agents WHERE lower(email) = lower($1)", email).isPresent();
    }
}
