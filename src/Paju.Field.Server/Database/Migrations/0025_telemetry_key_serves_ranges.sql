-- One index on the readings instead of two. The key held (device, boot, seq, ts) and a second index (device, ts)
-- served every read (a station's series, an alarm's rate of rise: one device over a time range). The same four columns
-- in the order (device, ts, boot, seq) are still the de-duplication key (a redelivered copy carries the same ts) and
-- serve those ranges themselves, so every reading stored writes one index entry fewer.
ALTER TABLE telemetry DROP CONSTRAINT telemetry_pkey;
ALTER TABLE telemetry ADD PRIMARY KEY (device, ts, boot, seq);
DROP INDEX telemetry_device_ts_idx;
