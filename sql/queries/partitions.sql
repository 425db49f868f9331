-- Distributed reads: the plan of lightcurve partitions (one per observation, split when large) and what a worker
-- needs to assemble its partition's lightcurves besides the arrays it streams.
-- tables:

-- name: plan_lightcurve_partitions :many
-- The releases to read, in parts of at most `part_size`: in the given sectors (NULL: all), of one product (NULL:
-- all), release number `release_number` (NULL: the newest of each product, target and observation). By default the
-- parts are per observation (`part` counts within it); `by_target` groups `part_size` targets (all their releases,
-- one row per part and observation, `part` counting over the whole plan). Only ids: the workers read the arrays.
-- optional: sectors, product, release_number
-- not-null: observation_id, sector, part, release_ids, lightcurves
WITH chosen AS (
    SELECT r.id, r.observation_id, r.target_id, r.number, t.sector,
           max(r.number) OVER (PARTITION BY r.product_id, r.target_id, r.observation_id) AS newest
    FROM release AS r
    JOIN product AS p ON p.id = r.product_id
    JOIN tess_observation AS t ON t.id = r.observation_id
    WHERE (:sectors::int4[] IS NULL OR t.sector = ANY(:sectors::int4[]))
      AND (:product::text IS NULL OR p.name = :product::text)
), numbered AS (
    SELECT id, observation_id, sector,
           CASE WHEN :by_target::boolean
                THEN (dense_rank() OVER (ORDER BY target_id) - 1) / :part_size::int4
                ELSE (row_number() OVER (PARTITION BY observation_id ORDER BY target_id, id) - 1) / :part_size::int4
           END AS part
    FROM chosen
    WHERE number = coalesce(:release_number::int4, newest)
)
SELECT observation_id, sector, part::int4 AS part, array_agg(id ORDER BY id) AS release_ids,
       count(*)::int4 AS lightcurves
FROM numbered
GROUP BY observation_id, sector, part
ORDER BY part, sector, observation_id;

-- name: list_partition_releases :many
-- The given releases with their TIC target, product, number, TESS sector, camera and CCD, and the target's stored
-- position and Tmag (NULL when none is stored).
-- nullable: camera, ccd, ra, dec, tessmag
-- not-null: tic, product_name, sector
SELECT r.id, r.number, r.target_id, r.observation_id, tg.name AS tic, p.name AS product_name, t.sector,
       (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd,
       pos.ra, pos.dec, pos.tessmag
FROM release AS r
JOIN product AS p ON p.id = r.product_id
JOIN target AS tg ON tg.id = r.target_id
JOIN tess_observation AS t ON t.id = r.observation_id
JOIN observation AS o ON o.id = r.observation_id
JOIN instrument AS i ON i.id = o.instrument_id
LEFT JOIN target_position AS pos ON pos.target_id = r.target_id
WHERE r.id = ANY(:release_ids::int8[])
ORDER BY r.id;
