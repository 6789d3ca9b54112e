-- The two tables every ingest batch rewrites, kept small and quick to write.
--
-- latest_metric: a few thousand rows, each updated with every reading of its device (tens of thousands of updates a
-- second in a storm). Half-empty pages leave room for each new row version beside the old one (a HOT update: no index
-- entry, no page hop), and the table is vacuumed after a thousand dead rows instead of a fifth of itself, so it stays a
-- few pages instead of growing to megabytes of dead versions that every update then walks through.
ALTER TABLE latest_metric SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
                               autovacuum_vacuum_cost_delay = 0);

-- live_event: a state event carries a batch's readings (tens of kilobytes of JSON). lz4 compresses them several times
-- faster than PostgreSQL's default pglz; a server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE live_event ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available in this PostgreSQL build: live_event keeps pglz';
END $$;
