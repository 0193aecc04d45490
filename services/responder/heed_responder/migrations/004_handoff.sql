-- An angry or sensitive public post gets a short public acknowledgement (the automatic reply) and
-- a private message carrying the secure verification link (kind `handoff`), one per mention.
ALTER TABLE replies DROP CONSTRAINT replies_kind_check;
ALTER TABLE replies ADD CONSTRAINT replies_kind_check CHECK (kind IN ('auto', 'handoff', 'agent', 'follow_up'));
CREATE UNIQUE INDEX replies_handoff_per_mention ON replies (mention_id) WHERE kind = 'handoff';
