-- Agents' answers and follow-ups (heed.cases.answers) share the outbox with automatic replies: a
-- mention may be answered more than once, so only automatic replies are one per mention; an
-- answer is one per answer id.
ALTER TABLE replies DROP CONSTRAINT replies_mention_id_key;
ALTER TABLE replies
    ADD COLUMN kind        text    NOT NULL DEFAULT 'auto' CHECK (kind IN ('auto', 'agent', 'follow_up')),
    ADD COLUMN author      text    NOT NULL DEFAULT 'heed:responder',
    ADD COLUMN answer_id   uuid    UNIQUE,
    ADD COLUMN substantive boolean NOT NULL DEFAULT false,
    ALTER COLUMN sla_due_at DROP NOT NULL;
CREATE UNIQUE INDEX replies_auto_per_mention ON replies (mention_id) WHERE kind = 'auto';
CREATE INDEX replies_mention ON replies (mention_id);
