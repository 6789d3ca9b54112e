-- The public page behind a plate (/t/{tag}) is cached by every server and must change the moment what it shows changes:
-- a check recorded, a plate retired, a managing body's contact edited. Asset rows already announce registry_changed;
-- these tables announce public_page_changed. A statement trigger sends one notification per statement, and PostgreSQL
-- folds identical notifications within a transaction into one.

ALTER TABLE managing_body
    ADD COLUMN phone text CHECK (phone ~ '^[0-9+][0-9 -]{6,20}$');   -- shown to citizens on the plate's page

CREATE FUNCTION public_page_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('public_page_changed', '');
    RETURN NULL;
END $$;

CREATE TRIGGER latest_check_public_page AFTER INSERT OR UPDATE OR DELETE ON latest_check
    FOR EACH STATEMENT EXECUTE FUNCTION public_page_changed();
CREATE TRIGGER tag_public_page AFTER INSERT OR UPDATE OR DELETE ON tag
    FOR EACH STATEMENT EXECUTE FUNCTION public_page_changed();
CREATE TRIGGER managing_body_public_page AFTER INSERT OR UPDATE OR DELETE ON managing_body
    FOR EACH STATEMENT EXECUTE FUNCTION public_page_changed();
