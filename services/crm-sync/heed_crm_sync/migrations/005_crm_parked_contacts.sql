-- A contact a CRM refused (a value it will not take): parked with the CRM's reason code (never a
-- value) until `parked_until`, or until the customer changes again (a version above `parked_version`),
-- so the rest of the sync goes on.
ALTER TABLE crm_contact_state
    ADD COLUMN parked_version  bigint,
    ADD COLUMN parked_until    timestamptz,
    ADD COLUMN parked_reason   text;
