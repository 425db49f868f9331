-- rollback 0023.shard_partitions: the data tables' keys and foreign keys back on the parents (refused while a
-- partition is on a shard), foreign keys to dataset again instead of the triggers.
SET LOCAL ROLE lcdb_owner;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_foreign_table AS f JOIN pg_inherits AS h ON h.inhrelid = f.ftrelid
               WHERE h.inhparent IN ('public.dataset'::regclass, 'public.target_specific_time'::regclass,
                                     'public.quality_flag_array'::regclass)) THEN
        RAISE EXCEPTION 'partitions are on shards: move them back first (lcdb shard move --to local)'
            USING ERRCODE = 'object_in_use';
    END IF;
END;
$$;

DROP TRIGGER tg_release_delete_on_shards ON public.release;
DROP TRIGGER tg_target_delete_on_shards ON public.target;
DROP TRIGGER tg_processing_group_delete_on_shards ON public.processing_group;
DROP FUNCTION public.lcdb_delete_on_shards();
DROP TRIGGER tg_dataset_forget_references ON public.dataset;
DROP FUNCTION public.lcdb_forget_dataset_references();
DROP TRIGGER tg_dataset_lineage_child_exists ON public.dataset_lineage;
DROP TRIGGER tg_dataset_lineage_parent_exists ON public.dataset_lineage;
DROP TRIGGER tg_periodogram_result_dataset_exists ON public.periodogram_result;
DROP FUNCTION public.lcdb_check_dataset_reference();
DROP INDEX public.ix_dataset_lineage_child;
DROP INDEX public.ix_periodogram_result_dataset;

CREATE OR REPLACE FUNCTION public.lcdb_prepare_observation_partitions(p_observation_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    part   text;
    built  integer := 0;
    r      record;
BEGIN
    IF p_observation_id IS NULL OR p_observation_id < 1 THEN
        RAISE EXCEPTION 'an observation id is a positive number, got %', p_observation_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        part := format('%s_o%s', parent, p_observation_id);
        CONTINUE WHEN to_regclass(format('public.%I', part)) IS NOT NULL;
        -- the parent's columns, defaults, CHECK constraints, storage and compression (not its identity: the
        -- partition takes the parent's sequence below, or inherits the identity when attached on PostgreSQL 17+)
        EXECUTE format('CREATE TABLE public.%I (LIKE public.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                       'INCLUDING STORAGE INCLUDING COMPRESSION)', part, parent);
        IF current_setting('server_version_num')::integer < 170000 THEN
            EXECUTE format('ALTER TABLE public.%I ALTER COLUMN id SET DEFAULT nextval(%L::regclass)',
                           part, pg_get_serial_sequence(format('public.%I', parent), 'id'));
        END IF;
        -- the parent's keys and indexes, named <parent index>_o<id>: ATTACH adopts them instead of building more
        FOR r IN
            SELECT c.conname, pg_get_constraintdef(c.oid) AS def
            FROM pg_constraint AS c
            WHERE c.conrelid = format('public.%I', parent)::regclass AND c.contype IN ('p', 'u')
            ORDER BY c.conname
        LOOP
            EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I %s', part,
                           format('%s_o%s', r.conname, p_observation_id), r.def);
        END LOOP;
        FOR r IN
            SELECT i.relname, pg_get_indexdef(x.indexrelid) AS def
            FROM pg_index AS x
            JOIN pg_class AS i ON i.oid = x.indexrelid
            WHERE x.indrelid = format('public.%I', parent)::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname
        LOOP
            EXECUTE regexp_replace(r.def, '^CREATE (UNIQUE )?INDEX \S+ ON ONLY \S+ ',
                                   format('CREATE \1INDEX %I ON public.%I ',
                                          format('%s_o%s', r.relname, p_observation_id), part));
        END LOOP;
        built := built + 1;
    END LOOP;
    RETURN built;
END;
$$;
COMMENT ON FUNCTION public.lcdb_prepare_observation_partitions(bigint) IS
    'Builds the tables dataset_o<id>, target_specific_time_o<id> and quality_flag_array_o<id> of an observation '
    'id apart (skipping existing ones): the parent''s columns, checks, keys and indexes (named <parent index>_o<id>), '
    'owned by lcdb_owner and granted to no one until attached. Locks nothing a writer holds, so an ingest builds '
    'them before it takes the partition lock; inserting the observation attaches them '
    '(lcdb_create_observation_partitions). Returns how many it built. SECURITY DEFINER (runs as lcdb_owner).';

