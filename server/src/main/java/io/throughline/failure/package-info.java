/**
 * The domain's failures, each carrying its HTTP status, mapped to RFC 9457 problems in one place
 * ({@code io.throughline.http.ProblemHandler}).
 */
package io.throughline.failure;
