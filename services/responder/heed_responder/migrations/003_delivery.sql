-- Replies sent through the platforms' APIs: a reply moves to `sending` (committed) before a platform
-- that cannot recognise a resent request is called; a crash leaves it there to be read back, never
-- resent. `unknown` is a reply the platform may have accepted without any way to check: an agent
-- decides. A platform's "not now" puts a reply back to pending with the time to try again.
ALTER TABLE replies DROP CONSTRAINT replies_status_check;
ALTER TABLE replies ADD CONSTRAINT replies_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unknown', 'ignored'));
ALTER TABLE replies
    ADD COLUMN account             text,
    ADD COLUMN thread_root         text,
    ADD COLUMN platform_message_id text,
    ADD COLUMN attempts            integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at     timestamptz,
    ADD COLUMN sending_at          timestamptz,
    -- false while the tick still owes the reply's event (a batch's replies are reported with the batch)
    ADD COLUMN reported            boolean     NOT NULL DEFAULT true;
CREATE INDEX replies_in_flight ON replies (status, sending_at) WHERE status IN ('pending', 'sending');
CREATE INDEX replies_unreported ON replies (reply_id) WHERE NOT reported;
