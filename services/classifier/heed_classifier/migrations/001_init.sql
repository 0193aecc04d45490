-- One row per classified mention: the idempotency key and what the report counts.
CREATE TABLE classifications (
    mention_id     uuid        PRIMARY KEY,
    language       text        NOT NULL,
    script         text,
    category       text        NOT NULL,
    issue_type     text,
    urgency        text        NOT NULL,
    model_version  text        NOT NULL,
    classified_at  timestamptz NOT NULL DEFAULT now()
);
