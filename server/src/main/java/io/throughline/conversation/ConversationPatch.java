package io.throughline.conversation;

import java.time.Instant;
import java.util.List;

/**
 * A {@code PATCH /api/v1/conversations/{id}}: null means "leave as it is", except where a {@code *Set} flag says
 * the field was present (so {@code assigneeId: null} unassigns).
 */
public record ConversationPatch(Status status, boolean assigneeSet, Long assigneeId, Priority priority,
                                List<String> labels, boolean snoozedUntilSet, Instant snoozedUntil) {
}
