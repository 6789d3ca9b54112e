-- The latest check per asset and program, kept by the inspection table's own statements so that the compliance overview,
-- the nearby list and the job read one row per asset × program instead of grouping every inspection ever filed. A
-- correction may move a check to another time or asset, so the affected pairs are recomputed from the index, never
-- maxed blindly; statement triggers with transition tables keep a bulk load to one pass.

CREATE TABLE latest_check (
    asset_id     bigint NOT NULL REFERENCES asset (id),
    program      text NOT NULL,
    finished_at  timestamptz NOT NULL,
    PRIMARY KEY (asset_id, program)
);

CREATE OR REPLACE FUNCTION latest_check_refresh(pairs_asset bigint[], pairs_program text[]) RETURNS void LANGUAGE sql AS $$
    WITH pairs AS (SELECT DISTINCT a AS asset_id, p AS program FROM unnest(pairs_asset, pairs_program) AS u(a, p)),
    latest AS (
        SELECT pairs.asset_id, pairs.program,
               (SELECT max(i.finished_at) FROM inspection i WHERE i.asset_id = pairs.asset_id AND i.program = pairs.program) AS at
        FROM pairs),
    gone AS (DELETE FROM latest_check c USING latest l WHERE c.asset_id = l.asset_id AND c.program = l.program AND l.at IS NULL)
    INSERT INTO latest_check (asset_id, program, finished_at)
    SELECT asset_id, program, at FROM latest WHERE at IS NOT NULL
    ON CONFLICT (asset_id, program) DO UPDATE SET finished_at = excluded.finished_at;
$$;

CREATE OR REPLACE FUNCTION inspection_latest_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latest_check_refresh(array_agg(asset_id), array_agg(program)) FROM new_rows;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION inspection_latest_after_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only rows whose asset, program or time changed (a photo arriving updates the row too); PostgreSQL allows no
    -- column list on a trigger with transition tables, so the filter is here.
    PERFORM latest_check_refresh(array_agg(c.asset_id), array_agg(c.program))
    FROM (SELECT n.asset_id, n.program, o.asset_id AS old_asset, o.program AS old_program
          FROM new_rows n JOIN old_rows o USING (id)
          WHERE (n.asset_id, n.program, n.finished_at) IS DISTINCT FROM (o.asset_id, o.program, o.finished_at)) AS moved,
         LATERAL (VALUES (moved.asset_id, moved.program), (moved.old_asset, moved.old_program)) AS c(asset_id, program);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION inspection_latest_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM latest_check_refresh(array_agg(asset_id), array_agg(program)) FROM old_rows;
    RETURN NULL;
END $$;

CREATE TRIGGER inspection_latest_insert AFTER INSERT ON inspection
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION inspection_latest_after_insert();
CREATE TRIGGER inspection_latest_update AFTER UPDATE ON inspection
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION inspection_latest_after_change();
CREATE TRIGGER inspection_latest_delete AFTER DELETE ON inspection
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION inspection_latest_after_delete();

INSERT INTO latest_check (asset_id, program, finished_at)
SELECT asset_id, program, max(finished_at) FROM inspection GROUP BY asset_id, program;
