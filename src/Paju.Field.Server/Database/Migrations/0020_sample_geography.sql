-- The demo ships the city's outline and 읍면동 as sample rows; an outline needs the same mark as areas
-- so that purging the sample removes exactly what it loaded. A numeric id lets the OGC API page it.
ALTER TABLE city_outline
    ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN is_sample boolean NOT NULL DEFAULT false;