CREATE OR REPLACE FUNCTION public.lcdb_create_observation_partitions(p_observation_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    rel    regclass;
    r      record;
BEGIN
    PERFORM public.lcdb_prepare_observation_partitions(p_observation_id);
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        rel := format('public.%I_o%s', parent, p_observation_id)::regclass;
        IF (SELECT relispartition FROM pg_class WHERE oid = rel) THEN
            RAISE NOTICE 'table % already exists; not creating it', rel;
            CONTINUE;
        END IF;
        -- foreign keys and row triggers are cloned by ATTACH
        EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION %s FOR VALUES IN (%s)', parent, rel, p_observation_id);
        -- direct access to the partition, once it is one: the parent's grants, one statement per grantee
        FOR r IN
            SELECT string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privileges,
                   CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
            FROM pg_class AS c, aclexplode(c.relacl) AS a
            WHERE c.oid = format('public.%I', parent)::regclass AND a.grantee <> c.relowner
            GROUP BY a.grantee
        LOOP
            EXECUTE format('GRANT %s ON TABLE %s TO %s', r.privileges, rel, r.grantee);
        END LOOP;
    END LOOP;
    PERFORM public.lcdb_describe_observation_partitions(p_observation_id);
END;
$$;
COMMENT ON FUNCTION public.lcdb_create_observation_partitions(bigint) IS
    'Creates the partitions dataset_o<id>, target_specific_time_o<id> and quality_flag_array_o<id> of an '
    'observation: the tables lcdb_prepare_observation_partitions built (or builds now), attached (SHARE UPDATE '
    'EXCLUSIVE on the parent: writers of other partitions go on), granted like the parent and commented with what '
    'they hold; existing '
    'partitions are left as they are. SECURITY DEFINER (runs as lcdb_owner), so writers without DDL rights can '
    'insert observations. A DBA may call it to recreate a dropped partition.';

CREATE OR REPLACE FUNCTION public.lcdb_describe_observation_partitions(p_observation_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    held   text;
BEGIN
    SELECT concat_ws(', ',
                     CASE WHEN t.sector IS NOT NULL THEN format('TESS sector %s', t.sector) END,
                     CASE WHEN i.properties ? 'camera' THEN format('camera %s', i.properties ->> 'camera') END,
                     CASE WHEN i.properties ? 'ccd' THEN format('CCD %s', i.properties ->> 'ccd') END,
                     format('instrument %s', i.name), format('%s cadences', o.cadence_count))
    INTO held
    FROM public.observation AS o
    JOIN public.instrument AS i ON i.id = o.instrument_id
    LEFT JOIN public.tess_observation AS t ON t.id = o.id
    WHERE o.id = p_observation_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        IF to_regclass(format('public.%I_o%s', parent, p_observation_id)) IS NOT NULL THEN
            EXECUTE format('COMMENT ON TABLE public.%I IS %L', format('%s_o%s', parent, p_observation_id),
                           format('Partition of %s for observation %s: %s (lcdb_partitions lists them all).',
                                  parent, p_observation_id, held));
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION public.lcdb_describe_observation_partitions(bigint) IS
    'Comments the partitions of an observation with what they hold: TESS sector, camera, CCD, instrument, cadence '
    'count. Called when the partitions are created and when the observation''s TESS row is written (SECURITY '
    'DEFINER: the partitions belong to lcdb_owner).';

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
    -- the lineage links and period-search results of its datasets go with them (as ON DELETE CASCADE would);
    -- then the partitions are
    -- detached (dataset_lineage's foreign keys attach to each partition) and dropped, and the row deleted
    DELETE FROM public.dataset_lineage WHERE child_observation_id = p_id OR parent_observation_id = p_id;
    DELETE FROM public.periodogram_result WHERE observation_id = p_id;
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

CREATE OR REPLACE FUNCTION public.lcdb_delete_release(p_id bigint) RETURNS integer
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

COMMENT ON FUNCTION public.lcdb_delete_observation(bigint) IS
    'Deletes an observation and everything of it, dropping its partitions (detached first) instead of emptying '
    'them row by row; returns 1, or 0 when there is no such observation. Takes ACCESS EXCLUSIVE locks on the data '
    'tables until commit (DETACH): run it in a short transaction. Needs DELETE on observation (SECURITY DEFINER: '
    'the partitions belong to the schema owner).';

DROP FUNCTION public.lcdb_observation_shard(bigint);
DROP FUNCTION public.lcdb_attach_shard_partitions(bigint, name);
DROP FUNCTION public.lcdb_hold_shard_partitions(bigint);
DROP FUNCTION public.lcdb_reserve_data_ids(text, integer);
DROP FUNCTION public.lcdb_record_target_observation(bigint, bigint);
DROP FUNCTION public.lcdb_grant_partition(regclass, regclass);

-- the keys back on the parents: the partitions are detached, the default partition's keys renamed out of the way,
-- the parents' keys and foreign keys added, and the partitions attached again (adopting their own copies)
DO $$
DECLARE
    parent text;
    r      record;
    parts  text[];
    bounds text[];
    i      integer;
BEGIN
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        SELECT array_agg(c.relname::text ORDER BY c.relname),
               array_agg(pg_get_expr(c.relpartbound, c.oid) ORDER BY c.relname)
        INTO parts, bounds
        FROM pg_inherits AS h JOIN pg_class AS c ON c.oid = h.inhrelid
        WHERE h.inhparent = format('public.%I', parent)::regclass;
        FOR i IN 1 .. coalesce(array_length(parts, 1), 0) LOOP
            EXECUTE format('ALTER TABLE public.%I DETACH PARTITION public.%I', parent, parts[i]);
        END LOOP;
        FOR r IN
            SELECT conname::text AS conname, pg_get_constraintdef(oid) AS def, contype,
                   obj_description(oid, 'pg_constraint') AS note
            FROM pg_constraint
            WHERE conrelid = format('public.%I_default', parent)::regclass AND contype IN ('p', 'u', 'f')
            ORDER BY contype DESC, conname
        LOOP
            IF r.contype <> 'f' THEN
                EXECUTE format('ALTER TABLE public.%I RENAME CONSTRAINT %I TO %I',
                               parent || '_default', r.conname, r.conname || '_default');
            END IF;
            EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I %s', parent, r.conname, r.def);
            EXECUTE format('COMMENT ON CONSTRAINT %I ON public.%I IS %L', r.conname, parent, r.note);
        END LOOP;
        FOR i IN 1 .. coalesce(array_length(parts, 1), 0) LOOP
            EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION public.%I %s', parent, parts[i], bounds[i]);
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON TABLE public.dataset_default IS 'Default partition of dataset: always empty (rows are refused by a trigger).';
COMMENT ON TABLE public.target_specific_time_default IS 'Default partition of target_specific_time: always empty (rows are refused by a trigger).';
COMMENT ON TABLE public.quality_flag_array_default IS 'Default partition of quality_flag_array: always empty (rows are refused by a trigger).';

ALTER TABLE public.dataset_lineage ADD CONSTRAINT fk_dataset_lineage_child FOREIGN KEY (child_dataset_id, child_observation_id)
    REFERENCES public.dataset (id, observation_id) ON DELETE CASCADE;
ALTER TABLE public.dataset_lineage ADD CONSTRAINT fk_dataset_lineage_parent FOREIGN KEY (parent_dataset_id, parent_observation_id)
    REFERENCES public.dataset (id, observation_id) ON DELETE CASCADE;
ALTER TABLE public.periodogram_result ADD CONSTRAINT fk_periodogram_result_dataset FOREIGN KEY (dataset_id, observation_id)
    REFERENCES public.dataset (id, observation_id) ON DELETE CASCADE;
COMMENT ON CONSTRAINT fk_dataset_lineage_child ON public.dataset_lineage IS 'Child dataset must exist (UnknownDataset); ON DELETE CASCADE.';
COMMENT ON CONSTRAINT fk_dataset_lineage_parent ON public.dataset_lineage IS 'Parent dataset must exist (UnknownDataset); ON DELETE CASCADE.';
COMMENT ON CONSTRAINT fk_periodogram_result_dataset ON public.periodogram_result IS 'Dataset must exist (UnknownReference); ON DELETE CASCADE.';
