-- The live log holds JSON texts that are only sent on as they are: every reader takes payload::text into an SSE frame.
-- As jsonb, each payload was parsed into PostgreSQL's binary form when appended and printed back to text whenever it
-- was read. For a storm's state events (tens of kilobytes a batch, several batches a second) that was a tenth of
-- PostgreSQL's work per reading. As json the text is checked once on the way in and kept as it came.
ALTER TABLE live_event ALTER COLUMN payload TYPE json USING payload::json;

-- Changing the type resets the column's compression (checked: attcompression comes back empty), so it is set again.
DO $$
BEGIN
    ALTER TABLE live_event ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available in this PostgreSQL build: live_event keeps pglz';
END $$;

-- An event the server writes as text comes as json and is appended as it is (see 0006: last in its transaction, under
-- the log's lock). Its text goes into an SSE data line, so it must be one line, as a compact writer's output is.
CREATE FUNCTION live_event_append(event_type text, event_payload json, event_at timestamptz DEFAULT now())
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('paju.live_event.append'));
    INSERT INTO live_event (at, type, payload) VALUES (event_at, event_type, event_payload) RETURNING id INTO new_id;
    RETURN new_id;
END $$;

-- Events built in SQL (jsonb_build_object …) keep calling the jsonb form, which prints them once as compact text and
-- appends through the json form: the lock and the insert stay in one place.
CREATE OR REPLACE FUNCTION live_event_append(event_type text, event_payload jsonb, event_at timestamptz DEFAULT now())
RETURNS bigint LANGUAGE sql AS $$
    SELECT live_event_append(event_type, event_payload::json, event_at);
$$;
