/**
 * The event log and what is derived from it in real time: the per-node feed that reads committed events in seq
 * order, the LISTEN/NOTIFY doorbell between nodes, and the agent WebSocket stream.
 */
package io.throughline.realtime;
