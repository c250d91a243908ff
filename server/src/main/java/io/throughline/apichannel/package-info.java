/**
 * The API channel: another system injects customer messages with an inbox token, and receives agent replies as
 * signed webhook POSTs delivered through the outbox.
 */
package io.throughline.apichannel;
