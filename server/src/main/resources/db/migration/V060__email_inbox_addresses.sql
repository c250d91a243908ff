-- An address or a reply domain names one email inbox: the SMTP listener routes mail by them. Two inboxes claiming
-- the same one (in two workspaces above all) would let one capture the other's mail, so each is unique among the
-- email inboxes in service.
CREATE UNIQUE INDEX inboxes_email_address ON inboxes (lower(config ->> 'address'))
    WHERE kind = 'email' AND deleted_at IS NULL;
CREATE UNIQUE INDEX inboxes_email_reply_domain ON inboxes (lower(config ->> 'replyDomain'))
    WHERE kind = 'email' AND deleted_at IS NULL AND config ->> 'replyDomain' IS NOT NULL;
