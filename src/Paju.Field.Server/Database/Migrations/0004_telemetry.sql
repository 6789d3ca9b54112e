-- Telemetry: devices and their broker credentials, readings in daily partitions, the latest
-- value of every metric, dead letters, and check-ins from tag readers.

CREATE TABLE device (
    id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id     text NOT NULL UNIQUE CHECK (device_id ~ '^[a-z0-9._-]{1,64}$'),   -- MQTT username and client id
    site          text NOT NULL CHECK (site ~ '^[a-z0-9._-]{1,64}$'),
    role          text NOT NULL DEFAULT 'device' CHECK (role IN ('device', 'ingest')),
    asset_id      bigint REFERENCES asset (id),          -- what it measures: a pump station, a basin
    secret_hash   text NOT NULL,                         -- mosquitto's own $7$ format (PBKDF2-SHA512)
    description   text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    rotated_at    timestamptz,
    disabled_at   timestamptz,
    online        boolean NOT NULL DEFAULT false,
    status_at     timestamptz,
    last_boot     bigint,
    last_seen_at  timestamptz
);

-- One row per message. The de-duplication key is (device, boot, seq); the partition column ts is
-- part of the key as PostgreSQL requires, and a redelivered copy carries the same ts.
CREATE TABLE telemetry (
    device       integer NOT NULL,          -- device.id (no foreign key on the hot path; devices are never deleted)
    boot         bigint NOT NULL,
    seq          bigint NOT NULL,
    ts           timestamptz NOT NULL,      -- device time
    received_at  timestamptz NOT NULL,      -- server time, beside it
    historical   boolean NOT NULL,
    metrics      jsonb NOT NULL,
    PRIMARY KEY (device, boot, seq, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX telemetry_device_ts_idx ON telemetry (device, ts);

-- The newest value of every metric of every device; a reading replaces it only when newer.
CREATE TABLE latest_metric (
    device       integer NOT NULL REFERENCES device (id),
    metric       text NOT NULL,
    value        jsonb NOT NULL,
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    boot         bigint NOT NULL,
    seq          bigint NOT NULL,
    historical   boolean NOT NULL,
    PRIMARY KEY (device, metric)
);

CREATE TABLE dead_letter (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    client_id    text,
    username     text,
    topic        text NOT NULL,
    reason_code  text NOT NULL,
    reason       text NOT NULL,
    payload      bytea NOT NULL
);
CREATE INDEX dead_letter_received_idx ON dead_letter (received_at);
CREATE INDEX dead_letter_reason_idx ON dead_letter (reason_code);

CREATE TABLE device_checkin (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device       integer NOT NULL REFERENCES device (id),
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    payload      jsonb NOT NULL
);
