-- Distributed reads: the plan of lightcurve partitions (one per observation, split when large) and what a worker
-- needs to assemble its partition's lightcurves besides the arrays it streams.
-- tables:

-- name: plan_lightcurve_partitions :many
-- The releases to read, grouped per observation into parts of at most `part_size` (each release once): in the
-- given sectors (NULL: all), of one product (NULL: all), release number `release_number` (NULL: the newest of each
-- product, target and observation). Only ids and numbers: the arrays are read by the workers.
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
           (row_number() OVER (PARTITION BY observation_id ORDER BY target_id, id) - 1) / :part_size::int4 AS part
    FROM chosen
    WHERE number = coalesce(:release_number::int4, newest)
)
SELECT observation_id, sector, part::int4 AS part, array_agg(id ORDER BY id) AS release_ids,
       count(*)::int4 AS lightcurves
FROM numbered
GROUP BY observation_id, sector, part
ORDER BY sector, observation_id, part;

-- name: list_partition_releases :many
-- The given releases with their TIC target, product, number and TESS sector, camera and CCD.
-- nullable: camera, ccd
-- not-null: tic, product_name, sector
SELECT r.id, r.number, r.target_id, r.observation_id, tg.name AS tic, p.name AS product_name, t.sector,
       (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd
FROM release AS r
JOIN product AS p ON p.id = r.product_id
JOIN target AS tg ON tg.id = r.target_id
JOIN tess_observation AS t ON t.id = r.observation_id
JOIN observation AS o ON o.id = r.observation_id
JOIN instrument AS i ON i.id = o.instrument_id
WHERE r.id = ANY(:release_ids::int8[])
ORDER BY r.id;
