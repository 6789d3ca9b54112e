-- Every refused request is kept under "http:METHOD /path" (the method and the path as requested). Event registrations
-- and steps were kept under "api/events…" with the step's name, and citizens' reports under "http:/t/…/report" without
-- the method, so a filter on "http:" missed them. Earlier rows are renamed to the paths they were sent to; the bytes
-- and reasons are untouched.
UPDATE dead_letter SET topic = 'http:PUT /api/events/rule' WHERE topic = 'api/events/rule';
UPDATE dead_letter SET topic = 'http:POST /' || regexp_replace(regexp_replace(topic, '/opinion$', '/opinions'), '/confirm_corrections$', '/confirm-corrections')
WHERE topic = 'api/events' OR topic LIKE 'api/events/%';
UPDATE dead_letter SET topic = 'http:POST ' || substr(topic, 6) WHERE topic LIKE 'http:/t/%/report';
