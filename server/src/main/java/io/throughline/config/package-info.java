/**
 * Typed configuration: every option is declared once in {@link io.throughline.config.Options}, read from YAML,
 * overridden by {@code THROUGHLINE_*} environment variables, and validated all at once.
 */
package io.throughline.config;
