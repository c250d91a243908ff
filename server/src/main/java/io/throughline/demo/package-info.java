/**
 * Demo data for a first start: a demo inbox and a few multilingual conversations, written through the same
 * ingest path as real messages.
 */
package io.throughline.demo;
