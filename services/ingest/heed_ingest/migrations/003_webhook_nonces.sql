-- Nonces of signed webhooks (WeChat, Weibo) whose signatures do not cover the body: a nonce seen
-- again with the same body is the platform's retry, with another body a replayed signature. Rows
-- are kept while their timestamp is inside HEED_WEBHOOK_MAX_AGE_S, then purged by ingest.
CREATE TABLE webhook_nonces (
    channel      text        NOT NULL,
    nonce        text        NOT NULL,
    body_sha256  bytea       NOT NULL,
    signed_at    timestamptz NOT NULL,
    seen_at      timestamptz NOT NULL,
    published    boolean     NOT NULL DEFAULT false,
    PRIMARY KEY (channel, nonce)
);

CREATE INDEX webhook_nonces_signed_at ON webhook_nonces (signed_at);
