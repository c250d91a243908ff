package io.throughline.cannedresponse;

import io.throughline.store.Sql;
import java.util.List;
import java.util.Optional;

/** SQL for canned responses. Every statement is scoped by workspace. */
public final class CannedResponseRepository {

    /** The workspace's responses, by short code. */
    public List<CannedResponse> list(Sql sql, long workspaceId, int limit) {
        return sql.list("SELECT " + CannedResponse.COLUMNS + " FROM canned_responses WHERE workspace_id = $1"
                + " ORDER BY lower(short_code), id LIMIT $2", CannedResponse::from, workspaceId, limit);
    }

    public Optional<CannedResponse> find(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + CannedResponse.COLUMNS + " FROM canned_responses WHERE workspace_id = $1"
                + " AND id = $2", workspaceId, id).map(CannedResponse::from);
    }

    /** The response, locked until the transaction ends (an edit of one field writes the others back as read). */
    public Optional<CannedResponse> lock(Sql sql, long workspaceId, long id) {
        return sql.one("SELECT " + CannedResponse.COLUMNS + " FROM canned_responses WHERE workspace_id = $1"
                + " AND id = $2 FOR UPDATE", workspaceId, id).map(CannedResponse::from);
    }

    public boolean shortCodeTaken(Sql sql, long workspaceId, String shortCode, long exceptId) {
        return sql.one("SELECT 1 FROM canned_responses WHERE workspace_id = $1 AND lower(short_code) = lower($2)"
                + " AND id <> $3", workspaceId, shortCode, exceptId).isPresent();
    }

    public CannedResponse insert(Sql sql, long workspaceId, String shortCode, String title, String body,
                                 long agentId) {
        return CannedResponse.from(sql.single("""
                INSERT INTO canned_responses (workspace_id, short_code, title, body, created_by_agent_id)
                VALUES ($1, $2, $3, $4, $5)
                RETURNING""" + " " + CannedResponse.COLUMNS, workspaceId, shortCode, title, body, agentId));
    }

    public Optional<CannedResponse> update(Sql sql, long workspaceId, long id, String shortCode, String title,
                                           String body) {
        return sql.one("""
                UPDATE canned_responses SET short_code = $3, title = $4, body = $5, updated_at = now()
                WHERE workspace_id = $1 AND id = $2
                RETURNING""" + " " + CannedResponse.COLUMNS, workspaceId, id, shortCode, title, body)
                .map(CannedResponse::from);
    }

    public boolean delete(Sql sql, long workspaceId, long id) {
        return sql.update("DELETE FROM canned_responses WHERE workspace_id = $1 AND id = $2", workspaceId, id) > 0;
    }
}
