/**
 * The channel SPI: a connector translates between one protocol (email, Telegram, a webhook) and these records.
 * The server owns persistence, checkpoints, retries and HTTP; a connector never touches SQL.
 */
package io.throughline.connector;
