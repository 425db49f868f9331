-- 0023.shard_partitions: any observation's partitions may live on another server, as postgres_fdw foreign tables
-- (lcdb shard). PostgreSQL refuses a foreign partition while the partitioned table has a unique index or a foreign
-- key, so the data tables' keys move from the parents to each partition: the default partitions carry them under
-- the schema's names (the template every new partition copies, and what the generated schema facts read), each
-- observation's partitions as <name>_o<id> (keys) and under the same names (foreign keys). The partition key is
-- part of every key, so a key per partition is still a key of the whole table. Nothing may reference a dataset by
-- foreign key any more: dataset_lineage and periodogram_result check and cascade by trigger instead, and deleting a
-- release, target or processing group reaches the foreign partitions (which check nothing) by trigger too.
-- The partitions are detached and re-attached (each is scanned once to check its bounds); their indexes are kept.
-- depends: 0022.comments
SET LOCAL ROLE lcdb_owner;

ALTER TABLE public.dataset_lineage DROP CONSTRAINT fk_dataset_lineage_child;
ALTER TABLE public.dataset_lineage DROP CONSTRAINT fk_dataset_lineage_parent;
ALTER TABLE public.periodogram_result DROP CONSTRAINT fk_periodogram_result_dataset;

DO $$
DECLARE
    parent  text;
    r       record;
    parts   text[];
    bounds  text[];
    renames text[] := '{}';
    i       integer;
BEGIN
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        SELECT array_agg(c.relname::text ORDER BY c.relname),
               array_agg(pg_get_expr(c.relpartbound, c.oid) ORDER BY c.relname)
        INTO parts, bounds
        FROM pg_inherits AS h JOIN pg_class AS c ON c.oid = h.inhrelid
        WHERE h.inhparent = format('public.%I', parent)::regclass;
        -- each partition's copy of a key is to be named after it: <name> in the default partition, <name>_o<id>
        -- in the others (the copies PostgreSQL made for the default partition in 0003 have generated names)
        renames := '{}';
        FOR r IN
            SELECT k.conname::text AS schema_name, o.conname::text AS own, c.relname::text AS part
            FROM pg_constraint AS k
            JOIN pg_class AS c ON c.relname = ANY (parts) AND c.relnamespace = 'public'::regnamespace
            JOIN pg_constraint AS o ON o.conrelid = c.oid AND o.conparentid = k.oid
            WHERE k.conrelid = format('public.%I', parent)::regclass AND k.contype IN ('p', 'u')
        LOOP
            renames := renames || ARRAY[r.part, r.own,
                CASE WHEN r.part = parent || '_default' THEN r.schema_name
                     ELSE r.schema_name || substr(r.part, length(parent) + 1) END];
        END LOOP;
        -- detached, a partition keeps its keys, indexes and foreign keys as its own
        FOR i IN 1 .. coalesce(array_length(parts, 1), 0) LOOP
            EXECUTE format('ALTER TABLE public.%I DETACH PARTITION public.%I', parent, parts[i]);
        END LOOP;
        FOR r IN
            SELECT conname, contype, obj_description(oid, 'pg_constraint') AS note FROM pg_constraint
            WHERE conrelid = format('public.%I', parent)::regclass AND contype IN ('p', 'u', 'f')
            ORDER BY contype DESC, conname   -- unique keys, then the primary key, then foreign keys
        LOOP
            -- each partition's foreign key explains itself as the parent's did
            IF r.contype = 'f' THEN
                FOR i IN 1 .. coalesce(array_length(parts, 1), 0) LOOP
                    EXECUTE format('COMMENT ON CONSTRAINT %I ON public.%I IS %L', r.conname, parts[i], r.note);
                END LOOP;
            END IF;
            EXECUTE format('ALTER TABLE public.%I DROP CONSTRAINT %I', parent, r.conname);
        END LOOP;
        FOR i IN 1 .. coalesce(array_length(renames, 1), 0) / 3 LOOP
            IF renames[3 * i - 1] <> renames[3 * i] THEN
                EXECUTE format('ALTER TABLE public.%I RENAME CONSTRAINT %I TO %I',
                               renames[3 * i - 2], renames[3 * i - 1], renames[3 * i]);
            END IF;
        END LOOP;
        FOR i IN 1 .. coalesce(array_length(parts, 1), 0) LOOP
            EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION public.%I %s', parent, parts[i], bounds[i]);
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON TABLE public.dataset_default IS
    'Default partition of dataset: always empty (rows are refused by a trigger). Holds the keys and foreign keys '
    'under the schema''s names: every observation''s partition copies them (lcdb_prepare_observation_partitions).';
