-- Erasure on request (`erased: true` on heed.crm.customers): what finds an erased customer's rows
-- without keeping who they were. Every hash is HMAC-SHA256 under HEED_ERASURE_KEY (a built-in key
-- when unset); see heed_ingest/domain/erasure.py.

-- The author of each mention recorded from now on. Rows from before hold NULL: only those whose
-- thread root spells the identity (a DM's `dm:<id>`) can be found. No index: this is the pipeline's
-- hottest insert, and an erasure (rare) scans the table once.
ALTER TABLE mentions ADD COLUMN author_hash bytea;

-- Each dead letter's identities as its typed fields name them, and whether those are all it holds
-- (one of Heed's own events). When not (raw platform bodies, bytes that did not decode, and every
-- letter archived before this migration) an erasure also scans its bytes for the platform id.
ALTER TABLE dead_letters
    ADD COLUMN identity_hashes     bytea[] NOT NULL DEFAULT '{}',
    ADD COLUMN identities_complete boolean NOT NULL DEFAULT false;

CREATE INDEX dead_letters_identity_hashes ON dead_letters USING gin (identity_hashes);
CREATE INDEX dead_letters_scanned ON dead_letters (event_id) WHERE NOT identities_complete;

-- Identities erased within HEED_DLQ_RETENTION_DAYS, as hashes only: a dead letter about one that
-- arrives later (the DLQ topic keeps records for its own retention) is not archived. The platform
-- id's hash alone screens letters whose channel cannot be told.
CREATE TABLE erased_identities (
    identity_hash     bytea       PRIMARY KEY,
    platform_id_hash  bytea       NOT NULL,
    erased_at         timestamptz NOT NULL
);

CREATE INDEX erased_identities_platform_id_hash ON erased_identities (platform_id_hash);
CREATE INDEX erased_identities_erased_at ON erased_identities (erased_at);

-- The audit: one row per erasure announced, with no personal data (the customer as a keyed hash,
-- counts of identities and of rows removed per table).
CREATE TABLE erasures (
    erasure_id    uuid        PRIMARY KEY,
    subject_hash  bytea       NOT NULL,
    identities    integer     NOT NULL,
    rows_removed  jsonb       NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now()
);
