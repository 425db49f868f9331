-- Target-specific barycentric times and quality-flag bitmasks of an observation.
-- tables: target_specific_time, quality_flag_array

-- name: upsert_target_time :exec
-- Insert or replace the barycentric times of (target, observation) (no release). The key is each partition's
-- (uq_target_specific_time_target_observation_o<id>, which a partition on a shard also has), so the insert skips
-- a conflict without naming it and the update replaces what was there.
WITH inserted AS (
    INSERT INTO target_specific_time (target_id, observation_id, barycentric_julian_dates)
    VALUES (:target_id, :observation_id, :barycentric_julian_dates)
    ON CONFLICT DO NOTHING
    RETURNING id
)
UPDATE target_specific_time SET barycentric_julian_dates = :barycentric_julian_dates
WHERE target_id = :target_id AND observation_id = :observation_id AND release_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM inserted);

-- name: get_target_times :opt
-- The barycentric times of (target, observation), if stored.
SELECT * FROM target_specific_time WHERE target_id = :target_id AND observation_id = :observation_id;

-- name: create_quality_flags :one
-- Insert the quality flags of (observation, target); target_id None means observation-wide flags.
-- optional: target_id
INSERT INTO quality_flag_array (observation_id, target_id, quality_flags)
VALUES (:observation_id, :target_id, :quality_flags)
RETURNING *;

-- name: get_quality_flags :opt
-- The base quality flags of a target in an observation, else the observation-wide ones, if any.
SELECT * FROM quality_flag_array
WHERE observation_id = :observation_id AND type = 'base_quality_flag'
  AND (target_id = :target_id OR target_id IS NULL)
ORDER BY target_id NULLS LAST
LIMIT 1;

-- name: get_target_cadences :one
-- Times and quality flags of a target in an observation aligned to the cadence grid (None when not stored).
-- not-null: cadence_reference
-- nullable: barycentric_julian_dates, quality_flags
SELECT o.cadence_reference, tst.barycentric_julian_dates, q.quality_flags
FROM observation AS o
LEFT JOIN target_specific_time AS tst ON tst.observation_id = o.id AND tst.target_id = :target_id
LEFT JOIN LATERAL (
    SELECT f.quality_flags FROM quality_flag_array AS f
    WHERE f.observation_id = o.id AND f.type = 'base_quality_flag'
      AND (f.target_id = :target_id OR f.target_id IS NULL)
    ORDER BY f.target_id NULLS LAST LIMIT 1
) AS q ON true
WHERE o.id = :observation_id;

-- name: list_quality_flags_of_observations :many
-- A target's flag arrays (all types) in the given observations, and the observation-wide rows without arrays.
-- Observation-wide rows come with quality_flags None and their row version (xmin:ctid): shared by every target
-- of the observation, the assembler caches them (get_quality_flag_arrays). In no order: a sort would copy every
-- array through it.
-- not-null: version
-- nullable: quality_flags
SELECT q.id, q.type, q.observation_id, q.target_id, q.release_id, (q.xmin::text || ':' || q.ctid::text) AS version,
       lcdb_packed(CASE WHEN q.target_id IS NULL THEN NULL ELSE q.quality_flags END) AS quality_flags
FROM quality_flag_array AS q
WHERE q.observation_id = ANY(:observation_ids::int8[]) AND (q.target_id = :target_id OR q.target_id IS NULL);
