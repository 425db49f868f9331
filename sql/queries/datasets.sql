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

-- name: list_lightcurve_datasets :many
-- A target's datasets (one processing group if given) with release, group name, times (of the same release),
-- mission time system and grid version.
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
    AND t.release_id IS NOT DISTINCT FROM d.release_id
WHERE d.target_id = :target_id
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
