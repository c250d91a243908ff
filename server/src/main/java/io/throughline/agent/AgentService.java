package io.throughline.agent;

import io.throughline.failure.Conflict;
import io.throughline.failure.NotFound;
import io.throughline.realtime.EventLog;
import io.throughline.realtime.EventType;
import io.throughline.store.Database;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates, changes and deactivates agents. Admin checks happen in the HTTP layer through {@link Caller}. */
public final class AgentService {

    /** What an agent's sign-in address must look like: one @, something either side, no spaces. */
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");

    /** Whether this (stripped) text can be an agent's email address. */
    public static boolean isEmailAddress(String text) {
        return text != null && EMAIL.matcher(text.strip()).matches();
    }

    private static final Logger log = LoggerFactory.getLogger(AgentService.class);

    private final Database database;
    private final AgentRepository agents;
    private final SessionRepository sessions;
    private final EventLog events;

    /** @param events where a new agent and a change of name, role or state are told to the workspace's streams */
    public AgentService(Database database, AgentRepository agents, SessionRepository sessions, EventLog events) {
        this.database = database;
        this.agents = agents;
        this.sessions = sessions;
        this.events = events;
    }

    /** A created agent and, when none was given, the generated password (shown once). */
    public record Created(Agent agent, String generatedPassword) {
    }

    /** A change to an agent; null fields stay as they are. */
    public record Change(String name, Role role, Boolean active, String password) {
    }

    public List<Agent> list(long workspaceId) {
        return agents.list(database.sql(), workspaceId);
    }

    public Agent get(long workspaceId, long id) {
        return agents.find(database.sql(), workspaceId, id)
                .orElseThrow(() -> new NotFound("no agent " + id + " in this workspace"));
    }

    public Created create(long workspaceId, String email, String name, Role role, String password) {
        String generated = password == null ? Passwords.generate() : null;
        String hash = Passwords.hash(password == null ? generated : password);
        try {
            Agent agent = database.tx(tx -> {
                if (agents.emailTaken(tx, email)) {
                    throw new Conflict("an agent with the email " + email + " already exists");
                }
                Agent inserted = agents.insert(tx, workspaceId, email, name, role, hash);
                events.append(tx, workspaceId, EventType.AGENT_CREATED, told(inserted));
                return inserted;
            });
            log.info("agent created agent={} workspace={} role={}", agent.id(), workspaceId, role.wireName());
            return new Created(agent, generated);
        } catch (RuntimeException e) {
            if (Database.isUniqueViolation(e)) {
                throw new Conflict("an agent with the email " + email + " already exists");
            }
            throw e;
        }
    }

    public Agent update(long workspaceId, long id, Change change) {
        String hash = change.password() == null ? null : Passwords.hash(change.password());
        Agent updated = database.tx(tx -> {
            // Locked: an edit of one field writes the others back as read, so a deactivation or a demotion
            // committing meanwhile must be read, not written over.
            Agent current = agents.lock(tx, workspaceId, id)
                    .orElseThrow(() -> new NotFound("no agent " + id + " in this workspace"));
            Role role = change.role() == null ? current.role() : change.role();
            boolean active = change.active() == null ? current.active() : change.active();
            boolean losesAdmin = current.role() == Role.ADMIN && current.active() && (role != Role.ADMIN || !active);
            if (losesAdmin && agents.otherActiveAdmins(tx, workspaceId, id) == 0) {
                throw new Conflict("a workspace needs at least one active admin");
            }
            String name = change.name() == null ? current.name() : change.name();
            Agent agent = agents.update(tx, workspaceId, id, name, role, active);
            if (hash != null) {
                agents.updatePassword(tx, workspaceId, id, hash);
            }
            if (!active || hash != null) {
                sessions.deleteForAgent(tx, id);
            }
            // Other tabs follow it: the assignee names, and the agent's own Settings link when their role changed.
            if (!agent.name().equals(current.name()) || agent.role() != current.role()
                    || agent.active() != current.active()) {
                events.append(tx, workspaceId, EventType.AGENT_UPDATED, told(agent));
            }
            return agent;
        });
        log.info("agent updated agent={} workspace={} role={} active={}", id, workspaceId,
                updated.role().wireName(), updated.active());
        return updated;
    }

    private static JsonObject told(Agent agent) {
        return new JsonObject().put("agentId", agent.id()).put("agent", agent.toJson());
    }

    /** Deactivates: the agent can no longer log in, and their sessions end. History keeps their name. */
    public Agent deactivate(long workspaceId, long id) {
        return update(workspaceId, id, new Change(null, null, false, null));
    }
}
