-- The brand account each mention addressed: an answer is sent from the account the customer wrote to.
ALTER TABLE routed ADD COLUMN account text;
