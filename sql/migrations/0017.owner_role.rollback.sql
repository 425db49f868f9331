-- Rollback of 0017.owner_role: everything back to the role rolling back, the 0003 partition function, no owner role.
DROP INDEX IF EXISTS public.ix_target_alias_target;
DROP TRIGGER IF EXISTS tg_tess_observation_describe_partitions ON public.tess_observation;
DROP FUNCTION IF EXISTS public.tess_observation_describe_partitions();

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
        FOR r IN
            SELECT c.conname AS part_name, pc.conname AS parent_name
            FROM pg_constraint AS c
            JOIN pg_constraint AS pc ON pc.oid = c.conparentid
            WHERE c.conrelid = format('public.%I', part)::regclass AND c.contype IN ('p', 'u')
        LOOP
            EXECUTE format('ALTER INDEX public.%I RENAME TO %I',
                           r.part_name, format('%s_o%s', r.parent_name, p_observation_id));
        END LOOP;
        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                       WHERE attrelid = format('public.%I', part)::regclass AND attname = 'id'
                         AND (attidentity <> '' OR atthasdef)) THEN
            EXECUTE format('ALTER TABLE public.%I ALTER COLUMN id SET DEFAULT nextval(%L::regclass)',
                           part, pg_get_serial_sequence(format('public.%I', parent), 'id'));
        END IF;
        FOR r IN
            SELECT a.privilege_type, a.grantee
            FROM pg_class AS c, aclexplode(c.relacl) AS a
            WHERE c.oid = format('public.%I', parent)::regclass AND a.grantee <> c.relowner
        LOOP
            EXECUTE format('GRANT %s ON TABLE public.%I TO %s', r.privilege_type, part,
                           CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r.grantee)) END);
        END LOOP;
        EXECUTE format('COMMENT ON TABLE public.%I IS %L', part,
                       format('Partition of %s for observation %s (created by lcdb_create_observation_partitions).',
                              parent, p_observation_id));
    END LOOP;
END;
$$;
COMMENT ON FUNCTION public.lcdb_create_observation_partitions(bigint) IS
    'Creates the partitions dataset_o<id>, target_specific_time_o<id> and quality_flag_array_o<id> of an '
    'observation (skipping existing tables), names their keys <constraint>_o<id> and copies the parent''s grants. '
    'SECURITY DEFINER (runs as the schema owner), so writers without DDL rights can insert observations. '
    'A DBA may call it to recreate a dropped partition.';
DROP FUNCTION IF EXISTS public.lcdb_name_partition_indexes(bigint);
DROP FUNCTION IF EXISTS public.lcdb_describe_observation_partitions(bigint);
DROP FUNCTION IF EXISTS public.lcdb_install_array_functions();
DROP FUNCTION IF EXISTS public.lcdb_hand_to_owner();

-- every object of lcdb_owner in this schema back to the role rolling back (a member of lcdb_owner, or superuser)
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT format('ALTER %s public.%I OWNER TO %I',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                     WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname, current_user) AS ddl
        FROM pg_class AS c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND c.relowner = 'lcdb_owner'::regrole
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend AS d
                                               WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                                                 AND d.deptype IN ('a', 'i')))
        UNION ALL
        SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, current_user)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = 'lcdb_owner'::regrole
        UNION ALL
        SELECT format('ALTER TYPE public.%I OWNER TO %I', t.typname, current_user)
        FROM pg_type AS t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd') AND t.typowner = 'lcdb_owner'::regrole
    LOOP
        EXECUTE r.ddl;
    END LOOP;
END;
$$;
REVOKE ALL ON SCHEMA public FROM lcdb_owner;
DO $$
BEGIN
    DROP ROLE lcdb_owner;
EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
    RAISE NOTICE 'role lcdb_owner is still used elsewhere (another database) or may not be dropped; kept';
END;
$$;
