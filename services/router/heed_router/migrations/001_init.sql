-- Router owns cases (one per conversation), each mention's routing decision, and the customer
-- tiers it learns from heed.crm.customers.
CREATE TABLE cases (
    case_id           uuid        PRIMARY KEY,
    channel           text        NOT NULL,
    thread_root       text        NOT NULL,
    department        text        NOT NULL,
    first_mention_id  uuid        NOT NULL,
    opened_at         timestamptz NOT NULL DEFAULT now(),
    status            text        NOT NULL DEFAULT 'open',
    UNIQUE (channel, thread_root)
);

CREATE TABLE routed (
    mention_id   uuid        PRIMARY KEY,
    case_id      uuid        NOT NULL REFERENCES cases (case_id),
    department   text        NOT NULL,
    mode         text        NOT NULL,
    priority     integer     NOT NULL,
    sla_due_at   timestamptz NOT NULL,
    rule_id      text        NOT NULL,
    routed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE customer_tiers (
    identity    text        PRIMARY KEY,
    tier        text        NOT NULL,
    owner       text,
    version     integer     NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
