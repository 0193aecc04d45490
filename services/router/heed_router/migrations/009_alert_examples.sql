-- The console's alert banner links each open crisis alert to example mentions (docs/CONSOLE.md,
-- supervisors): the ids the alert event carries, kept with each version the router published.
ALTER TABLE alerts ADD COLUMN example_mention_ids uuid[] NOT NULL DEFAULT '{}';
