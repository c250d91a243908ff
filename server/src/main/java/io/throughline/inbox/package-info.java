/**
 * Inboxes: configured channel endpoints. Their CRUD and provisioning, the connector registry (ServiceLoader), and
 * the supervisor that opens them on every node and runs each one's receiver on exactly one node.
 */
package io.throughline.inbox;
