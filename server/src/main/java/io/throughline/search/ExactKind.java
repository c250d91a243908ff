package io.throughline.search;

/** Tokens that must be found exactly as typed, whatever their format, each with its own field. */
enum ExactKind {
    EMAIL(SearchFields.EMAIL),
    PHONE(SearchFields.PHONE),
    ORDER(SearchFields.ORDER);

    private final String field;

    ExactKind(String field) {
        this.field = field;
    }

    String field() {
        return field;
    }
}
