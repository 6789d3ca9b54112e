-- Inspections are served as an OGC API collection (signed-in callers only); its pages are keyset pages on an integer
-- feature id, so each inspection gets one beside its phone-made uuid. Existing rows are numbered in the order received.

ALTER TABLE inspection ADD COLUMN feature_id bigint;
UPDATE inspection i SET feature_id = n.rn
FROM (SELECT id, row_number() OVER (ORDER BY received_at, id) AS rn FROM inspection) n WHERE n.id = i.id;
CREATE SEQUENCE inspection_feature_id_seq OWNED BY inspection.feature_id;
SELECT setval('inspection_feature_id_seq', coalesce((SELECT max(feature_id) FROM inspection), 0) + 1, false);
ALTER TABLE inspection
    ALTER COLUMN feature_id SET DEFAULT nextval('inspection_feature_id_seq'),
    ALTER COLUMN feature_id SET NOT NULL,
    ADD CONSTRAINT inspection_feature_id_key UNIQUE (feature_id);
CREATE INDEX inspection_finished_idx ON inspection (finished_at);
CREATE INDEX checkin_ts_idx ON checkin (ts);
