-- rollback 0021.concurrent_partitions: partitions created by CREATE TABLE … PARTITION OF again (0017's function),
-- the release foreign keys NOT DEFERRABLE.
SET LOCAL ROLE lcdb_owner;

DROP FUNCTION public.lcdb_discard_observation_partitions(bigint);
CREATE OR REPLACE FUNCTION public.lcdb_create_observation_partitions(p_observation_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    parent text;
    part   text;
    r      record;
BEGIN
    FOREACH parent IN ARRAY ARRAY['dataset', 'target_specific_time', 'quality_flag_array'] LOOP
        part := format('%s_o%s', parent, p_observation_id);
        IF to_regclass(format('public.%I', part)) IS NOT NULL THEN
            RAISE NOTICE 'table public.% already exists; not creating it', part;
            CONTINUE;
        END IF;
        EXECUTE format('CREATE TABLE public.%I PARTITION OF public.%I FOR VALUES IN (%s)',
                       part, parent, p_observation_id);
        -- Before PostgreSQL 17 a partition does not inherit the parent's identity: give it the same sequence as
        -- default, so that rows inserted directly into the partition get ids too.
        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                       WHERE attrelid = format('public.%I', part)::regclass AND attname = 'id'
                         AND (attidentity <> '' OR atthasdef)) THEN
            EXECUTE format('ALTER TABLE public.%I ALTER COLUMN id SET DEFAULT nextval(%L::regclass)',
                           part, pg_get_serial_sequence(format('public.%I', parent), 'id'));
        END IF;
        -- Direct access to the partition: the same grants as the parent.
        FOR r IN
            SELECT a.privilege_type, a.grantee
            FROM pg_class AS c, aclexplode(c.relacl) AS a
            WHERE c.oid = format('public.%I', parent)::regclass AND a.grantee <> c.relowner
        LOOP
            EXECUTE format('GRANT %s ON TABLE public.%I TO %s', r.privilege_type, part,
                           CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
        END LOOP;
    END LOOP;
    PERFORM public.lcdb_name_partition_indexes(p_observation_id);
    PERFORM public.lcdb_describe_observation_partitions(p_observation_id);
END;
$$;
COMMENT ON FUNCTION public.lcdb_create_observation_partitions(bigint) IS
    'Creates the partitions dataset_o<id>, target_specific_time_o<id> and quality_flag_array_o<id> of an '
    'observation (skipping existing tables), names their indexes <parent index>_o<id>, copies the parent''s grants '
    'and comments them with what they hold. SECURITY DEFINER (runs as lcdb_owner), so writers without DDL rights '
    'can insert observations. A DBA may call it to recreate a dropped partition.';

DROP FUNCTION public.lcdb_prepare_observation_partitions(bigint);

ALTER TABLE public.dataset ALTER CONSTRAINT fk_dataset_release NOT DEFERRABLE;
ALTER TABLE public.target_specific_time ALTER CONSTRAINT fk_target_specific_time_release NOT DEFERRABLE;
ALTER TABLE public.quality_flag_array ALTER CONSTRAINT fk_quality_flag_array_release NOT DEFERRABLE;
COMMENT ON CONSTRAINT fk_dataset_release ON public.dataset IS 'Release must exist (UnknownReference); ON DELETE CASCADE.';
COMMENT ON CONSTRAINT fk_target_specific_time_release ON public.target_specific_time IS 'Release must exist (UnknownReference); ON DELETE CASCADE.';
COMMENT ON CONSTRAINT fk_quality_flag_array_release ON public.quality_flag_array IS 'Release must exist (UnknownReference); ON DELETE CASCADE.';
