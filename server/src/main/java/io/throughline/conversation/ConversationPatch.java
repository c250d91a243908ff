package io.throughline.conversation;

import io.throughline.failure.Invalid;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * A {@code PATCH /api/v1/conversations/{id}}: null means "leave as it is", except where a {@code *Set} flag says
 * the field was present (so {@code assigneeId: null} unassigns). Labels are either replaced ({@code labels}) or
 * changed one by one ({@code addLabels}, {@code removeLabels}, applied to the labels stored when the change
 * commits, so two agents labelling the same conversation at once both keep their label).
 */
public record ConversationPatch(Status status, boolean assigneeSet, Long assigneeId, Priority priority,
                                List<String> labels, List<String> addLabels, List<String> removeLabels,
                                boolean snoozedUntilSet, Instant snoozedUntil) {

    /** The most labels one conversation carries. */
    public static final int MAX_LABELS = 50;

    /** The labels once this patch is applied to {@code current}, in their order, new ones last. */
    public List<String> labelsOver(List<String> current) {
        if (labels != null) {
            return labels;
        }
        if (addLabels == null && removeLabels == null) {
            return current;
        }
        LinkedHashSet<String> result = new LinkedHashSet<>(current);
        if (removeLabels != null) {
            removeLabels.forEach(result::remove);
        }
        if (addLabels != null) {
            result.addAll(addLabels);
        }
        if (result.size() > MAX_LABELS && result.size() > current.size()) {
            throw Invalid.field("addLabels", "a conversation has at most " + MAX_LABELS + " labels");
        }
        return List.copyOf(result);
    }
}
