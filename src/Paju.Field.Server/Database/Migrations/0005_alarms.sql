-- Stations and alarms: stage–storage curves, alarm rules as data, alarms with their lifecycle,
-- and the event log behind the live feed.

---------------------------------------------------------------------------
-- Stage–storage: level (m) → stored volume (m³) per basin or tank, as measured points.
---------------------------------------------------------------------------
CREATE TABLE stage_storage (
    asset_id   bigint NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
    level_m    numeric NOT NULL,
    volume_m3  numeric NOT NULL CHECK (volume_m3 >= 0),
    PRIMARY KEY (asset_id, level_m)
);

-- Linear interpolation between the bracketing points; below the first and above the last point
-- the curve is clamped (a sensor reading outside the curve does not invent volume).
CREATE FUNCTION stage_volume(asset bigint, level numeric) RETURNS numeric
LANGUAGE sql STABLE AS $$
    WITH lo AS (SELECT level_m, volume_m3 FROM stage_storage WHERE asset_id = asset AND level_m <= level ORDER BY level_m DESC LIMIT 1),
         hi AS (SELECT level_m, volume_m3 FROM stage_storage WHERE asset_id = asset AND level_m >= level ORDER BY level_m LIMIT 1)
    SELECT CASE
        WHEN (SELECT level_m FROM lo) IS NULL THEN (SELECT volume_m3 FROM hi)
        WHEN (SELECT level_m FROM hi) IS NULL THEN (SELECT volume_m3 FROM lo)
        WHEN (SELECT level_m FROM hi) = (SELECT level_m FROM lo) THEN (SELECT volume_m3 FROM lo)
        ELSE (SELECT volume_m3 FROM lo) + ((SELECT volume_m3 FROM hi) - (SELECT volume_m3 FROM lo))
             * (level - (SELECT level_m FROM lo)) / ((SELECT level_m FROM hi) - (SELECT level_m FROM lo))
    END
$$;

-- Fill of a basin or tank at a level: stored volume over capacity (retention_basin/storage_tank).
CREATE FUNCTION fill_percent(asset bigint, level numeric) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT round(100 * stage_volume(asset, level) / coalesce(
        (SELECT capacity_m3 FROM retention_basin WHERE asset_id = asset),
        (SELECT capacity_m3 FROM storage_tank WHERE asset_id = asset)), 2)
$$;

---------------------------------------------------------------------------
-- Alarm rules as data. A rule watches one metric of one device (the device that measures the
-- asset) or, for 'offline', the device itself.
--   high / high_high: value >= threshold;     clears when value < threshold - deadband
--   low:              value <= threshold;     clears when value > threshold + deadband
--   rate_of_rise:     rise in m/h >= threshold (over the last window_s); clears below threshold - deadband
--   no_data:          no reading of the metric for threshold seconds
--   offline:          the device's Last Will said offline
-- The condition must hold for on_delay_s before the alarm is raised (no flapping on a wave).
---------------------------------------------------------------------------
CREATE TABLE alarm_rule (
    id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE,
    device       integer NOT NULL REFERENCES device (id),
    asset_id     bigint REFERENCES asset (id),
    metric       text,
    kind         text NOT NULL CHECK (kind IN ('high', 'high_high', 'low', 'rate_of_rise', 'no_data', 'offline')),
    threshold    double precision,
    deadband     double precision NOT NULL DEFAULT 0 CHECK (deadband >= 0),
    on_delay_s   integer NOT NULL DEFAULT 0 CHECK (on_delay_s >= 0),
    window_s     integer NOT NULL DEFAULT 600 CHECK (window_s > 0),
    priority     smallint NOT NULL CHECK (priority BETWEEN 1 AND 4),
    message_ko   text NOT NULL,
    enabled      boolean NOT NULL DEFAULT true,
    CHECK ((kind = 'offline') = (metric IS NULL)),
    CHECK (kind IN ('offline') OR threshold IS NOT NULL)
);

-- What the evaluator knows between runs: since when the condition has held, and the open alarm.
CREATE TABLE alarm_rule_state (
    rule_id          integer PRIMARY KEY REFERENCES alarm_rule (id) ON DELETE CASCADE,
    condition_since  timestamptz,
    evaluated_at     timestamptz NOT NULL
);

-- One alarm from raise to clear. Raised, then acknowledged (who, comment), then cleared; or cleared
-- unacknowledged and still waiting for acknowledgement. Shelving hides it until shelved_until.
CREATE TABLE alarm (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id         integer NOT NULL REFERENCES alarm_rule (id),
    priority        smallint NOT NULL,
    raised_at       timestamptz NOT NULL,
    raised_value    double precision,
    acknowledged_at timestamptz,
    acknowledged_by text,
    ack_comment     text,
    cleared_at      timestamptz,
    shelved_until   timestamptz,
    shelved_by      text,
    shelve_reason   text,
    escalated_at    timestamptz
);
-- At most one open (not cleared) alarm per rule.
CREATE UNIQUE INDEX alarm_open_per_rule ON alarm (rule_id) WHERE cleared_at IS NULL;
CREATE INDEX alarm_raised_idx ON alarm (raised_at);

---------------------------------------------------------------------------
-- The live feed's log: every alarm transition (and later, state changes), in order. Its id is
-- the SSE event id, so a client that reconnects with Last-Event-ID gets exactly what it missed.
---------------------------------------------------------------------------
CREATE TABLE live_event (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    type     text NOT NULL,
    payload  jsonb NOT NULL
);

CREATE FUNCTION live_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('live_event', '');
    RETURN NULL;
END $$;

CREATE TRIGGER live_event_notify AFTER INSERT ON live_event FOR EACH STATEMENT EXECUTE FUNCTION live_event_notify();
