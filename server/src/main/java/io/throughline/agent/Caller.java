package io.throughline.agent;

import io.throughline.failure.Forbidden;

/**
 * The authenticated agent behind a request.
 *
 * @param agentId who
 * @param workspaceId the workspace every query of this request is scoped to
 * @param role what they may do
 * @param name their display name (shown on replies)
 * @param viaCookie true when the session came from the cookie, so unsafe methods need the CSRF header
 * @param csrfToken the session's CSRF token
 */
public record Caller(long agentId, long workspaceId, Role role, String name, boolean viaCookie, String csrfToken) {

    public boolean admin() {
        return role == Role.ADMIN;
    }

    /** Throws {@link Forbidden} unless the caller is an admin. */
    public void requireAdmin() {
        if (!admin()) {
            throw new Forbidden("this action needs the admin role");
        }
    }
}
