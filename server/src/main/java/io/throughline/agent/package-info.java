/**
 * Agents (the members of a workspace), their Argon2id passwords, sessions and the login rate limits, plus the
 * workspaces they belong to.
 */
package io.throughline.agent;
