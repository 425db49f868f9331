-- rollback 0003.data (dropping a partitioned table drops all its partitions)
DROP TABLE IF EXISTS public.dataset_lineage;
DROP FUNCTION IF EXISTS public.dataset_lineage_check_acyclic();
DROP TRIGGER IF EXISTS tg_observation_create_partitions ON public.observation;
DROP FUNCTION IF EXISTS public.observation_create_partitions();
DROP FUNCTION IF EXISTS public.lcdb_create_observation_partitions(bigint);
DROP TRIGGER IF EXISTS tg_observation_cadence_count_frozen ON public.observation;
DROP FUNCTION IF EXISTS public.observation_check_cadence_count_frozen();
-- partitions a DBA detached (and kept) are standalone tables now: drop them first (on PostgreSQL < 17
-- their id default still uses the parent's identity sequence, which would block dropping the parent)
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND c.relname ~ '^(dataset|target_specific_time|quality_flag_array)_o[0-9]+$'
    LOOP
        EXECUTE format('DROP TABLE public.%I', t);
    END LOOP;
END;
$$;
DROP TABLE IF EXISTS public.quality_flag_array;
DROP TABLE IF EXISTS public.target_specific_time;
DROP TABLE IF EXISTS public.dataset;
DROP FUNCTION IF EXISTS public.lcdb_refuse_default_partition();
DROP FUNCTION IF EXISTS public.quality_flag_array_check_length();
DROP FUNCTION IF EXISTS public.target_specific_time_check_length();
DROP FUNCTION IF EXISTS public.dataset_check_length();
