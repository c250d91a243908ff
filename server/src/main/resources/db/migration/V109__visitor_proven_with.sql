-- Which identity secret (and signature version) proved a signed-in widget visitor: a site that rotates its secret
-- after a leak, or moves to typed signatures, ends the sessions the old one proved (a forger's among them). Visitors
-- proven before this column have none and sign in again at their next request, as after identifiedTokenTtl.
ALTER TABLE widget_visitors ADD COLUMN proven_with text;
