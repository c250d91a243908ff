package io.throughline.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.throughline.failure.TooManyRequests;
import io.throughline.store.Database;
import io.throughline.testing.ApiClient;
import io.throughline.testing.HeldTransaction;
import io.throughline.testing.RawHttp;
import io.throughline.testing.TestPostgres;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.HttpCookie;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Login, sessions, CSRF, rate limits and roles, through the real server. */
class AgentAuthIT {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("auth.loginAttemptsPerAccount", "3", "auth.loginAttemptsPerIp", "40"));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void loginSetsAnHttpOnlySameSiteCookieAndReturnsABearerToken() {
        ApiClient.Response login = server.anonymous().post("/api/v1/auth/login", new JsonObject()
                .put("email", TestServer.ADMIN_EMAIL).put("password", TestServer.ADMIN_PASSWORD)).expect(200);
        List<HttpCookie> cookies = login.headers().allValues("Set-Cookie").stream()
                .flatMap(h -> HttpCookie.parse(h).stream()).toList();
        HttpCookie session = cookies.stream().filter(c -> c.getName().equals("tl_session")).findFirst().orElseThrow();
        assertThat(session.isHttpOnly()).isTrue();
        // Kept for the session's maximum age (30 days), which its use slides towards, not its idle lifetime.
        assertThat(session.getMaxAge()).isEqualTo(Duration.ofDays(30).toSeconds());
        assertThat(login.headers().allValues("Set-Cookie")).anySatisfy(h ->
                assertThat(h).startsWith("tl_session=").contains("SameSite=Lax").doesNotContain("Secure"));
        assertThat(session.getValue()).isEqualTo(login.json().getString("token"));
        assertThat(login.json().getJsonObject("agent").getString("role")).isEqualTo("admin");
        assertThat(login.json().getJsonObject("agent").containsKey("passwordHash")).isFalse();

