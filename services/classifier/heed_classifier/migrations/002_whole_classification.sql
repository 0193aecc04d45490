-- The whole decision, so `heed explain` can say why: sentiment, complexity, the kinds of PII found
-- (never their values), confidences and the explanation, as the Classification model dumps them.
-- Rows written before this migration keep NULL: only the columns above were stored then.
ALTER TABLE classifications ADD COLUMN classification jsonb;
