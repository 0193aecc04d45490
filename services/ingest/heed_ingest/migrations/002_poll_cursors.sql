-- Where each poller stopped (a platform's since_id), saved only after the broker acknowledged
-- everything fetched up to it: a restart resumes without gaps or repeats.
CREATE TABLE poll_cursors (
    source      text        PRIMARY KEY,
    cursor      text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
