-- rollback 0016.periodogram_results
CREATE OR REPLACE FUNCTION public.lcdb_delete_observation(p_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    part   text;
    n      integer;
BEGIN
    IF NOT has_table_privilege(session_user, 'public.observation', 'DELETE') THEN
        RAISE EXCEPTION 'permission denied to delete observation %', p_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM public.observation WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    -- the lineage links of its datasets go with them (as ON DELETE CASCADE would); then the partitions are
    -- detached (dataset_lineage's foreign keys attach to each partition) and dropped, and the row deleted
    DELETE FROM public.dataset_lineage WHERE child_observation_id = p_id OR parent_observation_id = p_id;
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        part := format('%s_o%s', parent, p_id);
        IF EXISTS (SELECT 1 FROM pg_inherits AS i
                   WHERE i.inhrelid = to_regclass(format('public.%I', part))
                     AND i.inhparent = format('public.%I', parent)::regclass) THEN
            EXECUTE format('ALTER TABLE public.%I DETACH PARTITION public.%I', parent, part);
            EXECUTE format('DROP TABLE public.%I', part);
        END IF;
    END LOOP;
    DELETE FROM public.observation WHERE id = p_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
DROP TABLE IF EXISTS public.periodogram_result;
