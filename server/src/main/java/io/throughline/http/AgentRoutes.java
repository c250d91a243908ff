package io.throughline.http;

import io.throughline.agent.Agent;
import io.throughline.agent.AgentService;
import io.throughline.agent.Passwords;
import io.throughline.agent.Role;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;

/** {@code /api/v1/agents}: every agent may list (to assign); only admins create, change and deactivate. */
final class AgentRoutes {

    private static final int MAX_NAME = 120;

    private final AgentService agents;

    AgentRoutes(AgentService agents) {
        this.agents = agents;
    }

    void mount(Router router, Endpoints endpoints, BodyHandler body) {
        router.get("/api/v1/agents").handler(endpoints.agent(call -> {
            JsonArray list = new JsonArray();
            agents.list(call.caller().workspaceId()).forEach(a -> list.add(a.toJson()));
            return Reply.ok(new JsonObject().put("agents", list));
        }));
        router.get("/api/v1/agents/:id").handler(endpoints.agent(call ->
                Reply.ok(agents.get(call.caller().workspaceId(), call.pathId("id")).toJson())));
        router.post("/api/v1/agents").handler(body).handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            JsonBody json = call.body();
            String email = json.requiredString("email", 320);
            String name = json.requiredString("name", MAX_NAME);
            Role role = role(json, "agent");
            String password = password(json);
            if (email != null && !AgentService.isEmailAddress(email)) {
                json.error("email", "must be an email address");
            }
            json.validate();
            AgentService.Created created = agents.create(call.caller().workspaceId(), email.strip(), name.strip(),
                    role, password);
            JsonObject answer = created.agent().toJson();
            if (created.generatedPassword() != null) {
                answer.put("password", created.generatedPassword());
            }
            return Reply.created(answer).header("Cache-Control", "no-store");
        }));
        router.patch("/api/v1/agents/:id").handler(body).handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            JsonBody json = call.body();
            String name = json.optionalNonBlank("name", MAX_NAME);
            Role role = json.has("role") ? role(json, null) : null;
            Boolean active = json.optionalBoolean("active");
            String password = password(json);
            // A password made here for an agent who forgot theirs, returned this once (as a new agent's is).
            boolean reset = Boolean.TRUE.equals(json.optionalBoolean("resetPassword"));
            if (reset && password != null) {
                json.error("resetPassword", "give either a password or resetPassword, not both");
            }
            json.validate();
            String generated = reset ? Passwords.generate() : null;
            Agent agent = agents.update(call.caller().workspaceId(), call.pathId("id"),
                    new AgentService.Change(name == null ? null : name.strip(), role, active,
                            reset ? generated : password));
            JsonObject answer = agent.toJson();
            if (generated != null) {
                answer.put("password", generated);
                return Reply.ok(answer).header("Cache-Control", "no-store");
            }
            return Reply.ok(answer);
        }));
        router.delete("/api/v1/agents/:id").handler(endpoints.agent(call -> {
            call.caller().requireAdmin();
            return Reply.ok(agents.deactivate(call.caller().workspaceId(), call.pathId("id")).toJson());
        }));
    }

    private static Role role(JsonBody json, String fallback) {
        String text = json.optionalNonBlank("role", 16);
        if (json.hasError("role")) {
            return null;
        }
        if (text == null) {
            text = fallback;
        }
        if (text == null) {
            json.error("role", "must be admin or agent");
            return null;
        }
        Role role = Role.fromWireName(text).orElse(null);
        if (role == null) {
            json.error("role", "must be admin or agent");
        }
        return role;
    }

    private static String password(JsonBody json) {
        // Given blank, it is no password (an admin's typo must not quietly get a generated one instead).
        String password = json.optionalNonBlank("password", 1024);
        if (password != null && password.length() < Passwords.MIN_LENGTH) {
            json.error("password", "must have at least " + Passwords.MIN_LENGTH + " characters");
        }
        return password;
    }
}
