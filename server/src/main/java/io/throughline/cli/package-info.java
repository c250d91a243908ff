/** The command line: {@code start}, {@code create-agent}, {@code create-workspace}, and their help. */
package io.throughline.cli;
