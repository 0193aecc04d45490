-- The CRM's customer 360 on the router's side (docs/QUEUES.md, docs/CASES.md "Erasure"):
-- identities merged into one customer share its queue turns; a customer's owner gets their cases
-- reserved until the first SLA warning; an erased customer is forgotten.

-- the customer an identity belongs to now (the merge's survivor): the fair queue's turn key
ALTER TABLE customer_tiers ADD COLUMN customer_id uuid;
CREATE INDEX customer_tiers_customer ON customer_tiers (customer_id) WHERE customer_id IS NOT NULL;

-- the agent (agent:<owner>) a new case waits for, and until when (then it is everyone's)
ALTER TABLE cases
    ADD COLUMN reserved_for   text,
    ADD COLUMN reserved_until timestamptz;

-- identities erased on request, only as a one-way key (derive_id of the identity), with the
-- erasure's version: an announcement about the identity no newer than it is refused
CREATE TABLE erased_identities (
    identity_key  uuid        PRIMARY KEY,
    version       integer     NOT NULL,
    erased_at     timestamptz NOT NULL DEFAULT now()
);
