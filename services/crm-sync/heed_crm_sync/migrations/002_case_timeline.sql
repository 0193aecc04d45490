-- Every reply on an interaction (the automatic one, department answers, follow-ups), and the case
-- events a customer record keeps: first response, breaches, transfers, resolution, reopening,
-- ratings. Ids and outcomes only; what anyone wrote stays with the interaction and the replies.
ALTER TABLE interaction_replies DROP CONSTRAINT interaction_replies_pkey;
ALTER TABLE interaction_replies ADD PRIMARY KEY (reply_id);
ALTER TABLE interaction_replies
    ADD COLUMN kind    text NOT NULL DEFAULT 'auto',
    ADD COLUMN author  text NOT NULL DEFAULT 'heed:responder';
CREATE INDEX interaction_replies_mention ON interaction_replies (mention_id);

CREATE TABLE case_timeline (
    event_id     uuid        PRIMARY KEY,
    case_id      uuid        NOT NULL,
    customer_id  uuid,                     -- from the case's interactions, when crm-sync has them
    kind         text        NOT NULL,
    status       text,
    rating       smallint CHECK (rating BETWEEN 1 AND 5),
    actor        text,
    department   text,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX case_timeline_customer ON case_timeline (customer_id, occurred_at);
CREATE INDEX case_timeline_case ON case_timeline (case_id, occurred_at);
