-- Ingest owns the dedupe ledger of mentions and the archive of dead letters.
CREATE TABLE mentions (
    channel       text        NOT NULL,
    native_id     text        NOT NULL,
    mention_id    uuid        NOT NULL UNIQUE,
    thread_root   text        NOT NULL,
    raw_event_id  uuid        NOT NULL,
    received_at   timestamptz NOT NULL,
    published     boolean     NOT NULL DEFAULT false,
    seen          integer     NOT NULL DEFAULT 1,
    PRIMARY KEY (channel, native_id)
);

CREATE TABLE dead_letters (
    event_id      uuid        PRIMARY KEY,
    source_topic  text        NOT NULL,
    partition     integer,
    "offset"      bigint,
    service       text        NOT NULL,
    error_type    text        NOT NULL,
    error         text        NOT NULL,
    origin        text,
    original      bytea       NOT NULL,
    failed_at     timestamptz NOT NULL,
    replayed_at   timestamptz
);
