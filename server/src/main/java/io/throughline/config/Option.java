package io.throughline.config;

import java.util.Locale;

/**
 * One configuration option, as in Kafka's {@code ConfigDef}: its dotted YAML key, type, default and meaning.
 *
 * @param key the dotted YAML path, e.g. {@code http.publicUrl}
 * @param type how its text is read
 * @param defaultValue the default as text; empty means "unset"
 * @param description one line for {@code --help} and the documented YAML
 * @param secret true when the value must never be printed
 */
public record Option(String key, OptionType type, String defaultValue, String description, boolean secret) {

    /** {@code http.publicUrl} becomes {@code THROUGHLINE_HTTP_PUBLIC_URL}. */
    public String envName() {
        StringBuilder name = new StringBuilder("THROUGHLINE_");
        for (char c : key.toCharArray()) {
            if (c == '.') {
                name.append('_');
            } else if (Character.isUpperCase(c)) {
                name.append('_').append(c);
            } else {
                name.append(Character.toUpperCase(c));
            }
        }
        return name.toString().toUpperCase(Locale.ROOT);
    }
}
