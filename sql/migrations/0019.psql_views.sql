-- 0019.psql_views: views and a function that answer a DBA's first questions in one SELECT each, from psql:
-- what is stored (lcdb_lightcurve_summary), disk per sector and product (lcdb_storage_by_sector), which partition
-- holds what (lcdb_partitions), the ingest history (lcdb_ingest_log), and one target's arrays, read through its
-- observations so that only its partitions are touched (lcdb_lightcurves(tic)).
-- depends: 0018.ingest_log
SET LOCAL ROLE lcdb_owner;

CREATE VIEW public.lcdb_lightcurve_summary AS
SELECT tg.name AS tic, t.sector, (i.properties ->> 'camera')::integer AS camera,
       (i.properties ->> 'ccd')::integer AS ccd, p.name AS product, r.number AS release, o.cadence_count AS cadences,
       coalesce(f.table_header ->> 'TSTART', f.primary_header ->> 'TSTART')::double precision AS time_start,
       coalesce(f.table_header ->> 'TSTOP', f.primary_header ->> 'TSTOP')::double precision AS time_stop,
       ARRAY(SELECT lower(c.name) FROM public.release_column AS c
             WHERE c.release_id = r.id AND c.role = 'values' ORDER BY c.position NULLS LAST, c.name) AS flux_columns,
       f.path AS file_path, f.sha256, f.data_rel, f.ingested_on,
       tg.id AS target_id, r.observation_id, r.id AS release_id
FROM public.release AS r
JOIN public.target AS tg ON tg.id = r.target_id
JOIN public.product AS p ON p.id = r.product_id
JOIN public.observation AS o ON o.id = r.observation_id
JOIN public.instrument AS i ON i.id = o.instrument_id
LEFT JOIN public.tess_observation AS t ON t.id = r.observation_id
LEFT JOIN public.ingested_file AS f ON f.release_id = r.id;
COMMENT ON VIEW public.lcdb_lightcurve_summary IS
    'One row per stored lightcurve (a release: one file of a product for a TIC and sector), without its arrays: '
    'where, what, how long, from which file. No data partition is read. Example: SELECT * FROM '
    'lcdb_lightcurve_summary WHERE tic = 358108509 ORDER BY sector, product, release;';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.tic IS 'TIC number of the target.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.sector IS 'TESS sector.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.camera IS 'TESS camera (1-4).';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.ccd IS 'CCD of the camera (1-4).';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.product IS 'The product (spoc, tess-spoc, qlp, tglc, ...).';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.release IS 'Release number of this product''s lightcurve of the target in the sector (1, 2, ... in ingest order).';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.cadences IS 'Number of cadences.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.time_start IS 'TSTART of the file (table header, else primary header), in the file''s time system (TESS: BTJD); NULL when the file has none.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.time_stop IS 'TSTOP of the file, as time_start.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.flux_columns IS 'The file''s value columns (lower case, file order): the arrays lcdb_lightcurves returns as "values".';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.file_path IS 'Where the file was read.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.sha256 IS 'SHA-256 of the file''s bytes.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.data_rel IS 'The file''s DATA_REL keyword (SPOC data release), if any.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.ingested_on IS 'When the file was ingested.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.target_id IS 'target.id (internal).';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.observation_id IS 'observation.id (internal): the partitions dataset_o<id> etc.';
COMMENT ON COLUMN public.lcdb_lightcurve_summary.release_id IS 'release.id (internal).';

CREATE VIEW public.lcdb_storage_by_sector AS
WITH arrays AS (
    SELECT d.release_id, coalesce(pg_column_size(d."values"), 0) + coalesce(pg_column_size(d.values_f4), 0)
                         + coalesce(pg_column_size(d.errors), 0) + coalesce(pg_column_size(d.errors_f4), 0) AS bytes
    FROM public.dataset AS d
    UNION ALL
    SELECT t.release_id, pg_column_size(t.barycentric_julian_dates) FROM public.target_specific_time AS t
    UNION ALL
    SELECT q.release_id, pg_column_size(q.quality_flags) FROM public.quality_flag_array AS q
), per_release AS (
    SELECT release_id, sum(bytes) AS bytes FROM arrays WHERE release_id IS NOT NULL GROUP BY release_id
)
SELECT t.sector, p.name AS product, count(*) AS lightcurves, coalesce(sum(pr.bytes), 0)::bigint AS bytes,
       pg_size_pretty(coalesce(sum(pr.bytes), 0)::bigint) AS size
