-- The best lightcurve of each release: quality metrics per flux (lcdb best compute), stored once per parameters and
-- code version, and the choice of the best processing group, by a rule or explicit (lcdb best set).
-- tables: lightcurve_metric, best_lightcurve

-- name: list_unmeasured_datasets :many
-- The datasets of the given releases (of one observation) and processing groups that have no metrics under these
-- parameters and code version: what a run still has to measure.
SELECT d.release_id, d.processing_group_id
FROM dataset AS d
WHERE d.observation_id = :observation_id AND d.release_id = ANY(:release_ids::int8[])
  AND d.processing_group_id = ANY(:group_ids::int8[])
  AND NOT EXISTS (SELECT 1 FROM lightcurve_metric AS m
                  WHERE m.target_id = d.target_id AND m.observation_id = d.observation_id
                    AND m.release_id = d.release_id AND m.processing_group_id = d.processing_group_id
                    AND m.parameters = :parameters AND m.code_version = :code_version)
ORDER BY d.release_id, d.processing_group_id;

-- name: store_lightcurve_metrics :execrows
-- Store metrics (parallel arrays, one element per release and processing group; target and observation are the
-- release's); a row already stored under the same key is left as it is (a retried task or a concurrent run stores
-- nothing twice); NaN (too few good cadences) is stored as NULL. Returns how many were new.
INSERT INTO lightcurve_metric (target_id, observation_id, release_id, processing_group_id, parameters, code_version,
                               cdpp_1h_ppm, p2p_scatter_ppm, good_fraction, n_good, n_cadences, cdpp_window)
SELECT r.target_id, r.observation_id, r.id, m.processing_group_id, :parameters, :code_version,
       nullif(m.cdpp, 'NaN'), nullif(m.p2p, 'NaN'), m.good_fraction, m.n_good, m.n_cadences, m.cdpp_window
FROM unnest(:release_ids::int8[], :group_ids::int8[], :cdpp_1h_ppm::float8[], :p2p_scatter_ppm::float8[],
            :good_fractions::float8[], :n_good::int4[], :n_cadences::int4[], :cdpp_windows::int4[])
     AS m(release_id, processing_group_id, cdpp, p2p, good_fraction, n_good, n_cadences, cdpp_window)
JOIN release AS r ON r.id = m.release_id
ON CONFLICT ON CONSTRAINT uq_lightcurve_metric_key DO NOTHING;

-- name: list_release_metrics :many
-- The metrics of the given releases under these parameters and code version.
SELECT m.release_id, m.processing_group_id, m.cdpp_1h_ppm, m.p2p_scatter_ppm, m.good_fraction
FROM lightcurve_metric AS m
WHERE m.release_id = ANY(:release_ids::int8[]) AND m.parameters = :parameters AND m.code_version = :code_version
ORDER BY m.release_id, m.processing_group_id;

-- name: store_rule_choices :execrows
-- Store the rule's choice of each given release (parallel arrays; target and observation are the release's). A
-- release whose stored rule choice is the same (group, rule, metric, parameters, code version) keeps it and its
-- time; a different one replaces it. An explicit choice is not touched. Returns how many were new or changed.
INSERT INTO best_lightcurve (target_id, observation_id, release_id, kind, processing_group_id, rule, metric,
                             metric_value, parameters, code_version)
SELECT r.target_id, r.observation_id, r.id, 'rule', c.processing_group_id, :rule, :metric,
       nullif(c.metric_value, 'NaN'), :parameters, :code_version
FROM unnest(:release_ids::int8[], :group_ids::int8[], :metric_values::float8[])
     AS c(release_id, processing_group_id, metric_value)
JOIN release AS r ON r.id = c.release_id
ON CONFLICT ON CONSTRAINT pk_best_lightcurve DO UPDATE
SET processing_group_id = excluded.processing_group_id, rule = excluded.rule, metric = excluded.metric,
    metric_value = excluded.metric_value, parameters = excluded.parameters, code_version = excluded.code_version,
    chosen_on = now(), chosen_by = session_user
WHERE (best_lightcurve.processing_group_id, best_lightcurve.rule, best_lightcurve.metric,
       best_lightcurve.metric_value, best_lightcurve.parameters, best_lightcurve.code_version)
      IS DISTINCT FROM (excluded.processing_group_id, excluded.rule, excluded.metric, excluded.metric_value,
                        excluded.parameters, excluded.code_version);

-- name: set_explicit_choice :one
-- Set the explicit best group of a release (replacing an explicit one): it wins over the rule's until cleared.
-- Returns the stored row.
-- record: BestLightcurveRecord
INSERT INTO best_lightcurve (target_id, observation_id, release_id, kind, processing_group_id, rule)
SELECT r.target_id, r.observation_id, r.id, 'explicit', :processing_group_id, :rule
FROM release AS r WHERE r.id = :release_id
ON CONFLICT ON CONSTRAINT pk_best_lightcurve DO UPDATE
SET processing_group_id = excluded.processing_group_id, rule = excluded.rule, chosen_on = now(),
    chosen_by = session_user
RETURNING *;

-- name: clear_explicit_choice :execrows
-- Clear the explicit best group of a release (its rule choice, if any, applies again). Returns 1, or 0 when none.
DELETE FROM best_lightcurve WHERE release_id = :release_id AND kind = 'explicit';

-- name: list_best_choices :many
-- The choice in force for each of the given releases that has one: the explicit choice, else the rule's; with the
-- processing group's name.
-- not-null: group_name
SELECT DISTINCT ON (b.release_id) b.release_id, b.kind, b.processing_group_id, g.name AS group_name, b.rule,
       b.metric, b.metric_value, b.chosen_on
FROM best_lightcurve AS b
JOIN processing_group AS g ON g.id = b.processing_group_id
WHERE b.release_id = ANY(:release_ids::int8[])
ORDER BY b.release_id, b.kind = 'explicit' DESC;

-- name: list_release_groups :many
-- The processing groups each of the given releases holds data of (of one observation; names from
-- processing.list_processing_groups, a join here would probe processing_group once per dataset).
SELECT DISTINCT d.release_id, d.processing_group_id
FROM dataset AS d
WHERE d.observation_id = :observation_id AND d.release_id = ANY(:release_ids::int8[])
ORDER BY d.release_id, d.processing_group_id;

-- name: list_best_of_target :many
-- Every release of a TIC target (by sector, product, number) with the choice in force and its rule, and the newest
-- metrics of each measured group as a JSON object (the view lcdb_best_lightcurve).
-- nullable: best_group, kind, rule, metric, metric_value, chosen_on, metrics, camera, ccd
-- not-null: tic, sector, product, release, target_id, observation_id, release_id
SELECT v.* FROM lcdb_best_lightcurve AS v
WHERE v.target_id = :target_id
ORDER BY v.sector, v.product, v.release;
