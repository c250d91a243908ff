/**
 * The HTTP API: the router (built in one place), agent authentication and CSRF, typed request reading, and the
 * single mapping of failures to RFC 9457 problem responses.
 */
package io.throughline.http;