FROM public.release AS r
JOIN public.product AS p ON p.id = r.product_id
JOIN public.tess_observation AS t ON t.id = r.observation_id
LEFT JOIN per_release AS pr ON pr.release_id = r.id
GROUP BY t.sector, p.name;
COMMENT ON VIEW public.lcdb_storage_by_sector IS
    'Per TESS sector and product: how many lightcurves (releases) and the bytes their arrays take on disk (each '
    'array''s stored size, compressed or not; heap rows and indexes are in lcdb_partitions). Reads every data '
    'row''s header, not the arrays. Example: SELECT * FROM lcdb_storage_by_sector ORDER BY sector, product;';
COMMENT ON COLUMN public.lcdb_storage_by_sector.sector IS 'TESS sector.';
COMMENT ON COLUMN public.lcdb_storage_by_sector.product IS 'The product.';
COMMENT ON COLUMN public.lcdb_storage_by_sector.lightcurves IS 'Number of stored lightcurves (releases) of the product in the sector.';
COMMENT ON COLUMN public.lcdb_storage_by_sector.bytes IS 'Bytes of their arrays as stored (pg_column_size: after compression, TOAST included).';
COMMENT ON COLUMN public.lcdb_storage_by_sector.size IS 'bytes, for people (pg_size_pretty).';

