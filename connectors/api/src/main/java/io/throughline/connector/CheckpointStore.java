package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Where an inbox remembers how far it has received (an IMAP folder's UIDVALIDITY and last UID, a Telegram
 * offset). Scoped to the inbox. Save a checkpoint only after {@link InboundSink#accept} returned for everything
 * before it: that is what makes a restart lose nothing.
 */
public interface CheckpointStore {

    Optional<JsonObject> load(String name);

    void save(String name, JsonObject value);
}
