package io.throughline.cannedresponse;

import io.throughline.agent.Caller;
import io.throughline.failure.Conflict;
import io.throughline.failure.NotFound;
import io.throughline.store.Database;
import io.throughline.store.Sql;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists, creates, changes and deletes a workspace's canned responses. Every agent reads them; only admins change
 * them. A short code is unique in its workspace, whatever its case.
 */
public final class CannedResponseService {

    /** A workspace keeps at most this many: the composer's picker filters them in memory. */
    public static final int MAX_PER_WORKSPACE = 1000;

    private static final Logger log = LoggerFactory.getLogger(CannedResponseService.class);

    private final Database database;
    private final CannedResponseRepository responses;

    public CannedResponseService(Database database, CannedResponseRepository responses) {
        this.database = database;
        this.responses = responses;
    }

    /** A new or changed response. */
    public record Draft(String shortCode, String title, String body) {
    }

    /**
     * The workspace's responses. With a query: short codes that start with it first, then those whose title or
     * text contains it, compared case-insensitively in any script (Cyrillic included, whatever the database's
     * collation).
     */
    public List<CannedResponse> list(Caller caller, String query) {
        List<CannedResponse> all = responses.list(database.sql(), caller.workspaceId(), MAX_PER_WORKSPACE);
        if (query == null) {
            return all;
        }
        String q = query.toLowerCase(Locale.ROOT);
        return all.stream()
                .filter(r -> lower(r.shortCode()).startsWith(q) || lower(r.title()).contains(q)
                        || lower(r.body()).contains(q))
                .sorted(Comparator.comparing((CannedResponse r) -> !lower(r.shortCode()).startsWith(q)))
                .toList();
    }

    public CannedResponse get(Caller caller, long id) {
        return responses.find(database.sql(), caller.workspaceId(), id).orElseThrow(() -> notFound(id));
    }

    public CannedResponse create(Caller caller, Draft draft) {
        caller.requireAdmin();
        CannedResponse created = uniquely(draft.shortCode(), () -> database.tx(tx -> {
            // The workspace's row orders creates, so two at the cap cannot both pass its count. NO KEY: the rows
            // that refer to the workspace (every message and event of it) take KEY SHARE, which this lets through.
            tx.one("SELECT id FROM workspaces WHERE id = $1 FOR NO KEY UPDATE", caller.workspaceId());
            requireFreeShortCode(tx, caller.workspaceId(), draft.shortCode(), 0);
            if (responses.list(tx, caller.workspaceId(), MAX_PER_WORKSPACE).size() >= MAX_PER_WORKSPACE) {
                throw new Conflict("a workspace keeps at most " + MAX_PER_WORKSPACE + " canned responses");
            }
            return responses.insert(tx, caller.workspaceId(), draft.shortCode(), draft.title(), draft.body(),
                    caller.agentId());
        }));
        log.info("canned response created canned={} workspace={} agent={}", created.id(), caller.workspaceId(),
                caller.agentId());
        return created;
    }

    public CannedResponse update(Caller caller, long id, Draft change) {
        caller.requireAdmin();
        CannedResponse updated = uniquely(change.shortCode(), () -> database.tx(tx -> {
            CannedResponse current = responses.lock(tx, caller.workspaceId(), id).orElseThrow(() -> notFound(id));
            String shortCode = change.shortCode() == null ? current.shortCode() : change.shortCode();
            requireFreeShortCode(tx, caller.workspaceId(), shortCode, id);
            return responses.update(tx, caller.workspaceId(), id, shortCode,
                    change.title() == null ? current.title() : emptyToNull(change.title()),
                    change.body() == null ? current.body() : change.body()).orElseThrow(() -> notFound(id));
        }));
        log.info("canned response updated canned={} agent={}", id, caller.agentId());
        return updated;
    }

    public void delete(Caller caller, long id) {
        caller.requireAdmin();
        if (!responses.delete(database.sql(), caller.workspaceId(), id)) {
            throw notFound(id);
        }
        log.info("canned response deleted canned={} agent={}", id, caller.agentId());
    }

    private void requireFreeShortCode(Sql tx, long workspaceId, String shortCode, long exceptId) {
        if (responses.shortCodeTaken(tx, workspaceId, shortCode, exceptId)) {
            throw new Conflict("the short code '" + shortCode + "' is already used by another canned response");
        }
    }

    /** Two admins saving the same new short code at once: the unique index decides, and the loser gets a 409. */
    private static CannedResponse uniquely(String shortCode, Supplier<CannedResponse> work) {
        try {
            return work.get();
        } catch (RuntimeException e) {
            if (Database.isUniqueViolation(e)) {
                throw new Conflict("the short code '" + shortCode + "' is already used by another canned response");
            }
            throw e;
        }
    }

    private static String lower(String text) {
        return text == null ? "" : text.toLowerCase(Locale.ROOT);
    }

    private static String emptyToNull(String text) {
        return text.isBlank() ? null : text;
    }

    private static NotFound notFound(long id) {
        return new NotFound("no canned response " + id + " in this workspace");
    }
}