CREATE VIEW public.lcdb_partitions AS
SELECT c.oid::regclass AS partition, parent.relname AS parent_table,
       substring(pg_get_expr(c.relpartbound, c.oid) FROM 'IN \(''?([0-9]+)''?\)')::bigint AS observation_id,
       t.sector, (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd,
       ARRAY(SELECT DISTINCT p.name FROM public.release AS r JOIN public.product AS p ON p.id = r.product_id
             WHERE r.observation_id = o.id ORDER BY p.name) AS products,
       o.cadence_count AS cadences, greatest(c.reltuples, 0)::bigint AS rows_estimate,
       pg_total_relation_size(c.oid) AS bytes, pg_size_pretty(pg_total_relation_size(c.oid)) AS size,
       s.last_analyze, s.last_autoanalyze
FROM pg_catalog.pg_inherits AS h
JOIN pg_catalog.pg_class AS c ON c.oid = h.inhrelid
JOIN pg_catalog.pg_class AS parent ON parent.oid = h.inhparent
LEFT JOIN pg_catalog.pg_stat_user_tables AS s ON s.relid = c.oid
LEFT JOIN public.observation AS o
       ON o.id = substring(pg_get_expr(c.relpartbound, c.oid) FROM 'IN \(''?([0-9]+)''?\)')::bigint
LEFT JOIN public.instrument AS i ON i.id = o.instrument_id
LEFT JOIN public.tess_observation AS t ON t.id = o.id
WHERE parent.relnamespace = 'public'::regnamespace
  AND parent.relname IN ('dataset', 'target_specific_time', 'quality_flag_array');
COMMENT ON VIEW public.lcdb_partitions IS
    'Every partition of the data tables (dataset, target_specific_time, quality_flag_array) with the observation '
    'it holds (NULL: the default partition), its TESS sector, camera and CCD, the products stored in it, its '
    'estimated rows, its size on disk (heap, TOAST and indexes) and when it was last analysed. Example: SELECT '
    'sector, sum(bytes) FROM lcdb_partitions GROUP BY sector ORDER BY sector;';
COMMENT ON COLUMN public.lcdb_partitions.partition IS 'The partition (dataset_o<observation id>, ...).';
COMMENT ON COLUMN public.lcdb_partitions.parent_table IS 'The partitioned table it belongs to.';
COMMENT ON COLUMN public.lcdb_partitions.observation_id IS 'The observation whose rows it holds (its partition bound); NULL for the default partition.';
COMMENT ON COLUMN public.lcdb_partitions.sector IS 'TESS sector of the observation.';
COMMENT ON COLUMN public.lcdb_partitions.camera IS 'TESS camera of the observation.';
COMMENT ON COLUMN public.lcdb_partitions.ccd IS 'CCD of the observation.';
COMMENT ON COLUMN public.lcdb_partitions.products IS 'The products with a release in the observation.';
COMMENT ON COLUMN public.lcdb_partitions.cadences IS 'Cadences of the observation (every array in the partition has this length).';
COMMENT ON COLUMN public.lcdb_partitions.rows_estimate IS 'Rows as of the last ANALYZE or VACUUM (pg_class.reltuples; 0 before the first).';
COMMENT ON COLUMN public.lcdb_partitions.bytes IS 'Size on disk: heap, TOAST and indexes (pg_total_relation_size).';
COMMENT ON COLUMN public.lcdb_partitions.size IS 'bytes, for people.';
COMMENT ON COLUMN public.lcdb_partitions.last_analyze IS 'Last manual ANALYZE of the partition.';
COMMENT ON COLUMN public.lcdb_partitions.last_autoanalyze IS 'Last ANALYZE by autovacuum (partitions with few rows may never get one).';

CREATE VIEW public.lcdb_ingest_log AS
SELECT l.tried_on, l.outcome, l.path, l.reason, l.same_as_path, l.tic_id AS tic, l.sector, l.product,
       r.number AS release, l.size_bytes, l.sha256, l.role, l.id
FROM public.ingest_log AS l
LEFT JOIN public.release AS r ON r.id = l.release_id;
COMMENT ON VIEW public.lcdb_ingest_log IS
    'The ingest history: every file tried, what came of it (added, skipped: the same bytes as same_as_path, '
    'refused: reason), with its TIC, sector, product and release. Example: SELECT tried_on, outcome, path, reason '
    'FROM lcdb_ingest_log WHERE outcome <> ''added'' ORDER BY id DESC LIMIT 20;';
COMMENT ON COLUMN public.lcdb_ingest_log.tried_on IS 'When.';
COMMENT ON COLUMN public.lcdb_ingest_log.outcome IS 'added, skipped or refused.';
COMMENT ON COLUMN public.lcdb_ingest_log.path IS 'The file.';
COMMENT ON COLUMN public.lcdb_ingest_log.reason IS 'Why it was refused (one line).';
COMMENT ON COLUMN public.lcdb_ingest_log.same_as_path IS 'Skipped: where the same bytes were ingested from.';
COMMENT ON COLUMN public.lcdb_ingest_log.tic IS 'TIC number, when the file could be read.';
COMMENT ON COLUMN public.lcdb_ingest_log.sector IS 'TESS sector, when the file could be read.';
COMMENT ON COLUMN public.lcdb_ingest_log.product IS 'Product, when the file could be read.';
COMMENT ON COLUMN public.lcdb_ingest_log.release IS 'Release number the file produced or is (NULL once deleted).';
COMMENT ON COLUMN public.lcdb_ingest_log.size_bytes IS 'File size in bytes.';
COMMENT ON COLUMN public.lcdb_ingest_log.sha256 IS 'SHA-256 of the file''s bytes.';
COMMENT ON COLUMN public.lcdb_ingest_log.role IS 'The login that ran the ingest.';
COMMENT ON COLUMN public.lcdb_ingest_log.id IS 'ingest_log.id: the order of the tries.';

CREATE FUNCTION public.lcdb_lightcurves(tic bigint)
    RETURNS TABLE (sector integer, camera integer, ccd integer, product text, release integer, cadences integer,
                   "time" double precision[], quality integer[], columns text[], "values" double precision[],
                   errors double precision[])
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    target bigint;
    observations bigint[];
BEGIN
    SELECT tg.id INTO target
    FROM public.target AS tg JOIN public.mission_catalog AS mc ON mc.id = tg.catalog_id
    WHERE mc.name = 'TIC' AND tg.name = lcdb_lightcurves.tic;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT array_agg(DISTINCT r.observation_id) INTO observations FROM public.release AS r WHERE r.target_id = target;
    IF observations IS NULL THEN
        RETURN;
    END IF;
    -- the observations as constants: the planner opens only their partitions
    RETURN QUERY EXECUTE format($q$
        WITH rel AS (
            SELECT r.id, r.observation_id, r.number, p.name AS product, t.sector,
                   (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd,
                   o.cadence_count
            FROM public.release AS r
            JOIN public.product AS p ON p.id = r.product_id
            JOIN public.observation AS o ON o.id = r.observation_id
            JOIN public.instrument AS i ON i.id = o.instrument_id
            LEFT JOIN public.tess_observation AS t ON t.id = r.observation_id
            WHERE r.target_id = %1$s
        ), cols AS (
            SELECT c.release_id, c.processing_group_id, lower(c.name) AS name,
                   row_number() OVER (PARTITION BY c.release_id ORDER BY c.position NULLS LAST, c.name) AS k
            FROM public.release_column AS c JOIN rel ON rel.id = c.release_id
            WHERE c.role = 'values'
        ), ds AS (
            SELECT d.release_id, d.processing_group_id,
                   coalesce(d."values", d.values_f4::double precision[]) AS v,
                   coalesce(d.errors, d.errors_f4::double precision[]) AS e
            FROM public.dataset AS d
            WHERE d.target_id = %1$s AND d.observation_id = ANY(%2$L::bigint[])
        )
        SELECT rel.sector, rel.camera, rel.ccd, rel.product, rel.number, rel.cadence_count,
               (SELECT tt.barycentric_julian_dates FROM public.target_specific_time AS tt
                WHERE tt.target_id = %1$s AND tt.observation_id = ANY(%2$L::bigint[]) AND tt.release_id = rel.id),
               (SELECT q.quality_flags FROM public.quality_flag_array AS q
                WHERE q.target_id = %1$s AND q.observation_id = ANY(%2$L::bigint[]) AND q.release_id = rel.id
                  AND q.type = 'base_quality_flag'),
               ARRAY(SELECT cols.name FROM cols WHERE cols.release_id = rel.id ORDER BY cols.k),
               (SELECT array_agg(ds.v ORDER BY cols.k) FROM cols JOIN ds ON ds.release_id = cols.release_id
                    AND ds.processing_group_id = cols.processing_group_id WHERE cols.release_id = rel.id),
               (SELECT array_agg(ds.e ORDER BY cols.k) FROM cols JOIN ds ON ds.release_id = cols.release_id
                    AND ds.processing_group_id = cols.processing_group_id WHERE cols.release_id = rel.id)
        FROM rel
        ORDER BY rel.sector, rel.product, rel.number
    $q$, target, observations);
END;
$$;
COMMENT ON FUNCTION public.lcdb_lightcurves(bigint) IS
    'The arrays of one TIC target, a row per sector, product and release: time (the file''s TIME, NaN kept), '
    'quality (the file''s quality flags), columns (its value columns, lower case, file order) and "values" / '
    'errors as two-dimensional arrays, one row per column in that order (real arrays widened exactly to double '
    'precision; a column without errors has NaN errors). Reads only the target''s partitions. Example: SELECT '
    'sector, product, release, cadences, columns, "values"[3:3][1:5] FROM lcdb_lightcurves(358108509);';

GRANT SELECT ON public.lcdb_lightcurve_summary, public.lcdb_storage_by_sector, public.lcdb_partitions,
    public.lcdb_ingest_log TO lcdb_reader;
GRANT EXECUTE ON FUNCTION public.lcdb_lightcurves(bigint) TO lcdb_reader;
