-- Period searches (lcdb bls): their results per dataset, stored once per dataset, release, method, parameters and
-- code version.
-- tables: periodogram_result

-- name: store_periodogram_results :execrows
-- Store results (parallel arrays, one element per dataset); a result already stored under the same key is left as
-- it is (a retried task or a concurrent run stores nothing twice); NaN (no peak: too few cadences) is stored as
-- NULL. Returns how many were new.
INSERT INTO periodogram_result (dataset_id, observation_id, release_id, method, parameters, code_version, period,
                                epoch, duration, depth, depth_snr, power, n_points)
SELECT r.dataset_id, r.observation_id, nullif(r.release_id, 0), :method, :parameters, :code_version,
       nullif(r.period, 'NaN'), nullif(r.epoch, 'NaN'), nullif(r.duration, 'NaN'), nullif(r.depth, 'NaN'),
       nullif(r.depth_snr, 'NaN'), nullif(r.power, 'NaN'), r.n_points
FROM unnest(:dataset_ids::int8[], :observation_ids::int8[], :release_ids::int8[], :periods::float8[],
            :epochs::float8[], :durations::float8[], :depths::float8[], :depth_snrs::float8[], :powers::float8[],
            :n_points::int4[])
     AS r(dataset_id, observation_id, release_id, period, epoch, duration, depth, depth_snr, power, n_points)
ON CONFLICT ON CONSTRAINT uq_periodogram_result_key DO NOTHING;

-- name: list_stored_periodogram_datasets :many
-- Which of the given datasets (of one observation) already have a result for this method, parameters and code
-- version.
SELECT dataset_id FROM periodogram_result
WHERE observation_id = :observation_id AND dataset_id = ANY(:dataset_ids::int8[]) AND method = :method
  AND parameters = :parameters AND code_version = :code_version;

-- name: list_periodogram_results_of_target :many
-- Every stored result of a TIC target's datasets, with the sector, camera, CCD, product, release and flux group.
-- nullable: product_name, release_number, camera, ccd
-- not-null: sector, processing_group_name
SELECT pr.*, t.sector, (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd,
       p.name AS product_name, r.number AS release_number, g.name AS processing_group_name
FROM periodogram_result AS pr
JOIN dataset AS d ON d.id = pr.dataset_id AND d.observation_id = pr.observation_id
JOIN processing_group AS g ON g.id = d.processing_group_id
JOIN tess_observation AS t ON t.id = pr.observation_id
JOIN observation AS o ON o.id = pr.observation_id
JOIN instrument AS i ON i.id = o.instrument_id
LEFT JOIN release AS r ON r.id = pr.release_id
LEFT JOIN product AS p ON p.id = r.product_id
WHERE d.target_id = :target_id
ORDER BY t.sector, p.name, r.number, pr.method, pr.created_on;
