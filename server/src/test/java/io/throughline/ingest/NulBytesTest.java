package io.throughline.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** U+0000 goes from text and from every key and string of a JSON tree; a clean tree is returned as it is. */
class NulBytesTest {

    @Test
    void nulIsRemovedEverywhereInATree() {
        JsonObject dirty = new JsonObject().put("subject", "Hi\u0000").put("head\u0000ers", new JsonObject()
                .put("x", new JsonArray().add("a\u0000b").add(3))).put("n", 1);
        assertThat(NulBytes.strip(dirty)).isEqualTo(new JsonObject().put("subject", "Hi").put("headers",
                new JsonObject().put("x", new JsonArray().add("ab").add(3))).put("n", 1));
        assertThat(NulBytes.strip("a\u0000\u0000b")).isEqualTo("ab");
    }

    @Test
    void aCleanTreeIsNotCopied() {
        JsonObject clean = new JsonObject().put("a", new JsonArray().add("b"));
        assertThat(NulBytes.strip(clean)).isSameAs(clean);
    }
}
