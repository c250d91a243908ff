package io.throughline.search;

import java.util.ArrayList;
import java.util.List;

/**
 * The index schema: one document per message. Bump {@link #SCHEMA_VERSION} whenever a field, an analyzer or the
 * way a document is built changes; the next start then rebuilds the index from PostgreSQL into a directory of
 * the new version while the old one is left alone.
 */
final class SearchFields {

    static final int SCHEMA_VERSION = 3;

    /** Message id: a term (update and delete by id) and a numeric doc value (tie-break of every sort). */
    static final String ID = "id";
    static final String WORKSPACE = "workspace";
    /** Conversation id: a term, so conversation-level doc values can be updated for all its messages at once. */
    static final String CONVERSATION = "conversation";
    /** The conversation's contact (the customer), so a {@code contact:} filter follows merges. */
    static final String CONTACT = "contact";
    /** The channel the message went through; notes have the channel {@code note}. */
    static final String CHANNEL = "channel";
    /** Epoch milliseconds: points for date ranges, doc values for sorting (and the index sort). */
    static final String CREATED_AT = "created_at";
    /** Conversation status code (see {@link StatusCodes}): a doc value updated in place when it changes. */
    static final String STATUS = "status";
    /** Assignee agent id, 0 for none: a doc value updated in place when it changes. */
    static final String ASSIGNEE = "assignee";

    /** The standard analysis of subject, body and attachment names; the only stored text (for snippets). */
    static final String TEXT = "text";
    /** Exact-match fields: the same text, reduced to normalized emails, phone numbers and order-like tokens. */
    static final String EMAIL = "email";
    static final String PHONE = "phone";
    static final String ORDER = "order";

    /** Commit user data: the last event seq whose changes the commit holds. */
    static final String COMMIT_SEQ = "seq";
    static final String COMMIT_SCHEMA = "schema";
    /** Commit user data: seqs below {@link #COMMIT_SEQ} whose transaction had not ended (see {@code SeqRanges}). */
    static final String COMMIT_AWAITED = "awaited";
    /** Commit user data: a random id kept in the database, so an index is never reused with another database. */
    static final String COMMIT_OWNER = "database";
    /** The server secret holding that id. */
    static final String OWNER_SECRET = "search-index-owner";

    /** Every field analyzed from the message text, all with offsets over the same stored string. */
    static List<String> textFields() {
        List<String> fields = new ArrayList<>();
        fields.add(TEXT);
        for (Language language : Language.values()) {
            fields.add(language.field());
        }
        fields.add(EMAIL);
        fields.add(PHONE);
        fields.add(ORDER);
        return fields;
    }

    private SearchFields() {
    }
}
