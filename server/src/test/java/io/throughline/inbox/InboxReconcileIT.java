package io.throughline.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node that missed an inbox change (its feed subscription ended, the event came late) catches up with the
 * database on its own: the open inboxes are compared with their rows every minute.
 */
class InboxReconcileIT {

    private static TestServer server;
    private static ApiClient admin;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        admin = server.admin();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void changesThisNodeNeverHeardOfAreTakenFromTheDatabase() {
        InboxSupervisor supervisor = server.throughline().supervisor();
        long disabled = ApiInbox.create(admin, "Disabled elsewhere", null).id();
        long enabled = ApiInbox.create(admin, "Enabled elsewhere", null).id();
        admin.patch("/api/v1/inboxes/" + enabled, new JsonObject().put("enabled", false))
                .expect(200);
        assertThat(supervisor.sender(disabled)).isPresent();
        assertThat(supervisor.sender(enabled)).isEmpty();

        // Another node's changes, with no event this node could hear.
        server.throughline().database().sql().update("UPDATE inboxes SET enabled = (id = $2), updated_at = now()"
                + " WHERE id IN ($1, $2)", disabled, enabled);
        supervisor.reconcileNow();

        assertThat(supervisor.sender(disabled)).isEmpty();
        assertThat(supervisor.sender(enabled)).isPresent();
    }
}
