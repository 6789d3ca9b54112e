-- The live feed carries latest-state changes beside alarm transitions, and its ids follow commit
-- order so that a reader who has seen event N has seen every event below N.

---------------------------------------------------------------------------
-- Appending to the live log. An identity column alone hands out ids in insert order, not commit
-- order: with two ingest batches in flight, id 102 can commit before 101, and a reader resuming
-- after 102 would never see 101. The transaction lock below is taken just before the insert and
-- released only after the commit is visible, so the next writer's id is drawn after this one's row
-- can be read. Writers therefore append last in their transaction.
---------------------------------------------------------------------------
CREATE FUNCTION live_event_append(event_type text, event_payload jsonb, event_at timestamptz DEFAULT now())
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    new_id bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('paju.live_event.append'));
    INSERT INTO live_event (at, type, payload) VALUES (event_at, event_type, event_payload) RETURNING id INTO new_id;
    RETURN new_id;
END $$;

---------------------------------------------------------------------------
-- Retention. State events arrive many times a second during a storm, so the log keeps a window
-- (hours) long enough for any reconnect. A client resuming from before the window is told to
-- reload rather than silently given a partial history: purged_through is the highest id removed.
---------------------------------------------------------------------------
CREATE TABLE live_event_horizon (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    purged_through  bigint NOT NULL DEFAULT 0
);
INSERT INTO live_event_horizon DEFAULT VALUES;

CREATE INDEX live_event_at ON live_event (at);
