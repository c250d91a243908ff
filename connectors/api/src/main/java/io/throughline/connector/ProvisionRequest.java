package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.net.URI;

/**
 * An inbox config to prepare for storage.
 *
 * @param inboxId the inbox's id (already reserved for a new inbox)
 * @param workspaceId the workspace the inbox belongs to
 * @param config the config the admin sent, already valid per {@link ChannelConnector#validate}
 * @param previous the stored config for an update, with secrets; null for a new inbox
 * @param publicUrl the public base URL of this Throughline
 */
public record ProvisionRequest(long inboxId, long workspaceId, JsonObject config, JsonObject previous,
                               URI publicUrl) {
}
