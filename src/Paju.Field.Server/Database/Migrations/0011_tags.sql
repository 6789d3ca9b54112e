-- Plates and proof of presence: every asset can carry tags (a printed QR code, an NTAG 213/215, an NTAG 424
-- DNA), each with one URL; check-ins are verified against them. The keys are not here: they live in a key
-- file or the configuration, so a dump of this database cannot forge a plate.

CREATE TABLE tag (
    id           text PRIMARY KEY CHECK (id ~ '^[0-9a-z]{6,32}$'),
    asset_id     bigint NOT NULL REFERENCES asset (id),
    type         text NOT NULL CHECK (type IN ('qr', 'ntag213', 'ntag215', 'ntag424')),
    -- The chip's UID when known (given at registration, or learned from the first genuine SUN tap).
    uid          text CHECK (uid ~ '^([0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$'),
    -- The static-signature key version printed on this plate's URL (its QR code carries it even on an NTAG 424).
    key_version  integer NOT NULL CHECK (key_version > 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz,
    replaced_by  text REFERENCES tag (id),
    CHECK (replaced_by IS NULL OR retired_at IS NOT NULL)
);
CREATE INDEX tag_asset_idx ON tag (asset_id);
CREATE UNIQUE INDEX tag_active_uid_idx ON tag (uid) WHERE uid IS NOT NULL AND retired_at IS NULL;
COMMENT ON TABLE tag IS 'Plates (QR and NFC) and the asset each belongs to; keys are kept outside the database.';

-- Every SUN read counter seen per chip: the same counter twice is a replayed URL; a lower one not seen
-- before is a tap that arrived late (queued offline), not a forgery.
CREATE TABLE tag_counter (
    uid           text NOT NULL,
    counter       integer NOT NULL CHECK (counter BETWEEN 0 AND 16777215),
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (uid, counter)
);

-- Check-ins now come from the app over HTTP too: those carry the id the phone made instead of a device's
-- (device, boot, seq), and the person signed in.
ALTER TABLE checkin
    ALTER COLUMN device DROP NOT NULL,
    ALTER COLUMN boot DROP NOT NULL,
    ALTER COLUMN seq DROP NOT NULL,
    DROP CONSTRAINT checkin_check,
    ADD COLUMN client_id   uuid UNIQUE,
    ADD COLUMN user_id     bigint REFERENCES app_user (id),
    -- Fixed readers over MQTT are 'reader'; the app says how the person found the tag.
    ADD COLUMN method      text NOT NULL DEFAULT 'reader' CHECK (method IN ('nfc', 'url', 'qr', 'nearby', 'reader')),
    -- What verification found (null until verified): the asset and tag, the proof, the server's distance.
    ADD COLUMN asset_id    bigint REFERENCES asset (id),
    ADD COLUMN tag_id      text REFERENCES tag (id),
    ADD COLUMN proof       text CHECK (proof IN ('sun', 'signature', 'uid', 'none', 'bad_signature', 'replayed', 'unknown_tag')),
    ADD COLUMN status      text CHECK (status IN ('verified', 'flagged', 'refused')),
    ADD COLUMN flags       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN distance_m  double precision CHECK (distance_m >= 0),
    ADD COLUMN sun_counter integer,
    ADD COLUMN verified_at timestamptz,
    ADD CONSTRAINT checkin_source CHECK ((device IS NOT NULL AND boot IS NOT NULL AND seq IS NOT NULL) OR (client_id IS NOT NULL AND user_id IS NOT NULL)),
    ADD CONSTRAINT checkin_tag_named CHECK (uid IS NOT NULL OR url IS NOT NULL OR method = 'nearby');


-- What operators review: the check-ins that did not verify cleanly, newest first.
CREATE INDEX checkin_review_idx ON checkin (received_at DESC) WHERE status <> 'verified';
CREATE INDEX checkin_asset_idx ON checkin (asset_id, received_at DESC) WHERE asset_id IS NOT NULL;
