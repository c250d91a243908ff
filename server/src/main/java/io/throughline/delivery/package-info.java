/**
 * The outbox: every outbound message is a delivery row committed with its message, claimed by dispatchers on any
 * node with FOR UPDATE SKIP LOCKED, sent through its connector, and retried with backoff.
 */
package io.throughline.delivery;
