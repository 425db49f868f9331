-- rollback 0012.observation_cleanup
DROP FUNCTION IF EXISTS public.lcdb_delete_release(bigint);
DROP FUNCTION IF EXISTS public.lcdb_delete_observation(bigint);
