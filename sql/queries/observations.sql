-- Observations: one instrument on one cadence grid; polymorphic by "type" (TESS, HST extension tables).
-- tables: observation, tess_observation, hst_observation, derived_cadence_grid, target_observation

-- name: create_observation :one
-- Insert a base observation (no mission extension); its data partitions are created by the database.
INSERT INTO observation (instrument_id, cadence_reference)
VALUES (:instrument_id, :cadence_reference)
RETURNING *;

-- name: create_tess_observation :one
-- Insert a TESS observation: the base row (type 'tess_observation') and its tess_observation row; `id` one from
-- reserve_observation_id (whose partitions prepare_observation_partitions may have built), else a new one.
-- optional: id, orbit_number, spacecraft_quaternion, cosmic_ray_mitigation
-- record: TessObservationRecord
WITH base AS (
    INSERT INTO observation (id, type, instrument_id, cadence_reference)
    VALUES (COALESCE(:id, nextval(pg_get_serial_sequence('public.observation', 'id'))), 'tess_observation',
            :instrument_id, :cadence_reference)
    RETURNING *
), ext AS (
    INSERT INTO tess_observation (id, sector, orbit_number, spacecraft_quaternion, cosmic_ray_mitigation)
    SELECT base.id, :sector, :orbit_number, :spacecraft_quaternion, :cosmic_ray_mitigation FROM base
    RETURNING *
)
SELECT base.id, base.type, base.instrument_id, base.cadence_reference, base.cadence_count, base.created_on,
       ext.sector, ext.orbit_number, ext.spacecraft_quaternion, ext.cosmic_ray_mitigation
FROM base JOIN ext ON ext.id = base.id;

-- name: create_hst_observation :one
-- Insert an HST observation: the base row (type 'hst_observation') and its hst_observation row.
-- optional: visit_id, program_id, filter_name, exposure_time
-- record: HstObservationRecord
WITH base AS (
    INSERT INTO observation (type, instrument_id, cadence_reference)
    VALUES ('hst_observation', :instrument_id, :cadence_reference)
    RETURNING *
), ext AS (
    INSERT INTO hst_observation (id, visit_id, program_id, filter_name, exposure_time)
    SELECT base.id, :visit_id, :program_id, :filter_name, :exposure_time FROM base
    RETURNING *
)
SELECT base.id, base.type, base.instrument_id, base.cadence_reference, base.cadence_count, base.created_on,
       ext.visit_id, ext.program_id, ext.filter_name, ext.exposure_time
FROM base JOIN ext ON ext.id = base.id;

-- name: get_observation :one
-- The observation with this id, as the record of its subtype (TessObservationRecord, ...).
-- polymorphic: observation
SELECT * FROM observation_with_subtypes WHERE id = :id;

-- name: list_observations_of_instrument :many
-- The observations of an instrument and of its whole subtree, each as its subtype record, by id.
-- polymorphic: observation
WITH RECURSIVE tree (id) AS (
    SELECT :instrument_id::bigint
    UNION ALL
    SELECT c.id FROM instrument AS c JOIN tree ON c.parent_id = tree.id
)
SELECT o.* FROM observation_with_subtypes AS o WHERE o.instrument_id IN (SELECT id FROM tree) ORDER BY o.id;

-- name: list_tess_observations_of_sector :many
-- The TESS observations of a sector (all cameras and CCDs, every cadence grid), by id.
-- polymorphic: observation
SELECT o.*
FROM observation_with_subtypes AS o
WHERE o.tess_observation__sector = :sector
ORDER BY o.id;

-- name: find_tess_observation :opt
-- The TESS observation of (sector, CCD instrument) with exactly this cadence grid, if any.
-- polymorphic: observation
SELECT o.*
FROM observation_with_subtypes AS o
WHERE o.tess_observation__sector = :sector AND o.instrument_id = :instrument_id AND o.cadence_reference = :cadence_reference;

-- name: list_sectors :many
-- The TESS sectors with at least one observation, with their observation counts.
-- not-null: observations
SELECT sector, count(*) AS observations FROM tess_observation GROUP BY sector ORDER BY sector;

-- name: delete_observation :scalar
-- Delete an observation with everything of it, dropping its partitions (lcdb_delete_observation); 1, or 0 if none.
-- Locks the data tables until commit: use a short transaction.
-- not-null: deleted
SELECT public.lcdb_delete_observation(:id) AS deleted;

