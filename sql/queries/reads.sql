-- One-target reads in two round trips: the plan of a selection, then exactly its arrays in one statement.
-- tables:

-- name: plan_target_read :many
-- The spans (observation, release) a read of catalog number `name` takes: in `sectors` (NULL: all), of `product`
-- (NULL: per sector the first held in `preference`, or with `each` every product held), release number
-- `release_number` (NULL: the newest of each sector and product); `every`: every release of every product. Data
-- written without a release (release_id NULL) is taken where no product is asked for and its sector holds no chosen
-- release (or with `each`/`every`). Each span comes with its TESS sector, camera, CCD, cadence count, row version
-- (xmin:ctid, for the grid cache), the time system of the target's mission and its release's file layout
-- ("columns": one object per column in file order, header-derived columns last, text values left out; NULL
-- without a layout), the names of the processing groups by id and the shard holding the observation's partitions
-- (NULL: here). In sector, preference, product, release and observation order. No data partition is touched.
-- optional: sectors, product, release_number
-- prepared: true
-- nullable: release_id, release_number, product_name, camera, ccd, derived_cadence_seconds, layout, shard
-- not-null: target_id, observation_id, sector, cadence_count, observation_version, group_names
-- not-null: time_format_name, time_unit, time_epoch, time_epoch_scale, time_epoch_format
WITH tg AS (
    SELECT tg.id, mc.host_mission_id
    FROM target AS tg
    JOIN mission_catalog AS mc ON mc.id = tg.catalog_id
    WHERE mc.name = :catalog_name AND tg.name = :name
), held AS (
    SELECT r.id AS release_id, r.observation_id, r.number, p.name AS product_name, t.sector,
           array_position(:preference::text[], p.name) AS rank
    FROM tg
    JOIN release AS r ON r.target_id = tg.id
    JOIN product AS p ON p.id = r.product_id
    JOIN tess_observation AS t ON t.id = r.observation_id
    WHERE (:sectors::int4[] IS NULL OR t.sector = ANY(:sectors::int4[]))
      AND (:product::text IS NULL OR p.name = :product::text)
), ranked AS (
    SELECT h.*, max(h.number) OVER (PARTITION BY h.sector, h.product_name) AS newest,
           min(h.rank) OVER (PARTITION BY h.sector) AS best
    FROM held AS h
), chosen AS (
    SELECT release_id, observation_id, number, product_name, sector, rank
    FROM ranked
    WHERE :every::boolean
       OR (number = coalesce(:release_number::int4, newest)
           AND (:product::text IS NOT NULL OR :each::boolean OR rank = best))
), bare AS (
    SELECT NULL::int8 AS release_id, tobs.observation_id, NULL::int4 AS number, NULL::text AS product_name,
           t.sector, NULL::int4 AS rank
    FROM tg
    JOIN target_observation AS tobs ON tobs.target_id = tg.id
    JOIN tess_observation AS t ON t.id = tobs.observation_id
    WHERE :product::text IS NULL
      AND (:sectors::int4[] IS NULL OR t.sector = ANY(:sectors::int4[]))
      AND NOT EXISTS (SELECT 1 FROM release AS r WHERE r.target_id = tg.id AND r.observation_id = tobs.observation_id)
      AND (:every::boolean OR :each::boolean OR NOT EXISTS (SELECT 1 FROM chosen AS c WHERE c.sector = t.sector))
), spans AS (
    SELECT * FROM chosen
    UNION ALL
    SELECT * FROM bare
)
SELECT tg.id AS target_id, s.observation_id, s.release_id, s.number AS release_number, s.product_name, s.sector,
       (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd, o.cadence_count,
       (o.xmin::text || ':' || o.ctid::text) AS observation_version, dg.cadence_seconds AS derived_cadence_seconds,
       m.time_format_name, m.time_unit, m.time_epoch, m.time_epoch_scale, m.time_epoch_format,
       layout.columns AS layout, gn.names AS group_names, lcdb_observation_shard(s.observation_id) AS shard
FROM spans AS s
CROSS JOIN (SELECT coalesce(jsonb_object_agg(g.id::text, g.name), '{}'::jsonb) AS names
            FROM processing_group AS g) AS gn
CROSS JOIN tg
JOIN mission AS m ON m.id = tg.host_mission_id
JOIN observation AS o ON o.id = s.observation_id
JOIN instrument AS i ON i.id = o.instrument_id
LEFT JOIN derived_cadence_grid AS dg ON dg.observation_id = o.id
LEFT JOIN LATERAL (
    SELECT CASE WHEN count(*) > 0 THEN jsonb_build_object('columns', jsonb_agg(jsonb_build_object(
               'name', c.name, 'role', c.role, 'group_id', c.processing_group_id, 'group', g.name,
               'flag_type', c.flag_type, 'dtype', c.dtype, 'unit', c.unit, 'offset', c.value_offset,
               'position', c.position) ORDER BY c.position NULLS LAST, c.name)) END AS columns
    FROM release_column AS c
    LEFT JOIN processing_group AS g ON g.id = c.processing_group_id
    WHERE c.release_id = s.release_id
) AS layout ON true
ORDER BY s.sector, s.rank NULLS LAST, s.product_name NULLS FIRST, s.number, s.observation_id;

-- name: fetch_target_arrays :many
-- The arrays of a target in the given observations (constants: only their partitions are planned and read), one
-- row each, `role` saying which: 'dataset' (values and errors of a processing group by id, at stored precision; an
-- array not asked for comes as NULL, its row still says the group is held), 'time', 'flags' (`name`: the flag type;
-- `wide`: observation-wide)
-- and 'grid' (the cadence grids of `grid_ids`). Data of the releases `release_ids` (NULL: every release) and, in
-- `bare_observation_ids`, data written without a release. `value_group_ids` / `error_group_ids` (NULL: all) pick
-- the datasets' arrays, `flag_types` (NULL: all) the flag rows; `time` asks for the times, `datasets` for the
-- dataset rows at all (false: their partitions are not even opened). In no order: a sort
-- would copy every array through it, and every join or lateral costs planning time per partition.
-- optional: release_ids, value_group_ids, error_group_ids, flag_types
-- nullable: release_id, group_id, name, values, values_f4, errors, errors_f4, flags, times, grid
-- not-null: role, observation_id, wide
SELECT 'dataset'::text AS role, d.observation_id, d.release_id, d.processing_group_id AS group_id,
       NULL::text AS name, false AS wide,
       lcdb_packed(CASE WHEN :value_group_ids::int8[] IS NULL OR ARRAY[d.processing_group_id] <@ :value_group_ids::int8[]
                        THEN d."values" END) AS "values",
       lcdb_packed(CASE WHEN :value_group_ids::int8[] IS NULL OR ARRAY[d.processing_group_id] <@ :value_group_ids::int8[]
                        THEN d.values_f4 END) AS values_f4,
       lcdb_packed(CASE WHEN :error_group_ids::int8[] IS NULL OR ARRAY[d.processing_group_id] <@ :error_group_ids::int8[]
                        THEN d.errors END) AS errors,
       lcdb_packed(CASE WHEN :error_group_ids::int8[] IS NULL OR ARRAY[d.processing_group_id] <@ :error_group_ids::int8[]
                        THEN d.errors_f4 END) AS errors_f4,
       lcdb_packed(NULL::int4[]) AS flags, lcdb_packed(NULL::float8[]) AS times, lcdb_packed(NULL::int8[]) AS grid
FROM dataset AS d
WHERE :datasets::boolean AND d.target_id = :target_id AND d.observation_id = ANY(:observation_ids::int8[])
  AND (:release_ids::int8[] IS NULL OR d.release_id = ANY(:release_ids::int8[])
       OR (d.release_id IS NULL AND d.observation_id = ANY(:bare_observation_ids::int8[])))
UNION ALL
SELECT 'time', t.observation_id, t.release_id, NULL, NULL, false, lcdb_packed(NULL::float8[]),
       lcdb_packed(NULL::real[]), lcdb_packed(NULL::float8[]), lcdb_packed(NULL::real[]), lcdb_packed(NULL::int4[]),
       lcdb_packed(t.barycentric_julian_dates), lcdb_packed(NULL::int8[])
FROM target_specific_time AS t
WHERE :time::boolean AND t.target_id = :target_id AND t.observation_id = ANY(:observation_ids::int8[])
  AND (:release_ids::int8[] IS NULL OR t.release_id = ANY(:release_ids::int8[])
       OR (t.release_id IS NULL AND t.observation_id = ANY(:bare_observation_ids::int8[])))
UNION ALL
SELECT 'flags', q.observation_id, q.release_id, NULL, q.type, q.target_id IS NULL, lcdb_packed(NULL::float8[]),
       lcdb_packed(NULL::real[]), lcdb_packed(NULL::float8[]), lcdb_packed(NULL::real[]),
       lcdb_packed(q.quality_flags), lcdb_packed(NULL::float8[]), lcdb_packed(NULL::int8[])
FROM quality_flag_array AS q
WHERE q.observation_id = ANY(:observation_ids::int8[]) AND (q.target_id = :target_id OR q.target_id IS NULL)
  AND (:flag_types::text[] IS NULL OR q.type = ANY(:flag_types::text[]))
  AND (:release_ids::int8[] IS NULL OR q.release_id IS NULL OR q.release_id = ANY(:release_ids::int8[]))
UNION ALL
SELECT 'grid', o.id, NULL, NULL, NULL, false, lcdb_packed(NULL::float8[]), lcdb_packed(NULL::real[]),
       lcdb_packed(NULL::float8[]), lcdb_packed(NULL::real[]), lcdb_packed(NULL::int4[]), lcdb_packed(NULL::float8[]),
       lcdb_packed(o.cadence_reference)
FROM observation AS o
WHERE o.id = ANY(:grid_ids::int8[]);