COMMENT ON TABLE public.target_specific_time_default IS
    'Default partition of target_specific_time: always empty (rows are refused by a trigger). Holds the keys and '
    'foreign keys under the schema''s names: every observation''s partition copies them.';
COMMENT ON TABLE public.quality_flag_array_default IS
    'Default partition of quality_flag_array: always empty (rows are refused by a trigger). Holds the keys and '
    'foreign keys under the schema''s names: every observation''s partition copies them.';
COMMENT ON INDEX public.pk_dataset IS 'Index of pk_dataset (each partition has its copy, pk_dataset_o<id>).';
COMMENT ON CONSTRAINT pk_dataset ON public.dataset_default IS
    'Primary key (id, observation_id), per partition (pk_dataset_o<id>): with the partition key in it, a key of '
    'the whole table (DuplicateKey).';
COMMENT ON CONSTRAINT uq_dataset_group_target_observation ON public.dataset_default IS
    'One dataset per processing group, target, observation and release, per partition '
    '(uq_dataset_group_target_observation_o<id>; DuplicateKey); a NULL release counts as one value.';
COMMENT ON CONSTRAINT pk_target_specific_time ON public.target_specific_time_default IS
    'Primary key (id, observation_id), per partition (pk_target_specific_time_o<id>; DuplicateKey).';
COMMENT ON CONSTRAINT uq_target_specific_time_target_observation ON public.target_specific_time_default IS
    'One time array per target, observation and release, per partition '
    '(uq_target_specific_time_target_observation_o<id>; DuplicateKey); a NULL release counts as one value.';
COMMENT ON CONSTRAINT pk_quality_flag_array ON public.quality_flag_array_default IS
    'Primary key (id, observation_id), per partition (pk_quality_flag_array_o<id>; DuplicateKey).';
COMMENT ON CONSTRAINT uq_quality_flag_array_id_type ON public.quality_flag_array_default IS
    'Key (id, observation_id, type) for the typed lookup, per partition (uq_quality_flag_array_id_type_o<id>).';
COMMENT ON CONSTRAINT uq_quality_flag_array_type_observation_target ON public.quality_flag_array_default IS
    'One flag array per type, observation, target and release, per partition '
    '(uq_quality_flag_array_type_observation_target_o<id>; DuplicateKey); a NULL release counts as one value.';

