package io.throughline.connector;

import io.vertx.core.json.JsonObject;

/**
 * What a channel said when it accepted a message.
 *
 * @param externalId the id the channel gave it (a Message-ID, a Telegram message id), or null
 * @param metadata channel details to keep with the delivery
 */
public record DeliveryReceipt(String externalId, JsonObject metadata) {

    public DeliveryReceipt {
        metadata = metadata == null ? new JsonObject() : metadata;
    }

    public static DeliveryReceipt of(String externalId) {
        return new DeliveryReceipt(externalId, new JsonObject());
    }
}
