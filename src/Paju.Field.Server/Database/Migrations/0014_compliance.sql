-- Compliance: the state each asset is in (its latest grade, closed for use, overdue), findings to their repair, and the
-- follow-ups the statute sets when a playground is closed (이용금지). The columns on asset are written by the inspection's
-- own transaction and, for overdue (which changes with the clock), by a job at the Seoul day boundary — through the
-- triggers that already invalidate tiles.

ALTER TABLE asset
    ADD COLUMN grade         text,          -- the latest monthly check's overall grade (playgrounds)
    ADD COLUMN closed_at     timestamptz,   -- 이용금지: closed for use since
    ADD COLUMN closed_reason text,
    ADD COLUMN overdue       boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT asset_closed_reason CHECK ((closed_at IS NULL) = (closed_reason IS NULL));
CREATE INDEX asset_closed_idx ON asset (id) WHERE closed_at IS NOT NULL;
CREATE INDEX asset_overdue_idx ON asset (id) WHERE overdue;

-- The periodic inspection's validity, by the statute's start rule.
ALTER TABLE playground
    ADD COLUMN periodic_valid_from  date,
    ADD COLUMN periodic_valid_until date;

-- An item judged below 양호 (or a SAPA duty not met) becomes a finding: due, owned, repaired with evidence, confirmed by
-- another person.
CREATE TABLE finding (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id       bigint NOT NULL REFERENCES asset (id),
    inspection_id  uuid NOT NULL REFERENCES inspection (id),
    program        text NOT NULL,
    item           text NOT NULL,
    label          text NOT NULL,
    judged         text NOT NULL,              -- what the item was judged (요수리, false, …)
    department     text NOT NULL REFERENCES department (code),
    due_on         date NOT NULL,              -- Asia/Seoul
    state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'repaired', 'confirmed')),
    opened_at      timestamptz NOT NULL DEFAULT now(),
    repaired_at    timestamptz,
    repaired_by    bigint REFERENCES app_user (id),
    repair_note    text,
    confirmed_at   timestamptz,
    confirmed_by   bigint REFERENCES app_user (id),
    UNIQUE (inspection_id, item),
    CHECK ((state = 'open') = (repaired_at IS NULL)),
    CHECK ((state = 'confirmed') = (confirmed_at IS NOT NULL)),
    CHECK (confirmed_by IS NULL OR confirmed_by <> repaired_by)
);
CREATE INDEX finding_open_idx ON finding (due_on) WHERE state <> 'confirmed';
CREATE INDEX finding_asset_idx ON finding (asset_id);

-- What closing a playground sets in motion, each with its date (Asia/Seoul).
CREATE TABLE follow_up (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    asset_id       bigint NOT NULL REFERENCES asset (id),
    inspection_id  uuid NOT NULL REFERENCES inspection (id),
    kind           text NOT NULL CHECK (kind IN ('notify_authority', 'safety_diagnosis', 'improvement_plan', 'cpf_registration')),
    due_on         date NOT NULL,
    done_at        timestamptz,
    done_by        bigint REFERENCES app_user (id),
    note           text,
    UNIQUE (inspection_id, kind)
);
CREATE INDEX follow_up_open_idx ON follow_up (due_on) WHERE done_at IS NULL;

-- A closed asset is the worst on the map whatever its grade says. The kind rows' trigger recomputes severity with this
-- function, so a later edit of the playground row cannot quietly turn a closed playground green.
CREATE OR REPLACE FUNCTION asset_severity(kind text, asset_id bigint) RETURNS smallint LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN (SELECT a.closed_at IS NOT NULL FROM asset a WHERE a.id = $2) THEN 3 ELSE
        CASE kind
            WHEN 'playground' THEN (SELECT CASE grade WHEN '요주의' THEN 1 WHEN '요수리' THEN 2 WHEN '이용금지' THEN 3 ELSE 0 END
                                    FROM playground WHERE playground.asset_id = $2)
            WHEN 'public_facility' THEN (SELECT CASE safety_grade WHEN 'C' THEN 1 WHEN 'D' THEN 2 WHEN 'E' THEN 3 ELSE 0 END
                                         FROM public_facility WHERE public_facility.asset_id = $2)
            ELSE 0 END
    END::smallint;
$$;
