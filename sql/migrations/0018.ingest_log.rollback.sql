-- rollback 0018.ingest_log
SET LOCAL ROLE lcdb_owner;
DROP FUNCTION IF EXISTS public.lcdb_delete_unused_observation(bigint);
DROP TABLE IF EXISTS public.ingest_log;
