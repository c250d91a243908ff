/**
 * The single path every inbound message takes: deduplicate, find the conversation it continues, resolve the
 * sender's contact, and store message, identities and events in one transaction before acknowledging.
 */
package io.throughline.ingest;
