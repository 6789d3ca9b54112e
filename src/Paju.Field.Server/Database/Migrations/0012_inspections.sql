-- Inspections: statutory programs as versioned data, who may do what, submissions made on phones (the phone's
-- UUID is the idempotency key) with receipts people can read out, and photos uploaded in resumable chunks.

---------------------------------------------------------------------------
-- Departments, managing bodies (관리주체) and the roles that use them
---------------------------------------------------------------------------
CREATE TABLE department (
    code  text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,31}$'),
    name  text NOT NULL UNIQUE
);
INSERT INTO department (code, name) VALUES
    ('safety', '안전총괄과'),
    ('library', '도서관정책과');

-- An apartment complex's management office, a kindergarten, a park operator: the body the statute makes responsible
-- for a playground's monthly checks. Its users see and inspect only its assets.
CREATE TABLE managing_body (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code  text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    name  text NOT NULL
);

ALTER TABLE asset ADD COLUMN managing_body_id bigint REFERENCES managing_body (id);
CREATE INDEX asset_managing_body_idx ON asset (managing_body_id) WHERE managing_body_id IS NOT NULL;

ALTER TABLE app_user DROP CONSTRAINT app_user_role_check;
ALTER TABLE app_user
    ADD CONSTRAINT app_user_role_check CHECK (role IN ('admin', 'operator', 'inspector', 'managing_body', 'committee', 'viewer')),
    ADD COLUMN department text REFERENCES department (code),
    ADD COLUMN managing_body_id bigint REFERENCES managing_body (id),
    ADD CONSTRAINT app_user_body_role CHECK ((role = 'managing_body') = (managing_body_id IS NOT NULL));

---------------------------------------------------------------------------
-- Programs: what is checked, how often, by whom. A definition never changes once used: editing makes a version.
---------------------------------------------------------------------------
CREATE TABLE program (
    code            text PRIMARY KEY CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
    department      text NOT NULL REFERENCES department (code),
    subject_kind    text NOT NULL,                    -- an asset kind, or 'event'
    current_version integer NOT NULL DEFAULT 1
);

CREATE TABLE program_version (
    program     text NOT NULL REFERENCES program (code),
    version     integer NOT NULL CHECK (version > 0),
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    PRIMARY KEY (program, version)
);

---------------------------------------------------------------------------
-- Inspections and their versions. The first version is what the phone submitted; a correction is a new version,
-- never an overwrite. The receipt (접수번호) is per inspection; each version keeps the SHA-256 of its canonical JSON.
---------------------------------------------------------------------------
CREATE TABLE receipt_counter (
    day   date PRIMARY KEY,          -- Asia/Seoul
    last  integer NOT NULL
);

CREATE TABLE inspection (
    id               uuid PRIMARY KEY,                   -- made on the phone
    receipt          text NOT NULL UNIQUE CHECK (receipt ~ '^P-[0-9]{8}-[0-9]{5,}$'),
    received_at      timestamptz NOT NULL,
    program          text NOT NULL,
    program_version  integer NOT NULL,
    asset_id         bigint NOT NULL REFERENCES asset (id),
    inspector_id     bigint NOT NULL REFERENCES app_user (id),
    checkin_id       bigint REFERENCES checkin (id),
    current_version  integer NOT NULL DEFAULT 1,
    -- Of the current version, for lists and the compliance work: the grade and when it was done.
    grade            text,
    finished_at      timestamptz NOT NULL,
    photos_expected  integer NOT NULL DEFAULT 0,
    photos_received  integer NOT NULL DEFAULT 0,
    FOREIGN KEY (program, program_version) REFERENCES program_version (program, version)
);
CREATE INDEX inspection_asset_idx ON inspection (asset_id, program, finished_at DESC);
CREATE INDEX inspection_inspector_idx ON inspection (inspector_id, received_at DESC);

CREATE TABLE inspection_version (
    inspection_id  uuid NOT NULL REFERENCES inspection (id),
    version        integer NOT NULL CHECK (version > 0),
    content        jsonb NOT NULL,           -- the submission as received (program, subject, answers, photos announced …)
    sha256         bytea NOT NULL CHECK (length(sha256) = 32),   -- of the RFC 8785 canonical JSON of the submission
    created_at     timestamptz NOT NULL,
    created_by     bigint NOT NULL REFERENCES app_user (id),
    reason         text,                     -- why a correction was made (null for the first version)
    PRIMARY KEY (inspection_id, version)
);

-- Photos as announced by the phone, and what arrived. The bytes are in the photo store, content-addressed by SHA-256.
CREATE TABLE inspection_photo (
    inspection_id   uuid NOT NULL REFERENCES inspection (id),
    photo_id        uuid NOT NULL,
    sha256          bytea NOT NULL CHECK (length(sha256) = 32),
    bytes           integer NOT NULL CHECK (bytes BETWEEN 1 AND 10485760),
    taken_at        timestamptz,
    position        geometry(Point, 4326),
    source          text NOT NULL CHECK (source IN ('exif', 'device', 'none')),
    received_at     timestamptz,             -- null until every byte arrived and the SHA-256 matched
    media_type      text CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp')),
    exif_taken_at   timestamptz,             -- what the server read from the photo itself, beside what the phone said
    exif_position   geometry(Point, 4326),
    PRIMARY KEY (inspection_id, photo_id)
);
