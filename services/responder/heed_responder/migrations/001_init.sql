-- The outbox: one row per routed mention, written before sending, so a crash never sends twice.
CREATE TABLE replies (
    reply_id       uuid        PRIMARY KEY,
    mention_id     uuid        NOT NULL UNIQUE,
    case_id        uuid        NOT NULL,
    channel        text        NOT NULL,
    visibility     text        NOT NULL,
    mode           text        NOT NULL,
    in_reply_to    text        NOT NULL,
    recipient      text        NOT NULL,
    text           text,
    language       text,
    script         text,
    template_id    text,
    status         text        NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'ignored')),
    error          text,
    received_at    timestamptz NOT NULL,
    sla_due_at     timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    sent_at        timestamptz
);

-- The sandbox channel: what would have been posted, keyed by the reply (the channel's idempotency key).
CREATE TABLE sandbox_messages (
    reply_id     uuid        PRIMARY KEY,
    mention_id   uuid        NOT NULL,
    channel      text        NOT NULL,
    visibility   text        NOT NULL,
    recipient    text        NOT NULL,
    in_reply_to  text        NOT NULL,
    text         text        NOT NULL,
    sent_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
