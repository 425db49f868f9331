-- 0004.roles: group roles lcdb_reader (read everything) and lcdb_writer (reader + write data, no DDL).
-- Roles are cluster-wide: they are created only if missing, so applying to a second database works.
-- Creating roles needs CREATEROLE (or superuser) for the migrating user.
-- depends: 0003.data

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'lcdb_reader') THEN
        BEGIN
            CREATE ROLE lcdb_reader NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- created concurrently by another database's migration
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'lcdb_writer') THEN
        BEGIN
            CREATE ROLE lcdb_writer NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF NOT pg_has_role('lcdb_writer', 'lcdb_reader', 'MEMBER') THEN
        GRANT lcdb_reader TO lcdb_writer;
    END IF;
END;
$$;
COMMENT ON ROLE lcdb_reader IS 'lightcurvedb readers: SELECT on every lightcurvedb table, partition and view (NOLOGIN group role).';
COMMENT ON ROLE lcdb_writer IS 'lightcurvedb writers: lcdb_reader + INSERT/UPDATE/DELETE on the data tables, no DDL (NOLOGIN group role).';

GRANT USAGE ON SCHEMA public TO lcdb_reader, lcdb_writer;

-- reader: SELECT on every table, partition and view of the schema
GRANT SELECT ON ALL TABLES IN SCHEMA public TO lcdb_reader;

-- writer: reader + write the data tables (not the views, not yoyo's bookkeeping), sequences, no DDL
GRANT INSERT, UPDATE, DELETE ON TABLE
    public.mission, public.mission_catalog, public.target, public.target_alias, public.instrument,
    public.photometric_source, public.detrending_method, public.processing_group,
    public.observation, public.tess_observation, public.hst_observation,
    public.fits_frame, public.tess_fits_frame,
    public.dataset, public.target_specific_time, public.quality_flag_array, public.dataset_lineage
    TO lcdb_writer;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO lcdb_writer;

-- partitions that already exist (later ones copy the parent's grants when created)
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relispartition
          AND c.relname ~ '^(dataset|target_specific_time|quality_flag_array)_o[0-9]+$'
    LOOP
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON TABLE public.%I TO lcdb_writer', t);
    END LOOP;
END;
$$;
