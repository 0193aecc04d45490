-- What crm-sync announces on heed.crm.customers that changes a reply: the name on record to greet by
-- and the language the customer asked to be answered in. One row per identity, keyed by a digest of
-- channel:platform_id, so the row an erasure leaves (to refuse older announcements) names no one.
CREATE TABLE customer_profiles (
    identity_digest  bytea       PRIMARY KEY,
    display_name     text,
    language         text,
    version          bigint      NOT NULL,  -- crm-sync's one sequence: the newest announcement wins
    erased           boolean     NOT NULL DEFAULT false,
    forgotten_before timestamptz,           -- the latest erasure: nothing received up to then is answered
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- A reply whose customer's data was erased keeps ids and status only (no text, recipient or posts)
-- and is never reported again.
ALTER TABLE replies ADD COLUMN erased boolean NOT NULL DEFAULT false;
