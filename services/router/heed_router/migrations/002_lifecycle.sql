-- The case lifecycle (heed_router/domain/lifecycle.py): status and its times, the department's
-- queue and claims, SLA timers, follow-ups and ratings; the case events the router publishes
-- (written in the same transaction as the change, published after: an outbox); answers handed
-- to the responder; internal notes.

-- A closed conversation's next mention opens a new case (its generation + 1): the conversation
-- table points at the current case.
ALTER TABLE cases DROP CONSTRAINT cases_channel_thread_root_key;
CREATE TABLE conversations (
    channel      text    NOT NULL,
    thread_root  text    NOT NULL,
    case_id      uuid    NOT NULL,
    generation   integer NOT NULL,
    PRIMARY KEY (channel, thread_root)
);
INSERT INTO conversations (channel, thread_root, case_id, generation)
    SELECT channel, thread_root, case_id, 0 FROM cases;

ALTER TABLE cases
    ADD COLUMN generation         integer     NOT NULL DEFAULT 0,
    ADD COLUMN customer           text        NOT NULL DEFAULT '',  -- channel:platform_id of the first author
    ADD COLUMN mode               text        NOT NULL DEFAULT 'holding',
    ADD COLUMN rule_id            text        NOT NULL DEFAULT '',
    ADD COLUMN priority           integer     NOT NULL DEFAULT 0,
    ADD COLUMN urgency            text        NOT NULL DEFAULT 'normal',
    ADD COLUMN urgency_rank       smallint    NOT NULL DEFAULT 1,   -- low 0, normal 1, high 2, critical 3
    ADD COLUMN sla_policy         text,
    ADD COLUMN sla_due_at         timestamptz,                      -- the current turn's answer is due
    ADD COLUMN first_due_at       timestamptz,                      -- the first answer was due (compliance)
    ADD COLUMN sla_warned_at      timestamptz,
    ADD COLUMN sla_breached_at    timestamptz,
    ADD COLUMN escalated_at       timestamptz,
    ADD COLUMN acknowledged_at    timestamptz,
    ADD COLUMN first_response_at  timestamptz,                      -- first substantive answer sent
    ADD COLUMN first_response_by  text,
    ADD COLUMN answered_by        text,
    ADD COLUMN resolved_at        timestamptz,
    ADD COLUMN resolved_by        text,
    ADD COLUMN closed_at          timestamptz,
    ADD COLUMN reopened           integer     NOT NULL DEFAULT 0,
    ADD COLUMN claimed_by         text,
    ADD COLUMN claimed_at         timestamptz,
    ADD COLUMN claim_expires_at   timestamptz,
    ADD COLUMN queued_at          timestamptz,                      -- entered the queue this turn (oldest first)
    ADD COLUMN last_mention_id    uuid,
    ADD COLUMN last_customer_at   timestamptz,
    ADD COLUMN language           text,
    ADD COLUMN script             text,
    ADD COLUMN follow_up_after    interval,                         -- from the rule; null: no follow-up
    ADD COLUMN follow_up_answer_id uuid,
    ADD COLUMN follow_up_sent_at  timestamptz,
    ADD COLUMN rating             smallint CHECK (rating BETWEEN 1 AND 5),
    ADD COLUMN rated_at           timestamptz,
    ADD COLUMN updated_at         timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN version            integer     NOT NULL DEFAULT 0;
UPDATE cases SET status = 'pending_department', queued_at = opened_at WHERE status = 'open';
ALTER TABLE cases ALTER COLUMN status SET DEFAULT 'new';
ALTER TABLE cases ADD CONSTRAINT cases_status_known CHECK (status IN
    ('new', 'acknowledged', 'pending_department', 'answered', 'awaiting_customer', 'resolved', 'closed'));
CREATE INDEX cases_queue ON cases (department, urgency_rank DESC, queued_at) WHERE status IN
    ('new', 'acknowledged', 'pending_department');
CREATE INDEX cases_customer ON cases (customer);
CREATE INDEX cases_claimed_by ON cases (claimed_by) WHERE claimed_by IS NOT NULL;

-- what the router needs of each mention to answer it later and to explain it
ALTER TABLE routed
    ADD COLUMN native_id    text,
    ADD COLUMN author_id    text,
    ADD COLUMN visibility   text,
    ADD COLUMN language     text,
    ADD COLUMN script       text,
    ADD COLUMN urgency      text,
    ADD COLUMN received_at  timestamptz;
CREATE INDEX routed_case ON routed (case_id, routed_at);

-- heed.cases.events, each written with the change that caused it and published after commit
CREATE TABLE case_events (
    seq           bigserial   UNIQUE,
    event_id      uuid        PRIMARY KEY,
    case_id       uuid        NOT NULL,
    kind          text        NOT NULL,
    body          jsonb       NOT NULL,   -- the CaseEvent as published
    occurred_at   timestamptz NOT NULL,
    published_at  timestamptz
);
CREATE INDEX case_events_case ON case_events (case_id, seq);
CREATE INDEX case_events_unpublished ON case_events (seq) WHERE published_at IS NULL;

-- heed.cases.answers: the same outbox for answers handed to the responder; the reply's fate comes back
CREATE TABLE case_answers (
    answer_id     uuid        PRIMARY KEY,
    case_id       uuid        NOT NULL,
    kind          text        NOT NULL,   -- agent, follow_up
    author        text        NOT NULL,
    body          jsonb       NOT NULL,   -- the CaseAnswer as published
    created_at    timestamptz NOT NULL,
    published_at  timestamptz,
    reply_status  text,                   -- sent, failed (from heed.replies)
    reply_error   text,
    sent_at       timestamptz
);
CREATE INDEX case_answers_case ON case_answers (case_id, created_at);
CREATE INDEX case_answers_unpublished ON case_answers (created_at) WHERE published_at IS NULL;

-- internal notes: never leave the router (the event says only that a note was added)
CREATE TABLE case_notes (
    note_id     uuid        PRIMARY KEY,
    case_id     uuid        NOT NULL,
    author      text        NOT NULL,
    text        text        NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, created_at);

-- timers that must fire even across restarts: sla_warning, sla_breach, claim_expiry, follow_up, close
CREATE TABLE case_timers (
    case_id   uuid        NOT NULL,
    kind      text        NOT NULL,
    due_at    timestamptz NOT NULL,
    fired_at  timestamptz,
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX case_timers_due ON case_timers (due_at) WHERE fired_at IS NULL;

-- follow-up consent learnt from heed.crm.customers (null: not stated, which does not refuse)
ALTER TABLE customer_tiers ADD COLUMN follow_up_consent boolean;

-- every version of every crisis alert the router published on heed.alerts (for reports and explain)
CREATE TABLE alerts (
    event_id      uuid        PRIMARY KEY,
    alert_id      uuid        NOT NULL,
    version       integer     NOT NULL,
    state         text        NOT NULL,
    topic_kind    text        NOT NULL,
    topic         text        NOT NULL,
    window_count  integer     NOT NULL,
    total_count   integer     NOT NULL,
    opened_at     timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    resolved_at   timestamptz,
    UNIQUE (alert_id, version)
);
