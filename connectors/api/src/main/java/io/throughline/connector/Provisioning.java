package io.throughline.connector;

import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * A config ready to store, and the secrets minted for it.
 *
 * @param config the config to store (it may hold the minted secrets, or their hashes)
 * @param minted secrets to show the admin exactly once ({@code token}, {@code siteKey})
 */
public record Provisioning(JsonObject config, Map<String, String> minted) {

    public Provisioning {
        minted = Map.copyOf(minted);
    }
}