        ApiClient bearer = server.anonymous().withToken(login.json().getString("token"));
        assertThat(bearer.get("/api/v1/auth/me").expect(200).json().getString("name")).isEqualTo("Admin");
    }

    @Test
    void aSessionInConstantUseStillEndsAtItsMaximumAge() {
        String token = server.anonymous().post("/api/v1/auth/login", new JsonObject()
                .put("email", TestServer.ADMIN_EMAIL).put("password", TestServer.ADMIN_PASSWORD)).expect(200).json()
                .getString("token");
        ApiClient bearer = server.anonymous().withToken(token);
        bearer.get("/api/v1/auth/me").expect(200);
        // Used every day for 31 days: each use slid the idle expiry forward, but the login is older than 30 days.
        assertThat(server.throughline().database().sql().update("""
                UPDATE agent_sessions SET created_at = now() - interval '31 days', last_used_at = now(),
                                          expires_at = now() + interval '14 days'
                WHERE token_hash = sha256(convert_to($1, 'UTF8'))""", token)).isEqualTo(1);
        bearer.get("/api/v1/auth/me").expect(401);
    }

    @Test
    void aWrongPasswordAndAnUnknownEmailGetTheSameProblem() {
        ApiClient.Response wrong = server.anonymous().post("/api/v1/auth/login", new JsonObject()
                .put("email", TestServer.ADMIN_EMAIL).put("password", "nope-nope")).expect(401);
        ApiClient.Response unknown = server.anonymous().post("/api/v1/auth/login", new JsonObject()
                .put("email", "ghost@test.local").put("password", "nope-nope")).expect(401);
        assertThat(wrong.header("Content-Type")).startsWith("application/problem+json");
        assertThat(wrong.json().getString("detail")).isEqualTo(unknown.json().getString("detail"))
                .isEqualTo("wrong email or password");
        assertThat(server.anonymous().get("/api/v1/conversations").expect(401).json().getString("type"))
                .isEqualTo("urn:throughline:problem:unauthorized");
    }

    /**
     * An agent changes their own password (an admin's PATCH was the only way, so an invited agent kept the password
     * the admin chose): the current one is checked, and counts as a login attempt; their other sessions end, the one
     * they changed it from goes on.
     */
    @Test
    void anAgentChangesTheirOwnPasswordAndTheirOtherSessionsEnd() {
        server.admin().post("/api/v1/agents", new JsonObject().put("email", "pia@test.local").put("name", "Pia")
                .put("password", "given-by-admin-1")).expect(201);
        ApiClient laptop = server.anonymous().login("pia@test.local", "given-by-admin-1");
        ApiClient phone = server.anonymous().login("pia@test.local", "given-by-admin-1");
        String change = "/api/v1/auth/password";

        JsonObject wrong = laptop.post(change, new JsonObject().put("currentPassword", "not-it-at-all")
                .put("newPassword", "pia-own-password")).expect(400).json();
        assertThat(wrong.getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("currentPassword");
        assertThat(laptop.post(change, new JsonObject().put("currentPassword", "given-by-admin-1")
                .put("newPassword", "short")).expect(400).body()).contains("newPassword");
        laptop.post(change, new JsonObject().put("currentPassword", "given-by-admin-1")).expect(400);

        laptop.post(change, new JsonObject().put("currentPassword", "given-by-admin-1")
                .put("newPassword", "pia-own-password")).expect(204);
        laptop.get("/api/v1/auth/me").expect(200);
        phone.get("/api/v1/auth/me").expect(401);
        server.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", "pia@test.local")
                .put("password", "given-by-admin-1")).expect(401);
        server.anonymous().login("pia@test.local", "pia-own-password").get("/api/v1/auth/me").expect(200);

        // Guessing the current password from an open session runs into the login's limit (3 here).
        for (int i = 0; i < 3; i++) {
            laptop.post(change, new JsonObject().put("currentPassword", "guess-" + i)
                    .put("newPassword", "taken-over-123")).expect(400);
        }
        laptop.post(change, new JsonObject().put("currentPassword", "pia-own-password")
                .put("newPassword", "taken-over-123")).expect(429);
    }

    @Test
    void repeatedFailuresLockTheAccountForAWhileWithRetryAfter() {
        ApiClient admin = server.admin();
        admin.post("/api/v1/agents", new JsonObject().put("email", "target@test.local").put("name", "Target")
                .put("password", "right-password-1")).expect(201);
        for (int i = 0; i < 3; i++) {
            server.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", "target@test.local")
                    .put("password", "guess-" + i)).expect(401);
        }
        ApiClient.Response locked = server.anonymous().post("/api/v1/auth/login", new JsonObject()
                .put("email", "target@test.local").put("password", "right-password-1")).expect(429);
        assertThat(Long.parseLong(locked.header("Retry-After"))).isPositive();
        assertThat(locked.json().getInteger("status")).isEqualTo(429);
    }

    @Test
    void everySpellingThatReachesAnAccountSharesItsBudgetAndUnknownAddressesAnswerAlike() {
        server.admin().post("/api/v1/agents", new JsonObject().put("email", "limit@test.local").put("name", "Limit")
                .put("password", "right-password-2")).expect(201);
        // PostgreSQL's lower() under this database's locale folds İ into i, as Java's does not: such a spelling
        // logs into limit@ here, and must count against it.
        assertThat(server.throughline().database().sql().single("SELECT lower('lİmit@test.local') ="
                + " 'limit@test.local' AS folds").getBoolean("folds")).as("the database's locale folds İ").isTrue();
        for (String account : List.of("limit@test.local", "nobody-with-i@test.local")) {
            String other = account.replaceFirst("i", "İ");
            for (String spelling : List.of(account, other, account.toUpperCase(Locale.ROOT))) {
                server.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", spelling)
                        .put("password", "wrong-guess")).expect(401);
            }
            // Known or not, the fourth try in any spelling is refused the same way: a 429 tells nothing.
            server.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", other)
                    .put("password", "right-password-2")).expect(429);
        }
    }

    /** The limits live in PostgreSQL: guesses spread over the nodes of a cluster share one budget. */
    @Test
    void failuresOnOneNodeCountOnEveryNode() {
        String database = TestPostgres.newDatabase();
        Map<String, String> limits = Map.of("auth.loginAttemptsPerAccount", "3");
        try (TestServer a = TestServer.startOn(database, TestServer.tempDir(), limits);
             TestServer b = TestServer.startOn(database, TestServer.tempDir(), limits)) {
            for (TestServer node : List.of(a, b, a)) {
                node.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", TestServer.ADMIN_EMAIL)
                        .put("password", "a-wrong-guess")).expect(401);
            }
            ApiClient.Response locked = b.anonymous().post("/api/v1/auth/login", new JsonObject()
                    .put("email", TestServer.ADMIN_EMAIL).put("password", TestServer.ADMIN_PASSWORD)).expect(429);
            assertThat(locked.json().getString("detail")).contains("for this account");
            assertThat(Long.parseLong(locked.header("Retry-After"))).isPositive();
            assertThat(a.throughline().database().sql().single("SELECT count(*) AS n FROM login_attempts"
                    + " WHERE position(convert_to('admin@', 'UTF8') in key) > 0").getLong("n"))
                    .as("keys are hashed").isZero();
        }
    }

    /**
     * Guesses sent all at once get no more tries than guesses sent one by one: each attempt is checked and counted
     * before the next one's check, not after its password was verified.
     */
    @Test
    void guessesSentAtOnceGetNoMoreTriesThanTheLimit() throws Exception {
        try (TestServer node = TestServer.start(Map.of("auth.loginAttemptsPerAccount", "3",
                "auth.loginAttemptsPerIp", "1000"));
             ExecutorService pool = Executors.newFixedThreadPool(12)) {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String guess = "guess-at-once-" + i;
                answers.add(pool.submit(() -> node.anonymous().post("/api/v1/auth/login", new JsonObject()
                        .put("email", TestServer.ADMIN_EMAIL).put("password", guess)).status()));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> answer : answers) {
                statuses.add(answer.get(60, TimeUnit.SECONDS));
            }
            assertThat(statuses).filteredOn(status -> status == 401).as(statuses.toString()).hasSize(3);
            assertThat(statuses).filteredOn(status -> status == 429).hasSize(9);
        }
    }

    /**
     * An address past its own budget is refused before the account's lock is taken: its flood cannot keep the
     * agent's own attempt from that lock (each of its attempts took it, so the agent's could be told "too many at
     * once").
     */
    @Test
    void anAddressPastItsBudgetNeverTakesTheAccountsLock() {
        Database database = server.throughline().database();
        LoginThrottle throttle = new LoginThrottle(database, "a-test-key".getBytes(StandardCharsets.UTF_8),
                Duration.ofMinutes(15), 2, 10);
        LoginThrottle.Attempt first = throttle.attempt("198.51.100.7", "flooded@test.local");
        throttle.attempt("198.51.100.7", "another@test.local");
        // The agent's own attempt, holding the account's lock.
        HeldTransaction<String> agent = HeldTransaction.start(database, tx -> tx.single(
                "SELECT pg_advisory_xact_lock($1, $2)::text AS locked", LoginThrottle.LOCK_NAMESPACE,
                LoginThrottle.lockKey(first.account())).getString("locked"));
        try {
            assertThatThrownBy(() -> throttle.attempt("198.51.100.7", "flooded@test.local"))
                    .isInstanceOf(TooManyRequests.class).hasMessageContaining("from this address");
            // The lock held is the account's: an address within its budget has to wait for it.
            assertThatThrownBy(() -> throttle.attempt("203.0.113.8", "flooded@test.local"))
                    .isInstanceOf(TooManyRequests.class).hasMessageContaining("at once");
        } finally {
            agent.commit();
        }
    }

    @Test
    void oneAddressCannotTryLoginsWithoutLimit() {
        try (TestServer strict = TestServer.start(Map.of("auth.loginAttemptsPerIp", "3"))) {
            for (int i = 0; i < 3; i++) {
                strict.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", "user" + i + "@test.local")
                        .put("password", "whatever-1")).expect(401);
            }
            ApiClient.Response limited = strict.anonymous().post("/api/v1/auth/login", new JsonObject()
                    .put("email", TestServer.ADMIN_EMAIL).put("password", TestServer.ADMIN_PASSWORD)).expect(429);
            assertThat(limited.json().getString("detail")).contains("from this address");
        }
    }

    /**
     * Strangers' guesses lock the account, but not out of the address its agent signs in from: there, only the
     * failures from that address count. A new address still meets the lock.
     */
    @Test
    void guessesFromElsewhereDoNotLockAnAgentOutOfTheAddressTheySignInFrom() {
        try (TestServer strict = TestServer.start(Map.of("auth.loginAttemptsPerAccount", "3",
                "http.trustProxy", "true"))) {
            strict.admin().post("/api/v1/agents", new JsonObject().put("email", "office@test.local")
                    .put("name", "Office").put("password", "office-password-1")).expect(201);
            ApiClient office = strict.anonymous().withHeader("X-Forwarded-For", "203.0.113.5");
            JsonObject right = new JsonObject().put("email", "office@test.local").put("password", "office-password-1");
            JsonObject wrong = right.copy().put("password", "a-guess-1");
            office.post("/api/v1/auth/login", right).expect(200);
            for (int i = 0; i < 3; i++) {
                strict.anonymous().withHeader("X-Forwarded-For", "198.51.100." + (20 + i))
                        .post("/api/v1/auth/login", wrong).expect(401);
            }
            strict.anonymous().withHeader("X-Forwarded-For", "198.51.100.99").post("/api/v1/auth/login", right)
                    .expect(429);
            office.post("/api/v1/auth/login", right).expect(200);
            // The office's sign-in cleared none of the strangers' failures: elsewhere the account stays locked.
            strict.anonymous().withHeader("X-Forwarded-For", "198.51.100.99").post("/api/v1/auth/login", right)
                    .expect(429);
            // From the office, its own failures still count.
            for (int i = 0; i < 3; i++) {
                office.post("/api/v1/auth/login", wrong).expect(401);
            }
            assertThat(office.post("/api/v1/auth/login", right).expect(429).json().getString("detail"))
                    .contains("for this account");
        }
    }

    /** A successful sign-in does not use up its address's budget: an office of many agents shares one address. */
    @Test
    void successfulSignInsDoNotCountAgainstTheirAddress() {
        try (TestServer strict = TestServer.start(Map.of("auth.loginAttemptsPerIp", "3"))) {
            for (int i = 0; i < 5; i++) {
                strict.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", TestServer.ADMIN_EMAIL)
                        .put("password", TestServer.ADMIN_PASSWORD)).expect(200);
            }
            for (int i = 0; i < 3; i++) {
                strict.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", "nobody@test.local")
                        .put("password", "whatever-1")).expect(401);
            }
            strict.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", TestServer.ADMIN_EMAIL)
                    .put("password", TestServer.ADMIN_PASSWORD)).expect(429);
        }
    }

    @Test
    void anIpv6SubscriberCountsAsOneAddressWhicheverOfTheirsTheyUse() {
        try (TestServer strict = TestServer.start(Map.of("auth.loginAttemptsPerIp", "3", "http.trustProxy", "true"))) {
            for (String from : List.of("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:abcd::3")) {
                strict.anonymous().withHeader("X-Forwarded-For", from).post("/api/v1/auth/login", new JsonObject()
                        .put("email", "v6-" + from.length() + "@test.local").put("password", "whatever-1"))
                        .expect(401);
            }
            strict.anonymous().withHeader("X-Forwarded-For", "2001:db8:1:2:ffff::9").post("/api/v1/auth/login",
                    new JsonObject().put("email", "v6-other@test.local").put("password", "whatever-1")).expect(429);
            strict.anonymous().withHeader("X-Forwarded-For", "2001:db8:1:3::1").post("/api/v1/auth/login",
                    new JsonObject().put("email", "v6-other@test.local").put("password", "whatever-1")).expect(401);
        }
    }

    /** A proxy that adds its own X-Forwarded-For line after the client's: the address it saw is on the last. */
    @Test
    void aForwardedForLineTheClientWroteDoesNotDodgeTheLimit() throws Exception {
        try (TestServer strict = TestServer.start(Map.of("auth.loginAttemptsPerIp", "3", "http.trustProxy", "true"))) {
            HttpClient http = HttpClient.newHttpClient();
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(strict.url() + "/api/v1/auth/login"))
                        .header("Content-Type", "application/json")
                        .header("X-Forwarded-For", "192.0.2." + (10 + i))
                        .header("X-Forwarded-For", "198.51.100.7")
                        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("email", "xff@test.local")
                                .put("password", "whatever-1").encode())).build();
                statuses.add(http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode());
            }
            assertThat(statuses).containsExactly(401, 401, 401, 429);
        }
    }

    /** A proxy that writes the client's port after its address: each new connection is still the same address. */
    @Test
    void aForwardedAddressWithAPortCountsAsTheAddress() {
        try (TestServer strict = TestServer.start(Map.of("auth.loginAttemptsPerIp", "3", "http.trustProxy", "true"))) {
            List<Integer> statuses = new ArrayList<>();
            for (String from : List.of("198.51.100.7:40001", "198.51.100.7:40002", "[2001:db8:5::1]:443",
                    "[2001:db8:5::2]:444", "2001:db8:5::3", "198.51.100.7:40003", "198.51.100.7:40004",
                    "[2001:db8:5::4]:445")) {
                statuses.add(strict.anonymous().withHeader("X-Forwarded-For", from).post("/api/v1/auth/login",
                        new JsonObject().put("email", "port-" + statuses.size() + "@test.local")
                                .put("password", "whatever-1")).status());
            }
            assertThat(statuses).containsExactly(401, 401, 401, 401, 401, 401, 429, 429);
        }
    }

    @Test
    void behindATlsProxyTheSessionCookieIsSecure() {
        try (TestServer proxied = TestServer.start(Map.of("http.trustProxy", "true"))) {
            ApiClient.Response login = proxied.anonymous().withHeader("X-Forwarded-Proto", "https")
                    .withHeader("X-Forwarded-For", "203.0.113.9").post("/api/v1/auth/login", new JsonObject()
                            .put("email", TestServer.ADMIN_EMAIL).put("password", TestServer.ADMIN_PASSWORD))
                    .expect(200);
            assertThat(login.headers().allValues("Set-Cookie")).isNotEmpty()
                    .allSatisfy(h -> assertThat(h).contains("Secure"))
                    .anySatisfy(h -> assertThat(h).startsWith("tl_session=").containsIgnoringCase("HttpOnly"));
            // A header naming no address at all counts the connection's own.
            proxied.anonymous().withHeader("X-Forwarded-For", ",").post("/api/v1/auth/login", new JsonObject()
                    .put("email", TestServer.ADMIN_EMAIL).put("password", "not-the-password")).expect(401);
        }
    }

    /**
     * A browser that reached the host of an https public URL came through a TLS proxy (the server serves no TLS),
     * even one not trusted for its forwarded headers: the cookies are Secure, so no plain-http request to that name
     * carries them. Reached by another name (its address on the LAN, during setup), they are not: the browser would
     * drop them, and the sign-in fail without a word.
     */
    @Test
    void anHttpsPublicUrlsHostGetsSecureCookiesWithoutATrustedProxy() throws Exception {
        try (TestServer behind = TestServer.start(Map.of("http.publicUrl", "https://support.example.test"))) {
            int port = behind.throughline().port();
            byte[] body = new JsonObject().put("email", TestServer.ADMIN_EMAIL)
                    .put("password", TestServer.ADMIN_PASSWORD).toBuffer().getBytes();
            String viaProxy = RawHttp.answerHead(port, "POST /api/v1/auth/login HTTP/1.1\r\n"
                    + "Host: Support.Example.test\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\nConnection: close", body);
            assertThat(viaProxy).startsWith("HTTP/1.1 200");
            assertThat(viaProxy.lines().filter(h -> h.regionMatches(true, 0, "Set-Cookie:", 0, 11)))
                    .hasSize(2).allSatisfy(h -> assertThat(h).contains("Secure"));

            ApiClient direct = new ApiClient("http://127.0.0.1:" + port);
            ApiClient.Response login = direct.post("/api/v1/auth/login", new JsonObject()
                    .put("email", TestServer.ADMIN_EMAIL).put("password", TestServer.ADMIN_PASSWORD)).expect(200);
            assertThat(login.headers().allValues("Set-Cookie")).hasSize(2)
                    .noneSatisfy(h -> assertThat(h).contains("Secure"));
        }
    }

    @Test
    void cookieAuthenticatedWritesNeedTheCsrfHeader() {
        ApiClient.Response login = server.anonymous().post("/api/v1/auth/login", new JsonObject()
                .put("email", TestServer.ADMIN_EMAIL).put("password", TestServer.ADMIN_PASSWORD)).expect(200);
        String token = login.json().getString("token");
        String csrf = login.json().getString("csrfToken");
        ApiClient cookie = server.anonymous().withHeader("Cookie", "tl_session=" + token);
        assertThat(cookie.get("/api/v1/agents").expect(200).json().getJsonArray("agents")).isNotEmpty();
        JsonObject agent = new JsonObject().put("email", "csrf@test.local").put("name", "C");
        assertThat(cookie.post("/api/v1/agents", agent).expect(403).json().getString("detail"))
                .contains("X-CSRF-Token");
        ApiClient withCsrf = server.anonymous().withHeader("Cookie", "tl_session=" + token)
                .withHeader("X-CSRF-Token", csrf);
        withCsrf.post("/api/v1/agents", agent).expect(201);
    }

    @Test
    void logoutEndsTheSession() {
        ApiClient admin = server.admin();
        admin.get("/api/v1/auth/me").expect(200);
        admin.post("/api/v1/auth/logout", new JsonObject()).expect(204);
        admin.get("/api/v1/auth/me").expect(401);
    }

    @Test
    void agentsCannotManageInboxesOrAgents() {
        ApiClient admin = server.admin();
        JsonObject created = admin.post("/api/v1/agents", new JsonObject().put("email", "plain@test.local")
                .put("name", "Plain Agent")).expect(201).json();
        String password = created.getString("password");
        assertThat(password).hasSizeGreaterThanOrEqualTo(16);
        ApiClient agent = server.anonymous().login("plain@test.local", password);
        agent.get("/api/v1/conversations").expect(200);
        agent.get("/api/v1/agents").expect(200);
        agent.post("/api/v1/inboxes", new JsonObject().put("kind", "api").put("name", "x")).expect(403);
        agent.get("/api/v1/inboxes").expect(403);
        agent.post("/api/v1/agents", new JsonObject().put("email", "x@test.local").put("name", "X")).expect(403);
        agent.patch("/api/v1/agents/" + created.getLong("id"), new JsonObject().put("role", "admin")).expect(403);
    }

    @Test
    void adminsManageAgentsAndTheLastAdminStays() {
        ApiClient admin = server.admin();
        admin.post("/api/v1/agents", new JsonObject().put("email", "dup@test.local").put("name", "D")).expect(201);
        admin.post("/api/v1/agents", new JsonObject().put("email", "DUP@test.local").put("name", "D2")).expect(409);
        JsonObject invalid = admin.post("/api/v1/agents", new JsonObject().put("email", "bad").put("role", "boss")
                .put("password", "short")).expect(400).json();
        assertThat(invalid.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
                .contains("email", "name", "role", "password");

        long adminId = admin.get("/api/v1/auth/me").json().getLong("agentId");
        admin.patch("/api/v1/agents/" + adminId, new JsonObject().put("role", "agent")).expect(409);

        // A forgotten password is given a new one by the server, returned once and never cached; not with a password.
        JsonObject forgetful = admin.post("/api/v1/agents", new JsonObject().put("email", "forgot@test.local")
                .put("name", "Forgetful").put("password", "forgotten-password")).expect(201).json();
        ApiClient forgetfulSession = server.anonymous().login("forgot@test.local", "forgotten-password");
        admin.patch("/api/v1/agents/" + forgetful.getLong("id"), new JsonObject().put("resetPassword", true)
                .put("password", "chosen-password")).expect(400);
        ApiClient.Response reset = admin.patch("/api/v1/agents/" + forgetful.getLong("id"), new JsonObject()
                .put("resetPassword", true)).expect(200);
        assertThat(reset.header("Cache-Control")).isEqualTo("no-store");
        forgetfulSession.get("/api/v1/auth/me").expect(401);
        server.anonymous().login("forgot@test.local", reset.json().getString("password"))
                .get("/api/v1/auth/me").expect(200);
        assertThat(admin.get("/api/v1/agents/" + forgetful.getLong("id")).json().containsKey("password")).isFalse();

        JsonObject leaver = admin.post("/api/v1/agents", new JsonObject().put("email", "leaver@test.local")
                .put("name", "Leaver").put("password", "leaver-password")).expect(201).json();
        ApiClient leaverSession = server.anonymous().login("leaver@test.local", "leaver-password");
        admin.delete("/api/v1/agents/" + leaver.getLong("id")).expect(200);
        leaverSession.get("/api/v1/auth/me").expect(401);
        server.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", "leaver@test.local")
                .put("password", "leaver-password")).expect(401);
    }

    @Test
    void aLoginCheckedWhileThePasswordIsResetGetsNoSession() throws Exception {
        long id = server.admin().post("/api/v1/agents", new JsonObject().put("email", "reset-race@test.local")
                .put("name", "Reset Race").put("password", "old-password-1")).expect(201).json().getLong("id");
        String newHash = Passwords.hash("new-password-2");
        // What an admin's reset does (new hash, the agent's sessions ended), left uncommitted while a login with
        // the old password is checked.
        HeldTransaction<Integer> reset = HeldTransaction.start(database(), tx -> {
            tx.update("UPDATE agents SET password_hash = $2 WHERE id = $1", id, newHash);
            return tx.update("DELETE FROM agent_sessions WHERE agent_id = $1", id);
        });
        CompletableFuture<ApiClient.Response> login = CompletableFuture.supplyAsync(() -> server.anonymous()
                .post("/api/v1/auth/login", new JsonObject().put("email", "reset-race@test.local")
                        .put("password", "old-password-1")), Thread::startVirtualThread);
        await().atMost(Duration.ofSeconds(15)).until(() -> HeldTransaction.someoneWaits(database()));
        reset.commit();

        login.get(10, TimeUnit.SECONDS).expect(401);
        assertThat(database().sql().single("SELECT count(*) AS n FROM agent_sessions WHERE agent_id = $1", id)
                .getLong("n")).isZero();
        server.anonymous().login("reset-race@test.local", "new-password-2").get("/api/v1/auth/me").expect(200);
    }

    @Test
    void anEditSavedWhileTheAgentIsDeactivatedKeepsThemDeactivated() throws Exception {
        ApiClient admin = server.admin();
        long id = admin.post("/api/v1/agents", new JsonObject().put("email", "edit-race@test.local")
                .put("name", "Edit Race").put("password", "edit-password-1")).expect(201).json().getLong("id");
        // Another admin's deactivation, not yet committed when this admin saves a new name.
        HeldTransaction<Integer> deactivation = HeldTransaction.start(database(), tx -> {
            tx.update("UPDATE agents SET active = false WHERE id = $1", id);
            return tx.update("DELETE FROM agent_sessions WHERE agent_id = $1", id);
        });
        CompletableFuture<ApiClient.Response> rename = CompletableFuture.supplyAsync(() -> admin.patch(
                "/api/v1/agents/" + id, new JsonObject().put("name", "Renamed")), Thread::startVirtualThread);
        await().atMost(Duration.ofSeconds(15)).until(() -> HeldTransaction.someoneWaits(database()));
        deactivation.commit();

        JsonObject renamed = rename.get(10, TimeUnit.SECONDS).expect(200).json();
        assertThat(renamed.getString("name")).isEqualTo("Renamed");
        assertThat(renamed.getBoolean("active")).isFalse();
        server.anonymous().post("/api/v1/auth/login", new JsonObject().put("email", "edit-race@test.local")
                .put("password", "edit-password-1")).expect(401);
    }

    /** A statement cancelled under a request (an operator's cancel, a failover) is the database's moment: 503. */
    @Test
    void aRequestWhoseStatementTheDatabaseCancelsIsA503ToRetry() throws Exception {
        ApiClient admin = server.admin();
        long id = admin.post("/api/v1/agents", new JsonObject().put("email", "cancel@test.local")
                .put("name", "Cancel")).expect(201).json().getLong("id");
        HeldTransaction<Integer> holder = HeldTransaction.start(database(), tx ->
                tx.update("UPDATE agents SET name = 'Held' WHERE id = $1", id));
        CompletableFuture<ApiClient.Response> edit = CompletableFuture.supplyAsync(() -> admin.patch(
                "/api/v1/agents/" + id, new JsonObject().put("name", "Edited")), Thread::startVirtualThread);
        await().atMost(Duration.ofSeconds(15)).until(() -> HeldTransaction.someoneWaits(database()));
        database().sql().single("""
                SELECT count(pg_cancel_backend(pid)) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'""");
        ApiClient.Response answer = edit.get(10, TimeUnit.SECONDS).expect(503);
        holder.commit();

        assertThat(answer.headers().firstValue("Retry-After")).hasValue("2");
        assertThat(answer.json().getString("type")).endsWith("unavailable");
        admin.patch("/api/v1/agents/" + id, new JsonObject().put("name", "Edited")).expect(200);
    }

    private static Database database() {
        return server.throughline().database();
    }

}
