-- What a photo shows beyond the inspected asset itself: the 이용금지 notice posted at the entrance when a playground is
-- closed on the spot (the statute requires the sign; the photo is the record that it went up).
ALTER TABLE inspection_photo ADD COLUMN purpose text CHECK (purpose IN ('closure_sign'));
