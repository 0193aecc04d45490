-- Customer 360: merges of one person's identities, preferences, consent, tags, who changed what,
-- erasure, and the state of the two-way sync with external CRMs (HubSpot, Salesforce).
--
-- A merge moves nothing: every row stays on the customer id it was recorded under (sealed values are
-- bound to it), and `merged_into` points an alias at its survivor; reads gather a survivor and its
-- aliases, and an unmerge only clears the pointer.

-- versions grow across all customers, so the newest announcement about an identity wins even when a
-- merge or an unmerge moves it between customers
CREATE SEQUENCE customer_versions;
SELECT setval('customer_versions', greatest((SELECT max(version) FROM customers), 1));
ALTER TABLE customers ALTER COLUMN version SET DEFAULT nextval('customer_versions');

ALTER TABLE customers
    ADD COLUMN merged_into         uuid REFERENCES customers (customer_id),
    ADD COLUMN tags                text[]      NOT NULL DEFAULT '{}',
    ADD COLUMN preferred_language  text,
    ADD COLUMN erased_at           timestamptz,
    ADD COLUMN erased_identities   text[],      -- kept only until the erasure is announced
    -- field → {"source": heed|agent|hubspot|salesforce|verification, "at": time}: who set it last
    ADD COLUMN field_sources       jsonb       NOT NULL DEFAULT '{}';
CREATE INDEX customers_aliases ON customers (merged_into) WHERE merged_into IS NOT NULL;

-- what customers said they like or need; `proposed` waits for an agent, `confirmed` is on the record
CREATE TABLE preferences (
    customer_id  uuid        NOT NULL REFERENCES customers (customer_id),
    kind         text        NOT NULL,
    value        text        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('proposed', 'confirmed', 'rejected')),
    source       text        NOT NULL,   -- said (the extractor), agent, hubspot, salesforce
    confidence   real        NOT NULL,
    evidence     text,                   -- the pattern id, never the customer's words
    mention_id   uuid,
    stated_at    timestamptz NOT NULL,
    decided_by   text,
    PRIMARY KEY (customer_id, kind, value)
);

CREATE TABLE consents (
    customer_id  uuid        NOT NULL REFERENCES customers (customer_id),
    purpose      text        NOT NULL CHECK (purpose IN ('marketing', 'follow_up')),
    granted      boolean     NOT NULL,
    source       text        NOT NULL,
    recorded_at  timestamptz NOT NULL,
    PRIMARY KEY (customer_id, purpose)
);

-- one row per merge, kept after an unmerge; the reason is a rule name, never a value
CREATE TABLE merges (
    merge_id      uuid        PRIMARY KEY,
    survivor_id   uuid        NOT NULL,
    merged_id     uuid        NOT NULL,
    rule          text        NOT NULL,
    actor         text        NOT NULL,
    merged_at     timestamptz NOT NULL,
    unmerged_at   timestamptz,
    unmerged_by   text
);
CREATE INDEX merges_customer ON merges (merged_id) WHERE unmerged_at IS NULL;

-- each change made through the API or from a CRM: which field, by whom, from where; no values
CREATE TABLE customer_changes (
    change_id    bigserial   PRIMARY KEY,
    customer_id  uuid        NOT NULL,
    field        text        NOT NULL,
    actor        text        NOT NULL,
    source       text        NOT NULL,
    changed_at   timestamptz NOT NULL
);
CREATE INDEX customer_changes_customer ON customer_changes (customer_id, changed_at);

-- the external CRMs' contact for each customer
CREATE TABLE crm_links (
    system       text        NOT NULL,
    external_id  text        NOT NULL,
    customer_id  uuid        NOT NULL REFERENCES customers (customer_id),
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (system, external_id),
    UNIQUE (system, customer_id)
);

-- what still has to reach each CRM: a customer's owned fields, or one interaction; one row per
-- (system, what), so a redelivered event never queues a second push
CREATE TABLE crm_outbox (
    system       text        NOT NULL,
    item_kind    text        NOT NULL CHECK (item_kind IN ('contact', 'interaction')),
    item_id      uuid        NOT NULL,   -- the customer id, or the interaction's id
    customer_id  uuid        NOT NULL,
    due_at       timestamptz NOT NULL DEFAULT now(),
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text,
    pushed_at    timestamptz,
    PRIMARY KEY (system, item_kind, item_id)
);
CREATE INDEX crm_outbox_due ON crm_outbox (system, due_at) WHERE pushed_at IS NULL;

-- the value of each field last exchanged with each CRM (a keyed digest, not the value): a change that
-- matches it is an echo and goes nowhere, so nothing bounces between Heed and a CRM
CREATE TABLE crm_field_state (
    system       text        NOT NULL,
    customer_id  uuid        NOT NULL,
    field        text        NOT NULL,
    digest       bytea       NOT NULL,
    origin       text        NOT NULL,   -- heed (we pushed it) or the CRM (we received it)
    exchanged_at timestamptz NOT NULL,
    PRIMARY KEY (system, customer_id, field)
);

-- the newest customer version pushed to each CRM (later versions are looked at, and pushed if a field
-- Heed owns changed)
CREATE TABLE crm_contact_state (
    system          text    NOT NULL,
    customer_id     uuid    NOT NULL,
    pushed_version  bigint  NOT NULL,
    PRIMARY KEY (system, customer_id)
);

ALTER TABLE interaction_replies ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX interactions_recorded ON interactions (recorded_at, mention_id);
CREATE INDEX interaction_replies_recorded ON interaction_replies (recorded_at);
CREATE INDEX case_timeline_recorded ON case_timeline (recorded_at);

-- where polling a CRM for changes goes on from (and where queueing interactions for it does)
CREATE TABLE crm_cursors (
    system       text        PRIMARY KEY,
    since        timestamptz NOT NULL,
    after_id     uuid                      -- with `since`, a keyset position (the preferences reader's)
);

-- erasures on request: when, by whom, how many rows each table lost; the customer only as a keyed
-- hash, so "was this person erased?" can be answered without keeping who they were
CREATE TABLE erasures (
    erasure_id     uuid        PRIMARY KEY,
    subject_hash   bytea       NOT NULL,
    actor          text        NOT NULL,
    requested_at   timestamptz NOT NULL,
    rows_removed   jsonb       NOT NULL
);

-- a case event finds its customer through the case's first routing: without this, every event
-- scanned every routing (heed bench: the case-timeline insert was crm-sync's slowest statement)
CREATE INDEX interaction_routing_case ON interaction_routing (case_id);
