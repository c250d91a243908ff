package io.throughline.webui;

import static org.assertj.core.api.Assertions.assertThat;

import io.throughline.testing.ApiClient;
import io.throughline.testing.TestServer;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The app's files as a browser fetches them: a strict CSP whose hash matches the inline import map, every library
 * the import map names served from webjars, and every module of the app reachable.
 */
class WebUiAssetsIT {

    private static final Pattern IMPORT_MAP = Pattern.compile("<script type=\"importmap\">(.*?)</script>",
            Pattern.DOTALL);
    private static final Pattern IMPORTS = Pattern.compile("(?:import|from)\\s*['\"](\\.{1,2}/[^'\"]+)['\"]");

    private static TestServer server;
    private static ApiClient browser;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        browser = server.anonymous();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void theAppDocumentHasAStrictPolicyThatAllowsExactlyItsImportMap() throws Exception {
        ApiClient.Response index = browser.get("/").expect(200);
        String csp = index.header("Content-Security-Policy");
        assertThat(csp).contains("default-src 'none'").contains("object-src 'none'")
                .contains("frame-ancestors 'none'").doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
        Matcher map = IMPORT_MAP.matcher(index.body());
        assertThat(map.find()).isTrue();
        String hash = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256")
                .digest(map.group(1).getBytes(StandardCharsets.UTF_8)));
        assertThat(csp).contains("script-src 'self' 'sha256-" + hash + "'");
        assertThat(index.header("X-Frame-Options")).isEqualTo("DENY");
        assertThat(index.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(browser.raw("HEAD", "/", null, new byte[0]).expect(200).header("Content-Security-Policy"))
                .isEqualTo(csp);
    }

    @Test
    void everyLibraryOfTheImportMapIsServedFromWebjars() {
        String html = browser.get("/").expect(200).body();
        Matcher map = IMPORT_MAP.matcher(html);
        assertThat(map.find()).isTrue();
        JsonObject imports = new JsonObject(map.group(1)).getJsonObject("imports");
        for (String name : imports.fieldNames()) {
            String target = imports.getString(name);
            if (target.endsWith("/")) {
                continue;
            }
            ApiClient.Response file = browser.get(target);
            assertThat(file.status()).as("import map entry %s -> %s", name, target).isEqualTo(200);
            assertThat(file.header("Content-Type")).as(target).startsWith("text/javascript");
            assertThat(file.header("Cache-Control")).as(target).contains("max-age=31536000");
        }
    }

    @Test
    void everyModuleOfTheAppIsReachable() {
        Deque<String> queue = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        queue.add("/app/main.js");
        while (!queue.isEmpty()) {
            String path = queue.poll();
            if (!seen.add(path)) {
                continue;
            }
            ApiClient.Response module = browser.get(path);
            assertThat(module.status()).as(path).isEqualTo(200);
            assertThat(module.header("Content-Type")).as(path).startsWith("text/javascript");
            Matcher imports = IMPORTS.matcher(module.body());
            while (imports.find()) {
                queue.add(URI.create("http://x" + path).resolve(imports.group(1)).getPath());
            }
        }
        assertThat(seen).hasSizeGreaterThan(30).contains("/app/store.js", "/app/components/tl-composer.js",
                "/app/i18n/uk.js", "/app/i18n/ru.js", "/app/i18n/pl.js");
        assertThat(browser.get("/app/styles/app.css").expect(200).header("Cache-Control")).isEqualTo("no-cache");
    }

    /** The frame's files come from their own folder, kept five minutes; nothing else is reachable under it. */
    @Test
    void theWidgetsAssetsAreOnlyTheWidgetsOwn() {
        ApiClient.Response frame = browser.get("/widget/assets/frame.js").expect(200);
        assertThat(frame.header("Cache-Control")).contains("max-age=300");
        assertThat(frame.body()).contains("import");
        browser.get("/widget/assets/index.html").expect(404);
        // A document that could run script, served as a plain file, runs nothing on the app's origin.
        assertThat(browser.get("/app/icons/favicon.svg").expect(200).header("Content-Security-Policy"))
                .isEqualTo("sandbox; default-src 'none'");
        browser.get("/widget/assets/app/store.js").expect(404);
    }

    @Test
    void theApiStillAnswersProblemsNotTheApp() {
        assertThat(browser.get("/api/v1/nothing-here").expect(404).header("Content-Type"))
                .isEqualTo("application/problem+json");
        browser.get("/vendor/").expect(404);
    }
}
