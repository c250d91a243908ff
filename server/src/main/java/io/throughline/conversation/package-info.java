/**
 * Conversations (exactly one per contact: the thread across every channel), their messages, statuses,
 * assignment, labels and notes, and the rule that picks the channel a reply goes to.
 */
package io.throughline.conversation;
