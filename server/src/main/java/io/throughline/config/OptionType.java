package io.throughline.config;

/** How an option's text is read. */
public enum OptionType {
    STRING("text"),
    INT("integer"),
    BOOL("true|false"),
    DURATION("duration, e.g. 500ms, 30s, 15m, 2h, 14d"),
    SIZE("size, e.g. 512KB, 1MB, 20MB"),
    URL("URL"),
    LIST("comma-separated list");

    private final String description;

    OptionType(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
