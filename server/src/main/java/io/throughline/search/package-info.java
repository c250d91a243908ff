/**
 * Multilingual full-text search over every message: the Lucene index derived from the event log (near-real-time,
 * rebuildable online from PostgreSQL), the analyzers and language detection, and the query syntax agents type.
 */
package io.throughline.search;
