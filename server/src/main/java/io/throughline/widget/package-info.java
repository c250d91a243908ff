/**
 * The website chat widget channel: visitor sessions and their tokens, the visitor WebSocket and its HTTP fallback,
 * exactly-once sends through ingest, live fan-out from the event feed, presence and read receipts, and uploads.
 */
package io.throughline.widget;
