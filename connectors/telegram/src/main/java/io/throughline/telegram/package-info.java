/**
 * The Telegram channel: a bot receives customers' private messages by long polling or webhook, exactly once in
 * effect, with their media; agents' replies go back as Telegram messages; deep links join a Telegram account to
 * an existing contact's thread.
 */
package io.throughline.telegram;