-- direct access to a partition, once it is one: its parent's grants
CREATE FUNCTION public.lcdb_grant_partition(p_partition regclass, p_parent regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privileges,
               CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee
        FROM pg_class AS c, aclexplode(c.relacl) AS a
        WHERE c.oid = p_parent AND a.grantee <> c.relowner
        GROUP BY a.grantee
    LOOP
        EXECUTE format('GRANT %s ON TABLE %s TO %s', r.privileges, p_partition, r.grantee);
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_grant_partition(regclass, regclass) FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_grant_partition(regclass, regclass) IS
    'Grants a partition (local or foreign) what its parent grants, one statement per grantee (SECURITY DEFINER).';

-- a new observation's tables copy the default partition's keys (and, once attached, its foreign keys)
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
        -- the keys every partition has (the default partition's), named <key>_o<id>
        FOR r IN
            SELECT c.conname, pg_get_constraintdef(c.oid) AS def
            FROM pg_constraint AS c
            WHERE c.conrelid = format('public.%I_default', parent)::regclass AND c.contype IN ('p', 'u')
            ORDER BY c.conname
        LOOP
            EXECUTE format('ALTER TABLE public.%I ADD CONSTRAINT %I %s', part,
                           format('%s_o%s', r.conname, p_observation_id), r.def);
        END LOOP;
        -- the parent's other indexes, named <parent index>_o<id>: ATTACH adopts them instead of building more
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
    'id apart (skipping existing ones): the parent''s columns, checks and indexes, and the default partition''s keys '
    '(named <key>_o<id>), owned by lcdb_owner and granted to no one until attached. Locks nothing a writer holds, '
    'so an ingest builds them before it takes the partition lock; inserting the observation attaches them '
    '(lcdb_create_observation_partitions). Also builds a shard''s copy (lcdb shard move). Returns how many it '
    'built. SECURITY DEFINER (runs as lcdb_owner).';

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
        -- row triggers are cloned by ATTACH; the foreign keys are the default partition's, under its names
        EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION %s FOR VALUES IN (%s)', parent, rel, p_observation_id);
        FOR r IN
            SELECT c.conname, pg_get_constraintdef(c.oid) AS def, obj_description(c.oid, 'pg_constraint') AS note
            FROM pg_constraint AS c
            WHERE c.conrelid = format('public.%I_default', parent)::regclass AND c.contype = 'f'
              AND NOT EXISTS (SELECT 1 FROM pg_constraint AS o WHERE o.conrelid = rel AND o.conname = c.conname)
            ORDER BY c.conname
        LOOP
            EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', rel, r.conname, r.def);
            EXECUTE format('COMMENT ON CONSTRAINT %I ON %s IS %L', r.conname, rel, r.note);
        END LOOP;
        PERFORM public.lcdb_grant_partition(rel, format('public.%I', parent)::regclass);
    END LOOP;
    PERFORM public.lcdb_describe_observation_partitions(p_observation_id);
END;
$$;
COMMENT ON FUNCTION public.lcdb_create_observation_partitions(bigint) IS
    'Creates the partitions dataset_o<id>, target_specific_time_o<id> and quality_flag_array_o<id> of an '
    'observation: the tables lcdb_prepare_observation_partitions built (or builds now), attached (SHARE UPDATE '
    'EXCLUSIVE on the parent: writers of other partitions go on), given the default partition''s foreign keys, '
    'granted like the parent and commented with what they hold; existing partitions are left as they are. SECURITY '
    'DEFINER (runs as lcdb_owner), so writers without DDL rights can insert observations. A DBA may call it to '
    'recreate a dropped partition.';

CREATE OR REPLACE FUNCTION public.lcdb_describe_observation_partitions(p_observation_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    held   text;
    rel    regclass;
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
        rel := to_regclass(format('public.%I_o%s', parent, p_observation_id));
        CONTINUE WHEN rel IS NULL;
        IF (SELECT relkind FROM pg_class WHERE oid = rel) = 'f' THEN
            EXECUTE format('COMMENT ON FOREIGN TABLE %s IS %L', rel,
                           format('Partition of %s for observation %s on shard %s: %s (lcdb_partitions lists them all).',
                                  parent, p_observation_id,
                                  (SELECT s.srvname FROM pg_foreign_table AS f JOIN pg_foreign_server AS s
                                       ON s.oid = f.ftserver WHERE f.ftrelid = rel), held));
        ELSE
            EXECUTE format('COMMENT ON TABLE %s IS %L', rel,
                           format('Partition of %s for observation %s: %s (lcdb_partitions lists them all).',
                                  parent, p_observation_id, held));
        END IF;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION public.lcdb_describe_observation_partitions(bigint) IS
    'Comments the partitions of an observation with what they hold: TESS sector, camera, CCD, instrument, cadence '
    'count, and the shard (foreign server) of a foreign partition. Called when the partitions are created, moved '
    'and when the observation''s TESS row is written (SECURITY DEFINER: the partitions belong to lcdb_owner).';

-- what referred to a dataset by foreign key now checks and cascades by trigger
CREATE FUNCTION public.lcdb_check_dataset_reference() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    ds  bigint := (to_jsonb(NEW) ->> TG_ARGV[1])::bigint;
    obs bigint := (to_jsonb(NEW) ->> TG_ARGV[2])::bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM public.dataset WHERE id = ds AND observation_id = obs) THEN
        RAISE EXCEPTION 'insert or update on table "%" violates foreign key constraint "%"', TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME,
                  SCHEMA = 'public',
                  DETAIL = format('Key (%s, %s)=(%s, %s) is not present in table "dataset".',
                                  TG_ARGV[1], TG_ARGV[2], ds, obs);
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_check_dataset_reference() FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_check_dataset_reference() IS
    'Trigger: the dataset a row names (its id and observation columns, TG_ARGV[1] and [2]) must exist, else a '
    'foreign-key violation under the constraint name TG_ARGV[0] (UnknownReference). Replaces the foreign keys to '
    'dataset, which a partitioned table with foreign partitions cannot have.';
CREATE TRIGGER tg_dataset_lineage_child_exists BEFORE INSERT OR UPDATE ON public.dataset_lineage
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_check_dataset_reference('fk_dataset_lineage_child', 'child_dataset_id', 'child_observation_id');
CREATE TRIGGER tg_dataset_lineage_parent_exists BEFORE INSERT OR UPDATE ON public.dataset_lineage
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_check_dataset_reference('fk_dataset_lineage_parent', 'parent_dataset_id', 'parent_observation_id');
CREATE TRIGGER tg_periodogram_result_dataset_exists BEFORE INSERT OR UPDATE ON public.periodogram_result
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_check_dataset_reference('fk_periodogram_result_dataset', 'dataset_id', 'observation_id');
COMMENT ON TRIGGER tg_dataset_lineage_child_exists ON public.dataset_lineage IS
    'The child dataset must exist (fk_dataset_lineage_child: UnknownReference).';
COMMENT ON TRIGGER tg_dataset_lineage_parent_exists ON public.dataset_lineage IS
    'The parent dataset must exist (fk_dataset_lineage_parent: UnknownReference).';
COMMENT ON TRIGGER tg_periodogram_result_dataset_exists ON public.periodogram_result IS
    'The dataset searched must exist (fk_periodogram_result_dataset: UnknownReference).';
CREATE INDEX ix_dataset_lineage_child ON public.dataset_lineage (child_dataset_id, child_observation_id);
CREATE INDEX ix_periodogram_result_dataset ON public.periodogram_result (dataset_id, observation_id);
COMMENT ON INDEX public.ix_dataset_lineage_child IS 'Finds the links of a deleted child dataset (tg_dataset_forget_references).';
COMMENT ON INDEX public.ix_periodogram_result_dataset IS 'Finds the results of a deleted dataset (tg_dataset_forget_references).';

CREATE FUNCTION public.lcdb_forget_dataset_references() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    DELETE FROM public.dataset_lineage
    WHERE (child_dataset_id = OLD.id AND child_observation_id = OLD.observation_id)
       OR (parent_dataset_id = OLD.id AND parent_observation_id = OLD.observation_id);
    DELETE FROM public.periodogram_result WHERE dataset_id = OLD.id AND observation_id = OLD.observation_id;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_forget_dataset_references() FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_forget_dataset_references() IS
    'Trigger on dataset: a deleted dataset''s lineage links and period-search results go with it (as ON DELETE '
    'CASCADE did).';
CREATE TRIGGER tg_dataset_forget_references AFTER DELETE ON public.dataset
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_forget_dataset_references();
COMMENT ON TRIGGER tg_dataset_forget_references ON public.dataset IS
    'A deleted dataset''s lineage links and period-search results are deleted with it.';

-- foreign partitions check no foreign keys: deletions reach them by trigger
CREATE FUNCTION public.lcdb_delete_on_shards() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    r   record;
    obs bigint := CASE WHEN TG_TABLE_NAME = 'release' THEN (to_jsonb(OLD) ->> 'observation_id')::bigint END;
BEGIN
    FOR r IN
        SELECT f.ftrelid::regclass AS rel
        FROM pg_foreign_table AS f
        JOIN pg_inherits AS h ON h.inhrelid = f.ftrelid
        JOIN pg_class AS p ON p.oid = h.inhparent
        WHERE p.relnamespace = 'public'::regnamespace
          AND p.relname IN ('dataset', 'target_specific_time', 'quality_flag_array')
          AND (obs IS NULL OR f.ftrelid = to_regclass(format('public.%I_o%s', p.relname, obs)))
          AND (TG_ARGV[0] <> 'processing_group_id' OR p.relname = 'dataset')
    LOOP
        EXECUTE format('DELETE FROM %s WHERE %I = $1', r.rel, TG_ARGV[0]) USING OLD.id;
    END LOOP;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_delete_on_shards() FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_delete_on_shards() IS
    'Trigger on release, target and processing_group: deletes the rows of foreign partitions (lcdb shard) that '
    'refer to the deleted row by the column TG_ARGV[0], as the local partitions'' ON DELETE CASCADE does.';
CREATE TRIGGER tg_release_delete_on_shards AFTER DELETE ON public.release
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_delete_on_shards('release_id');
CREATE TRIGGER tg_target_delete_on_shards AFTER DELETE ON public.target
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_delete_on_shards('target_id');
CREATE TRIGGER tg_processing_group_delete_on_shards AFTER DELETE ON public.processing_group
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_delete_on_shards('processing_group_id');
COMMENT ON TRIGGER tg_release_delete_on_shards ON public.release IS
    'A deleted release''s rows on a shard are deleted with it (ON DELETE CASCADE for foreign partitions).';
COMMENT ON TRIGGER tg_target_delete_on_shards ON public.target IS
    'A deleted target''s rows on shards are deleted with it (ON DELETE CASCADE for foreign partitions).';
COMMENT ON TRIGGER tg_processing_group_delete_on_shards ON public.processing_group IS
    'A deleted processing group''s datasets on shards are deleted with it (ON DELETE CASCADE for foreign partitions).';

-- an observation on a shard is not dropped from the coordinator (its data would stay behind on the shard)
CREATE FUNCTION public.lcdb_observation_shard(p_observation_id bigint) RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT min(s.srvname)::text
    FROM pg_foreign_table AS f
    JOIN pg_foreign_server AS s ON s.oid = f.ftserver
    WHERE f.ftrelid IN (to_regclass(format('public.dataset_o%s', p_observation_id)),
                        to_regclass(format('public.target_specific_time_o%s', p_observation_id)),
                        to_regclass(format('public.quality_flag_array_o%s', p_observation_id)));
$$;
COMMENT ON FUNCTION public.lcdb_observation_shard(bigint) IS
    'The foreign server (shard) that holds an observation''s partitions, or NULL when they are local.';
GRANT EXECUTE ON FUNCTION public.lcdb_observation_shard(bigint) TO lcdb_reader, lcdb_writer;

CREATE OR REPLACE FUNCTION public.lcdb_delete_observation(p_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    part   text;
    shard  text;
    n      integer;
BEGIN
    IF NOT has_table_privilege(session_user, 'public.observation', 'DELETE') THEN
        RAISE EXCEPTION 'permission denied to delete observation %', p_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM 1 FROM public.observation WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;
    shard := public.lcdb_observation_shard(p_id);
    IF shard IS NOT NULL THEN
        RAISE EXCEPTION 'observation % is on shard %: move it back first (lcdb shard move --to local)', p_id, shard
            USING ERRCODE = 'object_in_use';
    END IF;
    -- the lineage links and period-search results of its datasets go with them, then the partitions are
    -- detached and dropped, and the row deleted
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
    -- the observation held only this release: nothing of it is left, so it goes with its partitions (unless they
    -- are on a shard: the observation stays, empty, until moved back)
    IF public.lcdb_observation_shard(obs) IS NULL
       AND NOT EXISTS (SELECT 1 FROM public.dataset WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.target_specific_time WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.quality_flag_array WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.release WHERE observation_id = obs)
       AND NOT EXISTS (SELECT 1 FROM public.fits_frame WHERE observation_id = obs) THEN
        PERFORM public.lcdb_delete_observation(obs);
    END IF;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION public.lcdb_delete_observation(bigint) IS
    'Deletes an observation and everything of it, dropping its partitions (detached first) instead of emptying '
    'them row by row; returns 1, or 0 when there is no such observation. Refuses (object_in_use) an observation '
    'whose partitions are on a shard. Takes ACCESS EXCLUSIVE locks on the data tables until commit (DETACH): run '
    'it in a short transaction. Needs DELETE on observation (SECURITY DEFINER: the partitions belong to the schema '
    'owner).';
COMMENT ON FUNCTION public.lcdb_delete_release(bigint) IS
    'Deletes a release and exactly its data (cascades, by trigger on shards); when its observation is left with no '
    'data, release or frame at all and is not on a shard, the observation goes too, with its partitions '
    '(lcdb_delete_observation). Returns 1, or 0 when there is no such release. Needs DELETE on release.';

-- an observation's partitions on a shard: foreign tables of the shard's own tables of the same names
CREATE FUNCTION public.lcdb_attach_shard_partitions(p_observation_id bigint, p_server name) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    part   text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_foreign_server WHERE srvname = p_server) THEN
        RAISE EXCEPTION 'no shard server %', p_server USING ERRCODE = 'undefined_object';
    END IF;
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        part := format('%s_o%s', parent, p_observation_id);
        -- row triggers are cloned (they run here, on the coordinator); indexes and keys are the shard's
        EXECUTE format('CREATE FOREIGN TABLE public.%I PARTITION OF public.%I FOR VALUES IN (%s) SERVER %I '
                       'OPTIONS (schema_name %L, table_name %L)', part, parent, p_observation_id, p_server,
                       'public', part);
        -- rows written to the partition itself (the bulk writer) take ids from the parent's sequence, as a local
        -- partition does (unless it inherited the identity: PostgreSQL 17+)
        IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = format('public.%I', part)::regclass
                         AND attname = 'id' AND (attidentity <> '' OR atthasdef)) THEN
            EXECUTE format('ALTER FOREIGN TABLE public.%I ALTER COLUMN id SET DEFAULT nextval(%L::regclass)',
                           part, pg_get_serial_sequence(format('public.%I', parent), 'id'));
        END IF;
        PERFORM public.lcdb_grant_partition(format('public.%I', part)::regclass, format('public.%I', parent)::regclass);
    END LOOP;
    PERFORM public.lcdb_describe_observation_partitions(p_observation_id);
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_attach_shard_partitions(bigint, name) FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_attach_shard_partitions(bigint, name) IS
    'Makes an observation''s partitions foreign tables on a shard (foreign server p_server), whose tables of the '
    'same names (built by lcdb_prepare_observation_partitions on the shard) hold the rows; granted like the parents '
    'and commented. Its local partitions must be detached first. lcdb shard move calls it (SECURITY DEFINER: runs '
    'as lcdb_owner, the servers'' owner).';

-- on a shard: the tables it holds for a coordinator are partitions of its own parents (so that the package's reads
-- and writes work on it directly), without the triggers that need the coordinator's rows
CREATE FUNCTION public.lcdb_hold_shard_partitions(p_observation_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    rel    regclass;
BEGIN
    PERFORM public.lcdb_prepare_observation_partitions(p_observation_id);
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        rel := format('public.%I_o%s', parent, p_observation_id)::regclass;
        IF NOT (SELECT relispartition FROM pg_class WHERE oid = rel) THEN
            EXECUTE format('ALTER TABLE public.%I ATTACH PARTITION %s FOR VALUES IN (%s)', parent, rel,
                           p_observation_id);
        END IF;
        -- the coordinator checks lengths against its observation and records target_observation itself
        EXECUTE format('ALTER TABLE %s DISABLE TRIGGER %I, DISABLE TRIGGER %I', rel,
                       format('tg_%s_length_matches_observation', parent), format('tg_%s_target_observation', parent));
        PERFORM public.lcdb_grant_partition(rel, format('public.%I', parent)::regclass);
        EXECUTE format('COMMENT ON TABLE %s IS %L', rel,
                       format('Partition of %s for observation %s, held for a coordinator (lcdb shard): the '
                              'coordinator''s foreign table %s reads and writes it.', parent, p_observation_id,
                              rel));
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_hold_shard_partitions(bigint) FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_hold_shard_partitions(bigint) IS
    'On a shard: builds (lcdb_prepare_observation_partitions) and attaches an observation''s tables to this '
    'database''s parents, with the triggers that need the coordinator''s rows disabled (lengths, target_observation: '
    'the coordinator keeps them), granted like the parents. lcdb shard move calls it (SECURITY DEFINER).';

-- an ingest writes a sharded observation's arrays straight to the shard, with ids from the coordinator's sequences
CREATE FUNCTION public.lcdb_reserve_data_ids(p_table text, p_count integer) RETURNS bigint[]
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF p_table NOT IN ('dataset', 'target_specific_time', 'quality_flag_array') THEN
        RAISE EXCEPTION 'no data table %', p_table USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN ARRAY(SELECT nextval(pg_get_serial_sequence(format('public.%I', p_table), 'id'))
                 FROM generate_series(1, p_count));
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_reserve_data_ids(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lcdb_reserve_data_ids(text, integer) TO lcdb_writer;
COMMENT ON FUNCTION public.lcdb_reserve_data_ids(text, integer) IS
    'p_count new ids of a data table (dataset, target_specific_time, quality_flag_array) from its sequence: the '
    'ids of rows an ingest writes straight to a shard, so that they never collide with rows written through the '
    'coordinator (SECURITY DEFINER: writers need no privilege on the sequences).';

CREATE FUNCTION public.lcdb_record_target_observation(p_target_id bigint, p_observation_id bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    INSERT INTO public.target_observation (target_id, observation_id) VALUES (p_target_id, p_observation_id)
    ON CONFLICT ON CONSTRAINT pk_target_observation DO NOTHING;
$$;
REVOKE ALL ON FUNCTION public.lcdb_record_target_observation(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lcdb_record_target_observation(bigint, bigint) TO lcdb_writer;
COMMENT ON FUNCTION public.lcdb_record_target_observation(bigint, bigint) IS
    'Records (target, observation) in target_observation, as the data tables'' trigger does for rows written here: '
    'for rows an ingest writes straight to a shard (SECURITY DEFINER).';
