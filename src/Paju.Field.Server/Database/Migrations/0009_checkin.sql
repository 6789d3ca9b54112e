-- Check-ins under the v1 contract (PROTOCOL.md, "Check-ins"): parsed and checked before they reach
-- SQL, one row per (device, boot, seq) so a redelivered or replayed check-in is stored once.
-- Verification against the tag registry comes later and reads these rows.

-- Before the contract, check-ins were kept as the device's raw JSON. Those rows stay for review.
ALTER TABLE device_checkin RENAME TO device_checkin_legacy;
COMMENT ON TABLE device_checkin_legacy IS
    'Check-ins as raw JSON from before the v1 CheckIn contract; kept for review, no longer written.';

CREATE TABLE checkin (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device       integer NOT NULL REFERENCES device (id),
    boot         bigint NOT NULL CHECK (boot >= 0),
    seq          bigint NOT NULL CHECK (seq >= 0),
    ts           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    -- The chip's UID in upper-case hex (4, 7 or 10 bytes), and/or the URL exactly as read.
    uid          text CHECK (uid ~ '^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$'),
    url          text CHECK (length(url) <= 2048),
    reader       text,
    operator     text,
    position     geometry(Point, 4326),
    accuracy_m   double precision CHECK (accuracy_m >= 0),
    historical   boolean NOT NULL DEFAULT false,
    CHECK (uid IS NOT NULL OR url IS NOT NULL),
    UNIQUE (device, boot, seq)
);

CREATE INDEX checkin_device_ts ON checkin (device, ts DESC);
CREATE INDEX checkin_uid ON checkin (uid) WHERE uid IS NOT NULL;
