/**
 * Canned responses: a workspace's reusable replies, inserted in the composer by typing "/" and a short code.
 * Every agent reads them; admins write them.
 */
package io.throughline.cannedresponse;
