-- rollback 0020.compressed_arrays
SET LOCAL ROLE lcdb_owner;
DO $$
DECLARE
    col  record;
    part text;
BEGIN
    FOR col IN
        SELECT * FROM (VALUES ('dataset', 'values', 'EXTERNAL'), ('dataset', 'errors', 'EXTERNAL'),
                              ('dataset', 'values_f4', 'EXTERNAL'), ('dataset', 'errors_f4', 'EXTERNAL'),
                              ('target_specific_time', 'barycentric_julian_dates', 'EXTERNAL'),
                              ('quality_flag_array', 'quality_flags', 'EXTENDED')) AS c (tbl, name, storage)
    LOOP
        FOR part IN
            SELECT format('public.%I', col.tbl) UNION ALL
            SELECT h.inhrelid::regclass::text FROM pg_catalog.pg_inherits AS h
            WHERE h.inhparent = format('public.%I', col.tbl)::regclass
        LOOP
            EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET STORAGE %s, ALTER COLUMN %I SET COMPRESSION default',
                           part, col.name, col.storage, col.name);
        END LOOP;
        EXECUTE format('COMMENT ON COLUMN public.%I.%I IS %L', col.tbl, col.name,
                       regexp_replace(col_description(format('public.%I', col.tbl)::regclass,
                                                      (SELECT attnum FROM pg_attribute
                                                       WHERE attrelid = format('public.%I', col.tbl)::regclass
                                                         AND attname = col.name)),
                                      ' Stored compressed \(TOAST: .*$', '')
                       || CASE WHEN col.storage = 'EXTERNAL' AND col.tbl = 'target_specific_time'
                               THEN ' STORAGE EXTERNAL.' ELSE '' END);
    END LOOP;
END;
$$;
