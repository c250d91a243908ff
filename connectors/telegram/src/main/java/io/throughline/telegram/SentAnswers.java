package io.throughline.telegram;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import okhttp3.Interceptor;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Cuts Telegram's answer to a send down to what is read of it (the sent message's id, its date and its chat) before
 * TelegramBots maps it. The answer echoes the message the reply quotes as the customer sent it, and a field there
 * the library cannot read (a shape it does not know yet; the update itself was kept as a note) would make a send
 * Telegram took look failed: the outbox would send it again, ten times. Any other answer (an error, a proxy's page,
 * something that is not JSON) passes as it came.
 */
final class SentAnswers implements Interceptor {

    /** As TelegramBots writes them in its paths: in lower case. */
    private static final Set<String> SENDS = Set.of("sendmessage", "sendphoto", "senddocument");
    private static final List<String> KEPT = List.of("message_id", "date");

    private final ObjectMapper json;

    SentAnswers(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Response response = chain.proceed(chain.request());
        ResponseBody body = response.body();
        String method = chain.request().url().pathSegments().getLast().toLowerCase(Locale.ROOT);
        if (!SENDS.contains(method) || !response.isSuccessful() || body == null) {
            return response;
        }
        byte[] answer = body.bytes();
        return response.newBuilder().body(ResponseBody.create(cut(answer), body.contentType())).build();
    }

    private byte[] cut(byte[] answer) {
        try {
            JsonNode tree = json.readTree(answer);
            if (tree == null || !tree.path("ok").asBoolean(false) || !tree.path("result").isObject()) {
                return answer;
            }
            JsonNode result = tree.get("result");
            ObjectNode kept = json.createObjectNode();
            KEPT.stream().filter(result::has).forEach(field -> kept.set(field, result.get(field)));
            JsonNode chat = result.path("chat");
            if (chat.isObject()) {
                kept.putObject("chat").setAll(((ObjectNode) chat).retain("id", "type"));
            }
            return json.writeValueAsBytes(((ObjectNode) tree).set("result", kept));
        } catch (IOException e) {
            return answer;
        }
    }
}
