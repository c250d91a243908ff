package io.throughline.inbox;

import io.vertx.core.json.JsonObject;
import java.util.Set;

/**
 * Hides an inbox's secret config fields on the way out, and keeps them on an update that leaves them out (or
 * sends the mask back unchanged, as a settings form does).
 */
final class Secrets {

    static final String MASK = "********";

    private Secrets() {
    }

    /** A copy with every present secret field replaced by {@link #MASK}. */
    static JsonObject redact(JsonObject config, Set<String> paths) {
        JsonObject copy = config.copy();
        for (String path : paths) {
            JsonObject parent = parent(copy, path, false);
            String leaf = leaf(path);
            if (parent != null && parent.getValue(leaf) != null) {
                parent.put(leaf, MASK);
            }
        }
        return copy;
    }

    /** The new config, with secret fields that are absent or masked taken from the stored config. */
    static JsonObject keep(JsonObject incoming, JsonObject stored, Set<String> paths) {
        JsonObject merged = incoming.copy();
        for (String path : paths) {
            JsonObject target = parent(merged, path, false);
            Object value = target == null ? null : target.getValue(leaf(path));
            if (value == null || MASK.equals(value)) {
                JsonObject source = parent(stored, path, false);
                Object previous = source == null ? null : source.getValue(leaf(path));
                if (previous != null) {
                    parent(merged, path, true).put(leaf(path), previous);
                } else if (target != null) {
                    target.remove(leaf(path));
                }
            }
        }
        return merged;
    }

    private static JsonObject parent(JsonObject root, String path, boolean create) {
        String[] parts = path.split("\\.");
        JsonObject current = root;
        for (int i = 0; i < parts.length - 1 && current != null; i++) {
            Object next = current.getValue(parts[i]);
            if (next instanceof JsonObject object) {
                current = object;
            } else if (create) {
                JsonObject fresh = new JsonObject();
                current.put(parts[i], fresh);
                current = fresh;
            } else {
                current = null;
            }
        }
        return current;
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }
}
