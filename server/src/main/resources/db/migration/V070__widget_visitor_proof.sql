-- When the site last proved (with the identity's HMAC) who a signed-in visitor is. The visitor's token works for
-- widget.identifiedTokenTtl after it: a token copied from a shared computer stops opening the customer's thread,
-- while the frame proves the identity again on every page load and never notices.
ALTER TABLE widget_visitors ADD COLUMN proven_at timestamptz;
UPDATE widget_visitors SET proven_at = now() WHERE identity IS NOT NULL;
