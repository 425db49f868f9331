-- 0012.observation_cleanup: deleting an observation (or the last release on it) drops its partitions instead of
-- leaving them behind empty.
-- depends: 0011.float32_arrays

CREATE FUNCTION public.lcdb_delete_observation(p_id bigint) RETURNS integer
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
COMMENT ON FUNCTION public.lcdb_delete_observation(bigint) IS
    'Deletes an observation and everything of it, dropping its partitions (detached first) instead of emptying '
    'them row by row; returns 1, or 0 when there is no such observation. Takes ACCESS EXCLUSIVE locks on the data '
    'tables until commit (DETACH): run it in a short transaction. Needs DELETE on observation (SECURITY DEFINER: '
    'the partitions belong to the schema owner).';
REVOKE ALL ON FUNCTION public.lcdb_delete_observation(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lcdb_delete_observation(bigint) TO lcdb_writer;

CREATE FUNCTION public.lcdb_delete_release(p_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    obs bigint;
    n   integer;
BEGIN
    IF NOT has_table_privilege(session_user, 'public.release', 'DELETE') THEN
        RAISE EXCEPTION 'permission denied to delete release %', p_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM public.release WHERE id = p_id RETURNING observation_id INTO obs;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN 0;
    END IF;
    -- the observation held only this release: nothing of it is left, so it goes with its partitions
    IF NOT EXISTS (SELECT 1 FROM public.dataset WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.target_specific_time WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.quality_flag_array WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.release WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.fits_frame WHERE observation_id = obs) THEN
        PERFORM public.lcdb_delete_observation(obs);
    END IF;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION public.lcdb_delete_release(bigint) IS
    'Deletes a release and exactly its data (cascades); when its observation is left with no data, release or '
    'frame at all, the observation goes too, with its partitions (lcdb_delete_observation). Returns 1, or 0 when '
    'there is no such release. Needs DELETE on release.';
REVOKE ALL ON FUNCTION public.lcdb_delete_release(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lcdb_delete_release(bigint) TO lcdb_writer;
