-- Customer 360: customers, their identities across channels, and one interaction per mention,
-- with what routing and the responder did about it (kept apart so arrival order never matters).
CREATE TABLE customers (
    customer_id        uuid        PRIMARY KEY,
    tier               text        NOT NULL DEFAULT 'standard',
    owner              text,
    display_name       text,
    version            integer     NOT NULL DEFAULT 1,
    published_version  integer     NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_unpublished ON customers (customer_id) WHERE published_version < version;

CREATE TABLE identities (
    channel      text        NOT NULL,
    platform_id  text        NOT NULL,
    customer_id  uuid        NOT NULL REFERENCES customers (customer_id),
    handle       text,
    followers    integer     NOT NULL DEFAULT 0,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, platform_id)
);

CREATE TABLE interactions (
    mention_id   uuid        PRIMARY KEY,
    customer_id  uuid        NOT NULL REFERENCES customers (customer_id),
    channel      text        NOT NULL,
    native_id    text        NOT NULL,
    kind         text        NOT NULL,
    visibility   text        NOT NULL,
    text         text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interactions_by_customer ON interactions (customer_id, occurred_at);

CREATE TABLE interaction_routing (
    mention_id   uuid        PRIMARY KEY,
    case_id      uuid        NOT NULL,
    category     text        NOT NULL,
    issue_type   text,
    department   text        NOT NULL,
    mode         text        NOT NULL,
    sla_due_at   timestamptz NOT NULL
);

CREATE TABLE interaction_replies (
    mention_id   uuid        PRIMARY KEY,
    reply_id     uuid        NOT NULL,
    status       text        NOT NULL,
    visibility   text        NOT NULL,
    text         text        NOT NULL,
    sent_at      timestamptz
);
