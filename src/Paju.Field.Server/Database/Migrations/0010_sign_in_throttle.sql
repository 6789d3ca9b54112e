-- Failed sign-ins, per account, per address and per MQTT device: growing delays, then a temporary lock
-- an administrator can lift. In the database so that every server process behind a load balancer sees
-- the same count; a row is removed by a success (accounts, devices) or by an administrator.
CREATE TABLE sign_in_throttle (
    kind              text NOT NULL CHECK (kind IN ('account', 'address', 'device')),
    key               text NOT NULL,
    failures          integer NOT NULL CHECK (failures > 0),
    first_failure_at  timestamptz NOT NULL,
    last_failure_at   timestamptz NOT NULL,
    locked_until      timestamptz,
    PRIMARY KEY (kind, key)
);
