package io.throughline.store;

import io.vertx.core.buffer.Buffer;
import java.security.SecureRandom;

/** Installation-wide secrets (the reply-token key), generated once and shared by every node through the database. */
public final class ServerSecrets {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ServerSecrets() {
    }

    /** The named secret, created with {@code bytes} random bytes on first use. */
    public static byte[] getOrCreate(Sql sql, String name, int bytes) {
        byte[] fresh = new byte[bytes];
        RANDOM.nextBytes(fresh);
        sql.update("INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name,
                Buffer.buffer(fresh));
        return sql.single("SELECT value FROM server_secrets WHERE name = $1", name).getBuffer("value").getBytes();
    }
}
