/**
 * PostgreSQL access: the pool, versioned migrations, the embedded server, and the blocking {@link Sql} handle
 * that repositories use from virtual threads.
 */
package io.throughline.store;
