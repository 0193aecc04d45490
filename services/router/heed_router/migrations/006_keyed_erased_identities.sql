-- Erased identities are remembered by a keyed hash from now on: HMAC-SHA256 under HEED_ERASURE_KEY
-- (heed.identity_hashes), as ingest and the responder do. A key derived from the identity alone, as
-- before, could be recomputed from a guessed platform id. The rows before keep that key, as its 16
-- bytes: they are still found (nothing recomputes a hash it cannot reverse), and an announcement that
-- names the identity again replaces them with its keyed hash.
ALTER TABLE erased_identities
    ALTER COLUMN identity_key TYPE bytea USING decode(replace(identity_key::text, '-', ''), 'hex');
ALTER TABLE erased_identities RENAME COLUMN identity_key TO identity_hash;
