package io.throughline.conversation;

/**
 * What {@code GET /api/v1/conversations} asks for; null fields do not filter.
 *
 * @param status only this status
 * @param assignee {@code me}, {@code none}, or an agent id
 * @param channel only conversations where the customer used this channel
 * @param cursor where the previous page ended
 * @param limit page size
 */
public record ConversationFilter(Status status, String assignee, String channel, Cursor cursor, int limit) {
}
