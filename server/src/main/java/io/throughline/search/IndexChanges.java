package io.throughline.search;

import io.throughline.realtime.Event;
import io.throughline.realtime.EventType;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a batch of events asks of the index, per workspace: messages to reindex (created, edited, redacted, moved),
 * conversations whose messages all moved (merge, unmerge), and conversations whose status or assignee changed
 * (their doc values are rewritten in place). Events only say what changed; the indexer reads the current state
 * from PostgreSQL, so applying a batch twice, or in a batch with later events, gives the same index.
 */
final class IndexChanges {

    /** The changes of one workspace. */
    static final class Workspace {
        final Set<Long> messages = new LinkedHashSet<>();
        final Set<Long> movedConversations = new LinkedHashSet<>();
        final Set<Long> conversationStates = new LinkedHashSet<>();

        boolean isEmpty() {
            return messages.isEmpty() && movedConversations.isEmpty() && conversationStates.isEmpty();
        }
    }

    private final Map<Long, Workspace> workspaces = new TreeMap<>();

    static IndexChanges of(List<Event> events) {
        IndexChanges changes = new IndexChanges();
        for (Event event : events) {
            changes.add(event);
        }
        return changes;
    }

    Map<Long, Workspace> byWorkspace() {
        return workspaces;
    }

    boolean isEmpty() {
        return workspaces.values().stream().allMatch(Workspace::isEmpty);
    }

    private void add(Event event) {
        JsonObject data = event.data();
        switch (event.type()) {
            case EventType.MESSAGE_CREATED, EventType.MESSAGE_UPDATED, EventType.MESSAGE_MOVED -> {
                Long id = messageId(data);
                if (id != null) {
                    workspace(event).messages.add(id);
                }
            }
            case EventType.CONTACT_MERGED -> {
                addIfPresent(workspace(event).movedConversations, data.getLong("conversationId"));
                addIfPresent(workspace(event).movedConversations, data.getLong("sourceConversationId"));
            }
            case EventType.CONTACT_UNMERGED -> {
                addIfPresent(workspace(event).movedConversations, data.getLong("conversationId"));
                addIfPresent(workspace(event).movedConversations, data.getLong("restoredConversationId"));
            }
            case EventType.CONVERSATION_STATUS_CHANGED, EventType.ASSIGNEE_CHANGED -> {
                JsonObject conversation = data.getJsonObject("conversation");
                addIfPresent(workspace(event).conversationStates,
                        conversation == null ? data.getLong("conversationId") : conversation.getLong("id"));
            }
            default -> {
                // Deliveries, contacts, inboxes and the rest change nothing the index holds.
            }
        }
    }

    private static Long messageId(JsonObject data) {
        JsonObject message = data.getJsonObject("message");
        if (message != null && message.getLong("id") != null) {
            return message.getLong("id");
        }
        return data.getLong("messageId");
    }

    private Workspace workspace(Event event) {
        return workspaces.computeIfAbsent(event.workspaceId(), id -> new Workspace());
    }

    private static void addIfPresent(Set<Long> into, Long id) {
        if (id != null) {
            into.add(id);
        }
    }
}
