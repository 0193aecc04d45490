-- What `heed dlq replay` needs to put a dead letter back where it came from: the record's Kafka
-- key, and for a raw event's body the RawMention source and content type to wrap it in again.
-- Purging by age (`heed dlq purge`, ingest's hourly purge) scans failed_at.
ALTER TABLE dead_letters
    ADD COLUMN key              text,
    ADD COLUMN raw_source       text,
    ADD COLUMN raw_content_type text;

CREATE INDEX dead_letters_failed_at ON dead_letters (failed_at);
