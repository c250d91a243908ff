package io.throughline.connector.email;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageIdsTest {

    private static final byte[] KEY = "an inbox signing key of 32 bytes".getBytes(StandardCharsets.US_ASCII);
    private final MessageIds ids = new MessageIds(KEY, "Reply.Acme.test");

    @Test
    void aReplyAlwaysGetsTheSameSignedId() {
        String id = ids.of(17, 3);
        assertThat(id).matches("msg-17\\.3\\.[0-9a-f]{20}@reply\\.acme\\.test");
        assertThat(ids.of(17, 3)).isEqualTo(id);
        assertThat(new MessageIds(KEY, "reply.acme.test").of(17, 3)).as("same key, another node").isEqualTo(id);
        assertThat(ids.of(18, 3)).isNotEqualTo(id);
        assertThat(ids.isOurs(id)).isTrue();
        assertThat(ids.isOurs(id.toUpperCase())).as("a mail system that changed the case").isTrue();
    }

    @Test
    void anIdWithoutTheRightTagIsNotOurs() {
        String id = ids.of(17, 3);
        String tag = id.substring("msg-17.3.".length(), id.indexOf('@'));
        assertThat(ids.isOurs("msg-17.3@reply.acme.test")).as("guessed, untagged").isFalse();
        assertThat(ids.isOurs("msg-18.3." + tag + "@reply.acme.test")).as("another message's tag").isFalse();
        assertThat(ids.isOurs("msg-17.3.00000000000000000000@reply.acme.test")).isFalse();
        assertThat(ids.isOurs(id.replace("reply.acme.test", "elsewhere.test"))).as("another domain").isFalse();
        assertThat(new MessageIds("another installation's key, 32 b".getBytes(StandardCharsets.US_ASCII),
                "reply.acme.test").isOurs(id)).isFalse();
        assertThat(ids.isOurs(null)).isFalse();
        assertThat(ids.isOurs("CAJ8q3v=Ux1P5uN0@mail.gmail.com")).isFalse();
    }
}
