-- Agents' corrections of the classifier's labels (docs/CASES.md, "Correcting the classifier"): the
-- mention's text, which a correction sends to the classifier (the model's labels and version are in
-- `routed` since 007), and each correction as the case shows it. An erasure empties the text with the
-- mention's ids.
ALTER TABLE routed ADD COLUMN text text;

-- the latest correction of each field of each mention; the history is the case's `corrected` events
CREATE TABLE case_corrections (
    mention_id    uuid        NOT NULL,
    field         text        NOT NULL CHECK (field IN ('category', 'issue_type', 'urgency', 'language')),
    case_id       uuid        NOT NULL,
    original      text,
    corrected     text        NOT NULL,
    actor         text        NOT NULL,
    corrected_at  timestamptz NOT NULL,
    PRIMARY KEY (mention_id, field)
);
CREATE INDEX case_corrections_case ON case_corrections (case_id, corrected_at);
