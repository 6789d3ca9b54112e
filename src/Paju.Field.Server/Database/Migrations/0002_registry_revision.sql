-- A revision number of the registry, bumped by every statement that changes assets or areas.
-- Readers cache what is costly to recompute (exact counts for numberMatched, later tiles) under
-- the revision they computed it at; a cached value is used only while the revision is unchanged,
-- so a cache hit is as exact as recomputing.

CREATE TABLE registry_revision (
    id          integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    revision    bigint NOT NULL DEFAULT 1,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO registry_revision DEFAULT VALUES;

CREATE FUNCTION registry_revision_bump() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_revision SET revision = revision + 1, changed_at = now() WHERE id = 1;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['asset', 'admin_area', 'risk_district', 'pump_station', 'pump', 'retention_basin',
                             'storage_tank', 'drainage_channel', 'catch_basin', 'embankment', 'drainage_structure',
                             'cable_zone', 'playground', 'public_facility']
    LOOP
        EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                        FOR EACH STATEMENT EXECUTE FUNCTION registry_revision_bump()', t || '_revision', t);
    END LOOP;
END $$;
