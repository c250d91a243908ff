package io.throughline.connector;

/** Which inbox: its id, its workspace, its kind and its display name. */
public record InboxRef(long id, long workspaceId, String kind, String name) {
}
