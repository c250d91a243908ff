/**
 * Contacts (customers) and their identities: the proven/claimed rules that decide who wrote, merge suggestions,
 * and merges that can always be undone.
 */
package io.throughline.contact;
