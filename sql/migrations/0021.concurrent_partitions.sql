-- 0021.concurrent_partitions: a new observation's partitions are built apart, while other writers go on, and
-- only attached under the ingest's partition lock. CREATE TABLE … PARTITION OF takes ACCESS EXCLUSIVE on the
-- partitioned table, which every writer of any partition holds ACCESS SHARE on (checking its partition
-- constraint), so parallel ingests of new observations took turns with each other's data, and building a
-- partition (its table, TOAST table, keys and indexes: ~20 files) is most of the cost of a new observation.
-- A standalone table locks nothing shared, and ATTACH PARTITION takes SHARE UPDATE EXCLUSIVE, which writers do
-- not conflict with. The one conflict left is the release foreign keys (attaching clones them, locking release
-- against inserts): they become DEFERRABLE, so that an ingest writes its arrays first and its release row last.
-- depends: 0020.compressed_arrays
SET LOCAL ROLE lcdb_owner;

CREATE FUNCTION public.lcdb_prepare_observation_partitions(p_observation_id bigint) RETURNS integer
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
REVOKE ALL ON FUNCTION public.lcdb_prepare_observation_partitions(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lcdb_prepare_observation_partitions(bigint) TO lcdb_writer;
COMMENT ON FUNCTION public.lcdb_prepare_observation_partitions(bigint) IS
    'Builds the tables dataset_o<id>, target_specific_time_o<id> and quality_flag_array_o<id> of an observation '
    'id apart (skipping existing ones): the parent''s columns, checks, keys and indexes (named <parent index>_o<id>), '
    'owned by lcdb_owner and granted to no one until attached. Locks nothing a writer holds, so an ingest builds '
    'them before it takes the partition lock; inserting the observation attaches them '
    '(lcdb_create_observation_partitions). Returns how many it built. SECURITY DEFINER (runs as lcdb_owner).';

CREATE FUNCTION public.lcdb_discard_observation_partitions(p_observation_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent  text;
    rel     regclass;
    dropped integer := 0;
BEGIN
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        rel := to_regclass(format('public.%I_o%s', parent, p_observation_id));
        CONTINUE WHEN rel IS NULL OR (SELECT relispartition FROM pg_class WHERE oid = rel);
        EXECUTE format('DROP TABLE %s', rel);
        dropped := dropped + 1;
    END LOOP;
    RETURN dropped;
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_discard_observation_partitions(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lcdb_discard_observation_partitions(bigint) TO lcdb_writer;
COMMENT ON FUNCTION public.lcdb_discard_observation_partitions(bigint) IS
    'Drops the tables lcdb_prepare_observation_partitions built for an observation id that was not used after '
    'all (another ingest created the observation first); attached partitions are never touched. Returns how many '
    'it dropped. SECURITY DEFINER (runs as lcdb_owner).';

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

ALTER TABLE public.dataset ALTER CONSTRAINT fk_dataset_release DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE public.target_specific_time ALTER CONSTRAINT fk_target_specific_time_release DEFERRABLE INITIALLY IMMEDIATE;
ALTER TABLE public.quality_flag_array ALTER CONSTRAINT fk_quality_flag_array_release DEFERRABLE INITIALLY IMMEDIATE;
COMMENT ON CONSTRAINT fk_dataset_release ON public.dataset IS
    'Release must exist (UnknownReference); ON DELETE CASCADE. DEFERRABLE: an ingest defers it (SET CONSTRAINTS) '
    'to write the arrays before the release row.';
COMMENT ON CONSTRAINT fk_target_specific_time_release ON public.target_specific_time IS
    'Release must exist (UnknownReference); ON DELETE CASCADE. DEFERRABLE: an ingest defers it (SET CONSTRAINTS) '
    'to write the arrays before the release row.';
COMMENT ON CONSTRAINT fk_quality_flag_array_release ON public.quality_flag_array IS
    'Release must exist (UnknownReference); ON DELETE CASCADE. DEFERRABLE: an ingest defers it (SET CONSTRAINTS) '
    'to write the arrays before the release row.';
