package io.throughline.search;

import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.LongField;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.Term;

/**
 * Builds the Lucene document of a message. Every text field is analyzed from the same string with offsets in
 * the postings, so the highlighter can mark what any field matched in the one stored copy of the text.
 */
final class MessageDocuments {

    /** The channel value of notes, which go through no channel. */
    static final String NOTE_CHANNEL = "note";

    private static final FieldType TEXT_STORED = textType(true, false);
    private static final FieldType TEXT = textType(false, false);
    private static final FieldType EXACT = textType(false, true);

    private MessageDocuments() {
    }

    static Term idTerm(long messageId) {
        return new Term(SearchFields.ID, Long.toString(messageId));
    }

    static Term conversationTerm(long conversationId) {
        return new Term(SearchFields.CONVERSATION, Long.toString(conversationId));
    }

    static Document toDocument(IndexedMessage message) {
        Document doc = new Document();
        doc.add(new StringField(SearchFields.ID, Long.toString(message.id()), Field.Store.NO));
        doc.add(new NumericDocValuesField(SearchFields.ID, message.id()));
        doc.add(new StringField(SearchFields.WORKSPACE, Long.toString(message.workspaceId()), Field.Store.NO));
        doc.add(new StringField(SearchFields.CONVERSATION, Long.toString(message.conversationId()), Field.Store.NO));
        doc.add(new StringField(SearchFields.CONTACT, Long.toString(message.contactId()), Field.Store.NO));
        doc.add(new StringField(SearchFields.CHANNEL, message.channel() == null ? NOTE_CHANNEL : message.channel(),
                Field.Store.NO));
        doc.add(new LongField(SearchFields.CREATED_AT, message.createdAt().toEpochMilli(), Field.Store.NO));
        doc.add(new NumericDocValuesField(SearchFields.STATUS, StatusCodes.of(message.status())));
        doc.add(new NumericDocValuesField(SearchFields.ASSIGNEE, assigneeValue(message.assigneeId())));

        String text = message.text();
        doc.add(new Field(SearchFields.TEXT, text, TEXT_STORED));
        for (Language language : LanguageDetector.detect(text).languages()) {
            doc.add(new Field(language.field(), text, TEXT));
        }
        if (text.indexOf('@') >= 0) {
            doc.add(new Field(SearchFields.EMAIL, text, EXACT));
        }
        if (hasDigit(text)) {
            doc.add(new Field(SearchFields.PHONE, text, EXACT));
            doc.add(new Field(SearchFields.ORDER, text, EXACT));
        }
        return doc;
    }

    /** Unassigned is 0 in the index (doc values cannot be unset in place). */
    static long assigneeValue(Long assigneeId) {
        return assigneeId == null ? 0 : assigneeId;
    }

    private static boolean hasDigit(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isDigit(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static FieldType textType(boolean stored, boolean exact) {
        FieldType type = new FieldType();
        type.setTokenized(true);
        type.setStored(stored);
        type.setIndexOptions(IndexOptions.DOCS_AND_FREQS_AND_POSITIONS_AND_OFFSETS);
        // An exact token either is in a message or is not: its length says nothing about relevance.
        type.setOmitNorms(exact);
        type.freeze();
        return type;
    }
}
