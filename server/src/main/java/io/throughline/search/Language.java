package io.throughline.search;

import java.util.Locale;
import java.util.Optional;

/**
 * A language with its own stemmed field. Each message is indexed in the standard field plus the field of every
 * language detected in it; queries search all of them, so an inflected form finds the others in any language.
 */
public enum Language {
    EN("en"),
    RU("ru"),
    UK("uk"),
    PL("pl");

    private final String code;

    Language(String code) {
        this.code = code;
    }

    /** The ISO 639-1 code. */
    public String code() {
        return code;
    }

    /** The Lucene field holding this language's analysis of the message text. */
    public String field() {
        return SearchFields.TEXT + "_" + code;
    }

    public static Optional<Language> fromCode(String code) {
        String wanted = code.toLowerCase(Locale.ROOT);
        for (Language language : values()) {
            if (language.code.equals(wanted)) {
                return Optional.of(language);
            }
        }
        return Optional.empty();
    }
}
