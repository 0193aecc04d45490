-- Agents' corrections of the classifier's labels (heed.classifier.corrections), with the mention's
-- text: what `heed classifier train --corrections` learns from. The latest per (mention, field).
-- The author is kept only as a keyed hash of their identity (HMAC under HEED_ERASURE_KEY), so an
-- erasure on heed.crm.erasures deletes their rows.
CREATE TABLE corrections (
    mention_id     uuid        NOT NULL,
    field          text        NOT NULL CHECK (field IN ('category', 'issue_type', 'urgency', 'language')),
    value          text        NOT NULL,
    original       text,
    text           text        NOT NULL,
    case_id        uuid        NOT NULL,
    channel        text        NOT NULL,
    identity_hash  bytea       NOT NULL,
    received_at    timestamptz NOT NULL,
    model_version  text,
    actor          text        NOT NULL,
    corrected_at   timestamptz NOT NULL,
    event_id       uuid        NOT NULL,
    PRIMARY KEY (mention_id, field)
);
CREATE INDEX corrections_identity ON corrections (identity_hash);

-- identities erased on request, as their keyed hash, with the time of the erasure: a correction about
-- a mention received before it, arriving late, is not kept
CREATE TABLE erased_identities (
    identity_hash  bytea       PRIMARY KEY,
    erased_before  timestamptz NOT NULL
);
