/**
 * Benchmarks: each runs Throughline and a baseline side by side in one process and prints the ratio. They measure
 * and report; they never fail because a machine is slow.
 */
package io.throughline.bench;
