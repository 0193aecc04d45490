-- The fair queue's memory: when each customer last got a turn in each department (docs/QUEUES.md).
CREATE TABLE queue_turns (
    department      text        NOT NULL,
    customer        text        NOT NULL,
    last_served_at  timestamptz NOT NULL,
    PRIMARY KEY (department, customer)
);
