-- throughline:no-transaction
-- One merge suggestion per pair of contacts, whichever way round. Each ingest checked for the pair before it
-- inserted, so two nodes (or two inboxes) meeting the same shared identity at once could each record it, one in
-- each direction, and agents saw the suggestion twice. The older row of such a pair is kept.
DELETE FROM merge_suggestions s USING merge_suggestions t
WHERE least(s.contact_id, s.other_contact_id) = least(t.contact_id, t.other_contact_id)
  AND greatest(s.contact_id, s.other_contact_id) = greatest(t.contact_id, t.other_contact_id)
  AND s.id > t.id;
DROP INDEX CONCURRENTLY IF EXISTS merge_suggestions_pair;
CREATE UNIQUE INDEX CONCURRENTLY merge_suggestions_pair
    ON merge_suggestions (least(contact_id, other_contact_id), greatest(contact_id, other_contact_id));