-- name: list_tess_observations_of_target :many
-- The TESS observations holding data (datasets or times) of a target, with sector, camera, CCD and cadence grid
-- (derived_cadence_seconds: the nominal cadence when the grid was derived from times, else None). Reads the
-- target_observation lookup: no data partition is touched.
-- nullable: camera, ccd
-- not-null: cadence_count
SELECT o.id, t.sector, (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd,
       o.cadence_reference, o.cadence_count, g.cadence_seconds AS derived_cadence_seconds
FROM target_observation AS tobs
JOIN observation AS o ON o.id = tobs.observation_id
JOIN tess_observation AS t ON t.id = o.id AND t.type = o.type
JOIN instrument AS i ON i.id = o.instrument_id
LEFT JOIN derived_cadence_grid AS g ON g.observation_id = o.id
WHERE tobs.target_id = :target_id
ORDER BY t.sector, o.cadence_reference[1], o.id;

-- name: list_target_observations :many
-- The observations holding data of a target (the target_observation lookup: one-target reads restrict the data
-- tables to these ids, so that only their partitions are planned and locked), with each observation's row
-- version (xmin:ctid, for the grid cache), the time system of the target's mission and the names of the processing
-- groups by id, and the shard (foreign server) holding the observation's partitions (NULL: here).
-- prepared: true
-- not-null: observation_id, observation_version, group_names
SELECT tobs.observation_id, (o.xmin::text || ':' || o.ctid::text) AS observation_version,
       m.time_format_name, m.time_unit, m.time_epoch, m.time_epoch_scale, m.time_epoch_format, gn.names AS group_names,
       lcdb_observation_shard(tobs.observation_id) AS shard
FROM target_observation AS tobs
CROSS JOIN (SELECT coalesce(jsonb_object_agg(g.id::text, g.name), '{}'::jsonb) AS names
            FROM processing_group AS g) AS gn
JOIN observation AS o ON o.id = tobs.observation_id
JOIN target AS tg ON tg.id = tobs.target_id
JOIN mission_catalog AS mc ON mc.id = tg.catalog_id
JOIN mission AS m ON m.id = mc.host_mission_id
WHERE tobs.target_id = :target_id
ORDER BY tobs.observation_id;

-- name: list_observation_grids :many
-- The cadence grids of the given observations with their row versions (xmin:ctid: an update changes it).
-- not-null: version
SELECT o.id, (o.xmin::text || ':' || o.ctid::text) AS version, lcdb_packed(o.cadence_reference) AS cadence_reference
FROM observation AS o
WHERE o.id = ANY(:ids::int8[]);

-- name: list_existing_partitions :many
-- Which of the given names are partitions of data table `parent_table` (bulk writers COPY straight into them).
-- not-null: partition_name
SELECT c.relname::text AS partition_name
FROM pg_inherits AS i
JOIN pg_class AS c ON c.oid = i.inhrelid
WHERE i.inhparent = (:parent_table::text)::regclass AND c.relnamespace = 'public'::regnamespace
  AND c.relname = ANY(:names::text[]);

-- name: packed_writes_available :scalar
-- Can this session send packed arrays to lcdb_unpacked (migration 0013's fast form, EXECUTE granted)? Else the
-- bulk writers COPY.
SELECT coalesce(has_function_privilege(to_regprocedure('public.lcdb_unpacked(bytea, anyarray)'), 'EXECUTE'),
                false) AS available;

-- name: mark_grid_derived :exec
-- Record that an observation's cadence grid was derived from times (idempotent: a second mark changes nothing).
INSERT INTO derived_cadence_grid (observation_id, cadence_seconds, rule)
VALUES (:observation_id, :cadence_seconds, :rule)
ON CONFLICT ON CONSTRAINT pk_derived_cadence_grid DO NOTHING;

-- name: delete_unused_observation :scalar
-- Delete an observation and its empty partitions if nothing refers to it (lcdb_delete_unused_observation): what
-- an ingest that created it and then failed calls. 1, or 0 when it is in use or gone.
-- not-null: deleted
SELECT public.lcdb_delete_unused_observation(:id) AS deleted;

-- name: reserve_observation_id :scalar
-- A new observation id, taken before the observation is inserted (its partitions built first, see
-- prepare_observation_partitions).
-- not-null: id
SELECT nextval(pg_get_serial_sequence('public.observation', 'id')) AS id;

-- name: prepare_observation_partitions :scalar
-- Build the partitions of an observation id apart, not yet attached (lcdb_prepare_observation_partitions): the
-- bulk of creating an observation, done without the partition lock. How many tables it built.
-- not-null: built
SELECT public.lcdb_prepare_observation_partitions(:id) AS built;

-- name: discard_observation_partitions :scalar
-- Drop the tables prepare_observation_partitions built for an id that went unused (lcdb_discard_observation_partitions);
-- partitions are never touched. How many it dropped.
-- not-null: dropped
SELECT public.lcdb_discard_observation_partitions(:id) AS dropped;
