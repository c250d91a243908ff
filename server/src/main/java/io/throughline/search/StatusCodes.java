package io.throughline.search;

import io.throughline.conversation.Status;

/** Conversation statuses as the small numbers stored in the index's {@code status} doc values. */
final class StatusCodes {

    private StatusCodes() {
    }

    static long of(Status status) {
        return switch (status) {
            case OPEN -> 1;
            case PENDING -> 2;
            case SNOOZED -> 3;
            case RESOLVED -> 4;
        };
    }
}
