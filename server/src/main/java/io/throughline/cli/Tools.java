package io.throughline.cli;

import io.throughline.agent.AgentRepository;
import io.throughline.agent.AgentService;
import io.throughline.agent.Passwords;
import io.throughline.agent.Role;
import io.throughline.agent.SessionRepository;
import io.throughline.agent.WorkspaceService;
import io.throughline.config.ThroughlineConfig;
import io.throughline.failure.Conflict;
import io.throughline.failure.NotFound;
import io.throughline.failure.ThroughlineException;
import io.throughline.realtime.EventLog;
import io.throughline.store.Database;
import io.throughline.store.EmbeddedDatabase;
import java.io.PrintStream;
import java.util.Map;
import java.util.function.Function;

/** Administrative commands that need only the database: create agents and workspaces. */
final class Tools {

    private Tools() {
    }

    static int createAgent(ThroughlineConfig config, Map<String, String> flags, PrintStream out, PrintStream err) {
        String email = flags.get("email");
        String name = flags.get("name");
        if (email == null || name == null) {
            err.print(Main.help("create-agent"));
            return 2;
        }
        if (refused(email, flags, "password", err)) {
            return 2;
        }
        Role role = Role.fromWireName(flags.getOrDefault("role", "agent")).orElse(null);
        if (role == null) {
            err.println("--role must be agent or admin");
            return 2;
        }
        Long given = null;
        if (flags.containsKey("workspace")) {
            try {
                given = Long.parseLong(flags.get("workspace"));
            } catch (NumberFormatException e) {
                err.println("--workspace takes a workspace's id, a number (the first workspace when left out)");
                return 2;
            }
        }
        Long chosen = given;
        return withDatabase(config, err, ", or, while it runs, add agents in the inbox's Settings or with POST"
                + " /api/v1/agents", database -> {
            WorkspaceService workspaces = new WorkspaceService(database, new AgentRepository());
            if (chosen != null && !workspaces.exists(chosen)) {
                throw new NotFound("there is no workspace " + chosen + " (./throughline create-workspace makes one;"
                        + " without --workspace, the agent joins the first)");
            }
            long workspace = chosen != null ? chosen : workspaces.first().orElseThrow(Tools::noWorkspaceYet);
            // The feed of a server running meanwhile reads the event at its next poll: nothing here to wake.
            AgentService agents = new AgentService(database, new AgentRepository(), new SessionRepository(),
                    new EventLog(() -> { }));
            AgentService.Created created = agents.create(workspace, email, name, role, flags.get("password"));
            out.println("Created " + role.wireName() + " " + email + " (id " + created.agent().id()
                    + ") in workspace " + workspace + ".");
            if (created.generatedPassword() != null) {
                out.println("Password (shown only now): " + created.generatedPassword());
            }
            return 0;
        });
    }

    static int createWorkspace(ThroughlineConfig config, Map<String, String> flags, PrintStream out,
                               PrintStream err) {
        String name = flags.get("name");
        String email = flags.get("admin-email");
        if (name == null || email == null) {
            err.print(Main.help("create-workspace"));
            return 2;
        }
        if (refused(email, flags, "admin-password", err)) {
            return 2;
        }
        return withDatabase(config, err, "", database -> {
            WorkspaceService workspaces = new WorkspaceService(database, new AgentRepository());
            if (workspaces.first().isEmpty()) {
                // Made here, it would stand for the first start's: its admin from the configuration never made,
                // no demo, the configuration's inboxes put in this one, and nothing said of it.
                throw noWorkspaceYet();
            }
            WorkspaceService.Created created = workspaces.create(name, email, "Admin", flags.get("admin-password"));
            out.println("Created workspace " + created.workspaceId() + " with admin " + email + ".");
            if (created.generatedPassword() != null) {
                out.println("Password (shown only now): " + created.generatedPassword());
            }
            return 0;
        });
    }

    private static Conflict noWorkspaceYet() {
        return new Conflict("there is no workspace yet: the first start makes the first, with the admin of the"
                + " configuration; run ./throughline start once first");
    }

    /**
     * The checks the API makes, said on the command line: an address that is no email, and a password too short.
     * A password flag given without a value ("--password" at the end) reads as "true": refused, never set.
     */
    private static boolean refused(String email, Map<String, String> flags, String passwordFlag, PrintStream err) {
        boolean refused = false;
        if (!AgentService.isEmailAddress(email)) {
            err.println("the email '" + email + "' is not an email address");
            refused = true;
        }
        String password = flags.get(passwordFlag);
        if (password != null && password.length() < Passwords.MIN_LENGTH) {
            err.println("--" + passwordFlag + " needs a value of at least " + Passwords.MIN_LENGTH + " characters"
                    + " (leave it out to have one generated)");
            refused = true;
        }
        return refused;
    }

    /** @param whileRunning what to do instead while the server runs, for the refusal: "" when nothing */
    private static int withDatabase(ThroughlineConfig config, PrintStream err, String whileRunning,
                                    Function<Database, Integer> work) {
        try (CommandDatabase command = CommandDatabase.open(config, 2)) {
            return work.apply(command.database());
        } catch (ThroughlineException e) {
            err.println(e.getMessage());
            return 1;
        } catch (EmbeddedDatabase.InUse e) {
            // Not "give this one its own data directory": that would write into a new, empty database nobody runs.
            err.println("failed: the server runs on this data directory (" + config.dataDir() + "), and its"
                    + " database takes one server at a time: stop it first and run this again" + whileRunning);
            return 1;
        } catch (RuntimeException e) {
            err.println("failed: " + e.getMessage()
                    + (config.database().embedded() ? " (is the server running on the same data directory?)" : ""));
            return 1;
        }
    }
}
