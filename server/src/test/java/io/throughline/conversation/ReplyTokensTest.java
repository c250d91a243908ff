package io.throughline.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReplyTokensTest {

    private final ReplyTokens tokens = new ReplyTokens("a-32-byte-secret-for-the-test!!!".getBytes(StandardCharsets.UTF_8));

    @Test
    void aTokenNamesItsConversationInItsWorkspaceOnly() {
        String token = tokens.issue(7, 1234);
        assertThat(token).matches("[a-z0-9]+");
        assertThat(tokens.verify(7, token)).contains(1234L);
        assertThat(tokens.verify(8, token)).isEmpty();
    }

    @Test
    void mailSystemsThatUppercaseTheLocalPartDoNotBreakIt() {
        assertThat(tokens.verify(7, tokens.issue(7, 99).toUpperCase())).contains(99L);
    }

    @Test
    void forgedAndMalformedTokensAreRejected() {
        String token = tokens.issue(7, 1234);
        String otherConversation = token.replace("c1234k", "c1235k");
        assertThat(tokens.verify(7, otherConversation)).isEmpty();
        assertThat(tokens.verify(7, "c1234k" + "0".repeat(20))).isEmpty();
        assertThat(tokens.verify(7, "garbage")).isEmpty();
        assertThat(tokens.verify(7, null)).isEmpty();
        assertThat(tokens.verify(7, "c99999999999999999999k" + "0".repeat(20))).isEmpty();
        assertThat(new ReplyTokens("another-secret-another-secret-!!".getBytes(StandardCharsets.UTF_8))
                .verify(7, token)).isEmpty();
    }
}
