package io.throughline.inbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.ApiInbox;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two saves of one inbox at once (two admins, another node's, a save and a delete): the later one never writes back
 * what it read before the other committed.
 */
class InboxSavesIT {

    private static TestServer server;
    private static ApiClient admin;
    private static Database database;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        admin = server.admin();
        database = server.throughline().database();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aRenameDoesNotEnableAgainAnInboxDisabledMeanwhile() throws Exception {
        long id = ApiInbox.create(admin, "Shop", null).id();
        // Another admin disables it, not committed yet when this admin's rename has read the inbox.
        HeldTransaction<Integer> disable = HeldTransaction.start(database, tx -> tx.update(
                "UPDATE inboxes SET enabled = false, updated_at = now() WHERE id = $1", id));
        CompletableFuture<ApiClient.Response> rename = patchAsync(id, new JsonObject().put("name", "Web shop"));
        await().atMost(Duration.ofSeconds(15)).until(() -> HeldTransaction.waits(database, "UPDATE inboxes"));
        disable.commit();

        JsonObject saved = rename.get(10, TimeUnit.SECONDS).expect(200).json();
        assertThat(saved.getString("name")).isEqualTo("Web shop");
        assertThat(saved.getBoolean("enabled")).isFalse();
        assertThat(admin.get("/api/v1/inboxes/" + id).expect(200).json().getBoolean("enabled")).isFalse();
    }

    @Test
    void aSaveMeetingADeleteIsANotFound() throws Exception {
        long id = ApiInbox.create(admin, "Old shop", null).id();
        HeldTransaction<Integer> delete = HeldTransaction.start(database, tx -> tx.update(
                "UPDATE inboxes SET deleted_at = now(), enabled = false, updated_at = now() WHERE id = $1", id));
        CompletableFuture<ApiClient.Response> rename = patchAsync(id, new JsonObject().put("name", "Older shop"));
        await().atMost(Duration.ofSeconds(15)).until(() -> HeldTransaction.waits(database, "UPDATE inboxes"));
        delete.commit();

        JsonObject problem = rename.get(10, TimeUnit.SECONDS).expect(404).json();
        assertThat(problem.getString("detail")).contains("deleted during this save");
        admin.get("/api/v1/inboxes/" + id).expect(404);
    }

    private static CompletableFuture<ApiClient.Response> patchAsync(long id, JsonObject change) {
        return CompletableFuture.supplyAsync(() -> admin.patch("/api/v1/inboxes/" + id, change),
                Thread::startVirtualThread);
    }
}
