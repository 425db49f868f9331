-- Datasets: the lightcurves (values and errors of a target in an observation by a processing group).
-- tables: dataset

-- name: create_dataset :one
-- Insert one dataset (prefer copy_datasets for bulk loads).
INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors)
VALUES (:processing_group_id, :target_id, :observation_id, :values, :errors)
RETURNING *;

-- name: copy_datasets :copy
-- Bulk-load datasets by binary COPY (a duplicate (group, target, observation) fails the whole COPY).
COPY dataset (processing_group_id, target_id, observation_id, "values", errors) FROM STDIN;

-- name: get_dataset :one
-- The dataset (processing group, target, observation).
SELECT * FROM dataset
WHERE processing_group_id = :processing_group_id AND target_id = :target_id AND observation_id = :observation_id;

-- name: list_datasets_of_target :many
-- Every lightcurve of a target with its processing group, source and method names, times and sector.
-- Times, the group's source and method, and the TESS sector come from outer joins (None when missing).
-- not-null: processing_group_name
SELECT d.id, d.observation_id, d.processing_group_id, g.name AS processing_group_name,
       s.name AS source_name, m.name AS method_name, tess.sector,
       tst.barycentric_julian_dates, d."values", d.errors
FROM dataset AS d
JOIN processing_group AS g ON g.id = d.processing_group_id
LEFT JOIN photometric_source AS s ON s.id = g.photometric_source_id
LEFT JOIN detrending_method AS m ON m.id = g.detrending_method_id
LEFT JOIN tess_observation AS tess ON tess.id = d.observation_id
LEFT JOIN target_specific_time AS tst ON tst.target_id = d.target_id AND tst.observation_id = d.observation_id
WHERE d.target_id = :target_id
ORDER BY d.observation_id, g.name;

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
