-- rollback 0019.psql_views
SET LOCAL ROLE lcdb_owner;
DROP FUNCTION IF EXISTS public.lcdb_lightcurves(bigint);
DROP VIEW IF EXISTS public.lcdb_ingest_log;
DROP VIEW IF EXISTS public.lcdb_partitions;
DROP VIEW IF EXISTS public.lcdb_storage_by_sector;
DROP VIEW IF EXISTS public.lcdb_lightcurve_summary;
