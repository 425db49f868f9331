-- Datasets: the lightcurves (values and errors of a target in an observation by a processing group).
-- tables: dataset

-- name: create_dataset :one
-- Insert one dataset: values and errors as float64 (values, errors) or float32 (values_f4, errors_f4), one of each.
-- Bulk loads: lightcurvedb.bulk.write, which picks the columns by each array's dtype.
-- optional: values, errors, values_f4, errors_f4, release_id
INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors, values_f4, errors_f4,
                     release_id)
VALUES (:processing_group_id, :target_id, :observation_id, :values, :errors, :values_f4, :errors_f4, :release_id)
RETURNING *;

-- name: get_dataset :one
-- The dataset (processing group, target, observation).
SELECT * FROM dataset
WHERE processing_group_id = :processing_group_id AND target_id = :target_id AND observation_id = :observation_id;

-- name: iter_datasets_of_sector :iter
-- Every dataset of a processing group in a TESS sector, streamed (e.g. all PDCSAP lightcurves of sector 5).
SELECT d.*
FROM dataset AS d
JOIN tess_observation AS t ON t.id = d.observation_id
WHERE t.sector = :sector AND d.processing_group_id = :processing_group_id
ORDER BY d.observation_id, d.target_id;

-- name: delete_datasets_of_group :execrows
-- Delete every dataset of a processing group in one observation; returns how many.
DELETE FROM dataset WHERE processing_group_id = :processing_group_id AND observation_id = :observation_id;
