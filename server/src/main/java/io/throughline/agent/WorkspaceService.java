package io.throughline.agent;

import io.throughline.store.Database;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Workspaces (tenants) and the first admin of each. */
public final class WorkspaceService {

    private static final Logger log = LoggerFactory.getLogger(WorkspaceService.class);

    private final Database database;
    private final AgentRepository agents;

    public WorkspaceService(Database database, AgentRepository agents) {
        this.database = database;
        this.agents = agents;
    }

    /** A new workspace with its first admin; {@code generatedPassword} is set when none was given. */
    public record Created(long workspaceId, Agent admin, String generatedPassword) {
    }

    public Created create(String name, String adminEmail, String adminName, String adminPassword) {
        return create(name, adminEmail, adminName, adminPassword, true);
    }

    /**
     * The installation's first workspace, made by the first start: it is ready only once that start finished
     * ({@link #markReady}), so a start that failed before showing the admin's password is taken up again.
     */
    public Created createFirst(String name, String adminEmail, String adminName, String adminPassword) {
        return create(name, adminEmail, adminName, adminPassword, false);
    }

    private Created create(String name, String adminEmail, String adminName, String adminPassword, boolean ready) {
        String generated = adminPassword == null ? Passwords.generate() : null;
        String hash = Passwords.hash(adminPassword == null ? generated : adminPassword);
        Created created = database.tx(tx -> {
            long id = tx.single("INSERT INTO workspaces (name, ready_at) VALUES ($1, CASE WHEN $2 THEN now() END)"
                    + " RETURNING id", name, ready).getLong("id");
            Agent admin = agents.insert(tx, id, adminEmail, adminName, Role.ADMIN, hash);
            return new Created(id, admin, generated);
        });
        log.info("workspace created workspace={} admin={}", created.workspaceId(), created.admin().id());
        return created;
    }

    /** Whether the first start of this workspace finished ({@link #markReady}). */
    public boolean ready(long workspaceId) {
        return database.sql().one("SELECT ready_at FROM workspaces WHERE id = $1", workspaceId)
                .map(r -> r.getValue("ready_at") != null).orElse(false);
    }

    public void markReady(long workspaceId) {
        database.sql().update("UPDATE workspaces SET ready_at = now() WHERE id = $1 AND ready_at IS NULL",
                workspaceId);
    }

    /**
     * Sets the password of the workspace's first admin again, for a first start that stopped before it could show
     * the generated one: {@code generatedPassword} is set when none was given. Their sessions end.
     */
    public Created resetFirstAdmin(long workspaceId, String adminPassword) {
        String generated = adminPassword == null ? Passwords.generate() : null;
        String hash = Passwords.hash(adminPassword == null ? generated : adminPassword);
        return database.tx(tx -> {
            Agent admin = tx.one("SELECT " + Agent.COLUMNS + " FROM agents WHERE workspace_id = $1 AND role = 'admin'"
                    + " ORDER BY id LIMIT 1", workspaceId).map(Agent::from)
                    .orElseThrow(() -> new IllegalStateException("workspace " + workspaceId + " has no admin"));
            agents.updatePassword(tx, workspaceId, admin.id(), hash);
            new SessionRepository().deleteForAgent(tx, admin.id());
            return new Created(workspaceId, admin, generated);
        });
    }

    public boolean exists(long workspaceId) {
        return database.sql().one("SELECT 1 FROM workspaces WHERE id = $1", workspaceId).isPresent();
    }

    /** The first workspace, when one exists. */
    public Optional<Long> first() {
        return database.sql().one("SELECT id FROM workspaces ORDER BY id LIMIT 1").map(r -> r.getLong("id"));
    }
}
