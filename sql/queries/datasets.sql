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

-- name: list_lightcurve_datasets :many
-- A target's datasets in the given observations, with release and processing group name, at stored precision.
-- Pass the target's own observations (list_target_observations): only their partitions are then planned and
-- locked. One processing group if given. Each array comes in the column of its precision, the other is None;
-- lcdb_packed sends them without per-element work. In no order: a sort would copy every array through it.
-- optional: processing_group_id
-- not-null: processing_group_name
-- nullable: values, errors, values_f4, errors_f4
SELECT d.observation_id, d.release_id, d.processing_group_id, g.name AS processing_group_name,
       lcdb_packed(d."values") AS "values", lcdb_packed(d.errors) AS errors,
       lcdb_packed(d.values_f4) AS values_f4, lcdb_packed(d.errors_f4) AS errors_f4
FROM dataset AS d
JOIN processing_group AS g ON g.id = d.processing_group_id
WHERE d.target_id = :target_id AND d.observation_id = ANY(:observation_ids::int8[])
  AND (:processing_group_id::int8 IS NULL OR d.processing_group_id = :processing_group_id::int8);

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
