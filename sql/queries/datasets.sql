-- Datasets: the lightcurves (values and errors of a target in an observation by a processing group).
-- tables: dataset

-- name: create_dataset :one
-- Insert one dataset (bulk loads: lightcurvedb.bulk.write).
INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors)
VALUES (:processing_group_id, :target_id, :observation_id, :values, :errors)
RETURNING *;

-- name: get_dataset :one
-- The dataset (processing group, target, observation).
SELECT * FROM dataset
WHERE processing_group_id = :processing_group_id AND target_id = :target_id AND observation_id = :observation_id;

-- name: list_lightcurve_datasets :many
-- A target's datasets in the given observations, with release, group, times, time system and grid version.
-- Pass the target's own observations (list_observation_ids_of_target): only their partitions are then planned
-- and locked. One processing group if given; the times are those of the dataset's release.
-- The observation's row version (xmin:ctid) changes when the row is updated: the assembler caches grids by it.
-- optional: processing_group_id
-- not-null: observation_version, processing_group_name
-- nullable: barycentric_julian_dates
SELECT d.observation_id, d.release_id, (o.xmin::text || ':' || o.ctid::text) AS observation_version,
       d.processing_group_id,
       g.name AS processing_group_name, d."values", d.errors, t.barycentric_julian_dates,
       m.time_format_name, m.time_unit, m.time_epoch, m.time_epoch_scale, m.time_epoch_format
FROM dataset AS d
JOIN observation AS o ON o.id = d.observation_id
JOIN processing_group AS g ON g.id = d.processing_group_id
JOIN target AS tg ON tg.id = d.target_id
JOIN mission_catalog AS mc ON mc.id = tg.catalog_id
JOIN mission AS m ON m.id = mc.host_mission_id
LEFT JOIN target_specific_time AS t ON t.target_id = d.target_id AND t.observation_id = d.observation_id
    AND t.release_id IS NOT DISTINCT FROM d.release_id AND t.observation_id = ANY(:observation_ids::int8[])
WHERE d.target_id = :target_id AND d.observation_id = ANY(:observation_ids::int8[])
  AND (:processing_group_id::int8 IS NULL OR d.processing_group_id = :processing_group_id::int8)
ORDER BY d.observation_id, d.release_id NULLS FIRST, g.name;

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
