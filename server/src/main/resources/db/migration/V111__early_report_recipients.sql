-- The recipients a report kept until its delivery is recorded sent is about (a bounce's final recipient, with an
-- original one of the same domain): applied then only when the delivery's recipient is among them, as a report read
-- after it is.
ALTER TABLE early_delivery_reports ADD COLUMN recipients text[];
