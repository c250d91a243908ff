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
        String generated = adminPassword == null ? Passwords.generate() : null;
        String hash = Passwords.hash(adminPassword == null ? generated : adminPassword);
        Created created = database.tx(tx -> {
            long id = tx.single("INSERT INTO workspaces (name) VALUES ($1) RETURNING id", name).getLong("id");
            Agent admin = agents.insert(tx, id, adminEmail, adminName, Role.ADMIN, hash);
            return new Created(id, admin, generated);
        });
        log.info("workspace created workspace={} admin={}", created.workspaceId(), created.admin().id());
        return created;
    }

    /** The first workspace, when one exists. */
    public Optional<Long> first() {
        return database.sql().one("SELECT id FROM workspaces ORDER BY id LIMIT 1").map(r -> r.getLong("id"));
    }
}
