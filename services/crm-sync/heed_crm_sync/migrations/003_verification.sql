-- Secure verification (the public → private handoff): the minimum of contact data a customer's
-- identity is checked against, each link's attempts and single use, the details customers typed,
-- and which customers and cases are verified. Values a person could be found or harmed by are
-- stored sealed (AES-256-GCM, `key_id` names the key) and found through keyed hashes, never in clear.
ALTER TABLE customers ADD COLUMN verified_at timestamptz;

CREATE TABLE contact_points (
    contact_point_id  uuid        PRIMARY KEY,
    customer_id       uuid        NOT NULL REFERENCES customers (customer_id),
    kind              text        NOT NULL CHECK (kind IN ('phone', 'email')),
    value_ciphertext  bytea       NOT NULL,
    value_nonce       bytea       NOT NULL,
    key_id            text        NOT NULL,
    lookup_hash       bytea       NOT NULL,  -- keyed hash of the normalised value
    source            text        NOT NULL,  -- heed, hubspot, salesforce, …
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, kind, lookup_hash)
);
CREATE INDEX contact_points_lookup ON contact_points (kind, lookup_hash);

CREATE TABLE order_refs (
    customer_id  uuid        NOT NULL REFERENCES customers (customer_id),
    order_hash   bytea       NOT NULL,  -- keyed hash of the normalised order number
    source       text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, order_hash)
);

-- wrong identity checks per link; the row is locked while an attempt is judged
CREATE TABLE link_attempts (
    link_id         uuid        PRIMARY KEY,
    failures        integer     NOT NULL DEFAULT 0,
    last_failed_at  timestamptz
);

-- a link is honoured once: verified, or locked after too many wrong tries
CREATE TABLE used_links (
    link_id      uuid        PRIMARY KEY,
    case_id      uuid        NOT NULL,
    customer_id  uuid        NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('verified', 'locked')),
    used_at      timestamptz NOT NULL
);

CREATE TABLE sensitive_details (
    link_id      uuid        PRIMARY KEY REFERENCES used_links (link_id),
    customer_id  uuid        NOT NULL REFERENCES customers (customer_id),
    case_id      uuid        NOT NULL,
    ciphertext   bytea       NOT NULL,
    nonce        bytea       NOT NULL,
    key_id       text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sensitive_details_case ON sensitive_details (case_id);

-- the case shows verified; `published_at` stays empty until heed.crm.verifications has the event
CREATE TABLE case_verifications (
    link_id           uuid        PRIMARY KEY REFERENCES used_links (link_id),
    case_id           uuid        NOT NULL,
    customer_id       uuid        NOT NULL REFERENCES customers (customer_id),
    method            text        NOT NULL,
    details_received  boolean     NOT NULL,
    verified_at       timestamptz NOT NULL,
    published_at      timestamptz
);
CREATE INDEX case_verifications_case ON case_verifications (case_id);
CREATE INDEX case_verifications_unpublished ON case_verifications (verified_at) WHERE published_at IS NULL;
