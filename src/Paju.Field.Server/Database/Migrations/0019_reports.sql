-- Citizens' hazard reports, filed from a plate's public page and bound to that asset: a 접수번호 (R-YYYYMMDD-NNNN,
-- numbered per Seoul day), the triage answers that make one urgent, photos in the content-addressed photo store, and an
-- operators' queue 접수 → 확인 중 → 조치 완료 / 반려 with a public result note. Contact details live in their own table,
-- only with consent, and are deleted when their retention ends.

CREATE TABLE report_counter (
    day   date PRIMARY KEY,          -- Asia/Seoul
    last  integer NOT NULL
);

CREATE TABLE report (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receipt       text NOT NULL UNIQUE CHECK (receipt ~ '^R-[0-9]{8}-[0-9]{4,}$'),
    asset_id      bigint NOT NULL REFERENCES asset (id),
    tag_id        text REFERENCES tag (id),
    received_at   timestamptz NOT NULL DEFAULT now(),
    description   text NOT NULL CHECK (length(description) BETWEEN 5 AND 2000),
    position      geometry(Point, 4326),
    accuracy_m    double precision CHECK (accuracy_m >= 0),
    injured       boolean NOT NULL,
    injuries      text[] NOT NULL DEFAULT '{}',  -- which of the statute's serious-accident criteria were ticked
    urgent        boolean NOT NULL,
    state         text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'in_review', 'resolved', 'rejected')),
    assigned_to   bigint REFERENCES app_user (id),
    triaged_at    timestamptz,
    result_note   text CHECK (length(result_note) <= 2000),   -- shown to the public at /r/{receipt}
    closed_at     timestamptz,
    seen_too      integer NOT NULL DEFAULT 0,                 -- "저도 봤어요" from others at the plate
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((state IN ('resolved', 'rejected')) = (closed_at IS NOT NULL))
);
CREATE INDEX report_asset_open_idx ON report (asset_id, received_at DESC) WHERE state IN ('received', 'in_review');
CREATE INDEX report_queue_idx ON report (urgent DESC, received_at) WHERE state IN ('received', 'in_review');
CREATE INDEX report_received_idx ON report (received_at);

CREATE TABLE report_photo (
    report_id   bigint NOT NULL REFERENCES report (id) ON DELETE CASCADE,
    n           smallint NOT NULL CHECK (n BETWEEN 1 AND 5),
    sha256      bytea NOT NULL CHECK (length(sha256) = 32),
    bytes       integer NOT NULL CHECK (bytes > 0),
    media_type  text NOT NULL,
    PRIMARY KEY (report_id, n)
);

-- Only what the person chose to give, with the moment they agreed to the stated use; gone after delete_after.
CREATE TABLE report_contact (
    report_id     bigint PRIMARY KEY REFERENCES report (id) ON DELETE CASCADE,
    name          text CHECK (length(name) <= 50),
    phone         text CHECK (phone ~ '^[0-9+][0-9 -]{6,20}$'),
    consented_at  timestamptz NOT NULL,
    delete_after  timestamptz NOT NULL,
    CHECK (name IS NOT NULL OR phone IS NOT NULL)
);
CREATE INDEX report_contact_expiry_idx ON report_contact (delete_after);

-- Alarms gain a source: a rule over telemetry, or an urgent citizen report. A report's alarm clears when an operator
-- triages it; escalation treats it as any other priority-1 alarm.
ALTER TABLE alarm
    ALTER COLUMN rule_id DROP NOT NULL,
    ADD COLUMN report_id bigint REFERENCES report (id),
    ADD CONSTRAINT alarm_one_source CHECK ((rule_id IS NULL) <> (report_id IS NULL));
CREATE UNIQUE INDEX alarm_open_per_report ON alarm (report_id) WHERE cleared_at IS NULL AND report_id IS NOT NULL;

-- What an alarm is about, whatever its source: what the list, the escalation and the live feed show.
CREATE VIEW alarm_origin AS
SELECT a.id AS alarm_id, 'rule' AS source, r.code, r.kind, r.metric, r.message_ko, r.asset_id
FROM alarm a JOIN alarm_rule r ON r.id = a.rule_id
UNION ALL
SELECT a.id, 'report', 'report:' || p.receipt, 'citizen_report', NULL,
       '시민 긴급 신고 ' || p.receipt || ': ' || s.name || ' — ' || left(p.description, 80), p.asset_id
FROM alarm a JOIN report p ON p.id = a.report_id JOIN asset s ON s.id = p.asset_id;

-- A report changes what the plate's page shows (the open reports on its asset).
CREATE TRIGGER report_public_page AFTER INSERT OR UPDATE OR DELETE ON report
    FOR EACH STATEMENT EXECUTE FUNCTION public_page_changed();
