package io.throughline.inbox;

import io.throughline.failure.Invalid;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

    /**
     * The new config, with secret fields that are absent or masked taken from the stored config, as long as what
     * says where each is sent ({@code destinations}) is unchanged; {@link Invalid} naming the secrets to give
     * again otherwise. A secret given as JSON {@code null} is removed, and so is one whose whole section the new
     * config leaves out (an email inbox that stops reading IMAP, or moves from a password to OAuth2).
     */
    static JsonObject keep(JsonObject incoming, JsonObject stored, Set<String> paths,
                           Map<String, Set<String>> destinations) {
        JsonObject merged = incoming.copy();
        List<Invalid.FieldError> again = new ArrayList<>();
        for (String path : paths.stream().sorted().toList()) {
            JsonObject target = parent(merged, path, false);
            if (target == null || target.containsKey(leaf(path)) && target.getValue(leaf(path)) == null) {
                if (target != null) {
                    target.remove(leaf(path));
                }
                continue;
            }
            Object value = target.getValue(leaf(path));
            if (value == null || MASK.equals(value)) {
                Object previous = value(stored, path);
                List<String> moved = destinations.getOrDefault(path, Set.of()).stream().sorted()
                        .filter(field -> !Objects.equals(value(incoming, field), value(stored, field))).toList();
                if (previous != null && !moved.isEmpty()) {
                    again.add(new Invalid.FieldError("config." + path, "give it again: "
                            + String.join(", ", moved) + " changed, and the stored one is sent only where it was"));
                } else if (previous != null) {
                    target.put(leaf(path), previous);
                } else {
                    target.remove(leaf(path));
                }
            }
        }
        if (!again.isEmpty()) {
            throw new Invalid("a secret must be given again when where it goes changes", again);
        }
        return merged;
    }

    private static Object value(JsonObject root, String path) {
        JsonObject parent = parent(root, path, false);
        return parent == null ? null : parent.getValue(leaf(path));
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
