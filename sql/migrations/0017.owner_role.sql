-- 0017.owner_role: a NOLOGIN owner role lcdb_owner owns every object (SECURITY DEFINER functions included, never a
-- superuser); the optional fast array functions are (re)installed by one function, by capability; partitions say
-- what they hold and their indexes are named <parent index>_o<observation id>; target_alias.target_id is indexed.
-- The migrating role needs CREATEROLE and ADMIN OPTION on lcdb_owner (automatic when it creates the role; see
-- sql/roles.sql), or to be a superuser; every later migration runs as lcdb_owner (SET LOCAL ROLE).
-- depends: 0016.periodogram_results

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'lcdb_owner') THEN
        BEGIN
            CREATE ROLE lcdb_owner NOLOGIN;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN
                NULL;  -- created concurrently by another database's migration
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'role lcdb_owner does not exist and "%" may not create it', current_user
                    USING ERRCODE = 'insufficient_privilege',
                          HINT = 'Create the roles first as a role with CREATEROLE (sql/roles.sql), then '
                                 'GRANT lcdb_owner TO the migrating role WITH ADMIN OPTION.';
        END;
    END IF;
    IF NOT pg_has_role(current_user, 'lcdb_owner', 'USAGE') THEN
        BEGIN
            EXECUTE format('GRANT lcdb_owner TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION '"%" is not a member of lcdb_owner and may not grant it to itself', current_user
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'As its creator or a superuser: GRANT lcdb_owner TO the migrating role WITH ADMIN OPTION.';
        END;
    END IF;
END;
$$;
COMMENT ON ROLE lcdb_owner IS
    'lightcurvedb schema owner (NOLOGIN group role): owns every table, partition, view, sequence and function, so '
    'SECURITY DEFINER functions run as it, never as a superuser. Grant it only to the roles that run lcdb migrate.';
GRANT USAGE, CREATE ON SCHEMA public TO lcdb_owner;

-- ---------------------------------------------------------------------------------------------------------
CREATE FUNCTION public.lcdb_hand_to_owner() RETURNS integer
    LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT format('ALTER %s public.%I OWNER TO lcdb_owner',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                     WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname) AS ddl
        FROM pg_class AS c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND c.relowner <> 'lcdb_owner'::regrole
          AND pg_has_role(current_user, c.relowner, 'USAGE')
          -- a sequence owned by a table column follows its table
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend AS d
                                               WHERE d.objid = c.oid AND d.classid = 'pg_class'::regclass
                                                 AND d.deptype IN ('a', 'i')))
        UNION ALL
        SELECT format('ALTER ROUTINE %s OWNER TO lcdb_owner', p.oid::regprocedure)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> 'lcdb_owner'::regrole
          AND pg_has_role(current_user, p.proowner, 'USAGE')
        UNION ALL
        SELECT format('ALTER TYPE public.%I OWNER TO lcdb_owner', t.typname)
        FROM pg_type AS t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
          AND t.typowner <> 'lcdb_owner'::regrole AND pg_has_role(current_user, t.typowner, 'USAGE')
    LOOP
        EXECUTE r.ddl;
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION public.lcdb_hand_to_owner() IS
    'Makes lcdb_owner the owner of every table, partition, view, sequence, function and type of schema public that '
    'the calling role may hand over (it owns them or is a superuser); returns how many it changed. lcdb migrate '
    'calls it after a restore with --no-owner (objects then belong to the restoring role).';
REVOKE ALL ON FUNCTION public.lcdb_hand_to_owner() FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------------
-- The fast array functions (0013) need a superuser to create: one function installs what the calling role can,
-- at migration and whenever lcdb migrate finds them missing (a restore by an ordinary role cannot create them).
CREATE FUNCTION public.lcdb_install_array_functions() RETURNS text
    LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    fast boolean := (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
BEGIN
    DROP FUNCTION IF EXISTS public.lcdb_unpacked(bytea, anyarray);
    DROP FUNCTION IF EXISTS public.lcdb_raw_array(bytea, anyarray);
    DROP FUNCTION IF EXISTS public.lcdb_packed(anyarray);
    IF fast THEN
        CREATE FUNCTION public.lcdb_packed(anyarray) RETURNS bytea
            LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'byteasend';
        -- the stored form of '{1}'::int4[] starts with ndim = 1: byte 0 is 1 only on a little-endian server
        IF pg_catalog.get_byte(public.lcdb_packed(ARRAY[1]::int4[]), 0) <> 1 THEN
            DROP FUNCTION public.lcdb_packed(anyarray);
            fast := false;
        END IF;
    END IF;
    IF NOT fast THEN
        CREATE FUNCTION public.lcdb_packed(anyarray) RETURNS bytea
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT pg_catalog.array_send($1)';
    ELSE
        CREATE FUNCTION public.lcdb_raw_array(bytea, anyarray) RETURNS anyarray
            LANGUAGE internal IMMUTABLE PARALLEL SAFE AS 'byteasend';
        REVOKE ALL ON FUNCTION public.lcdb_raw_array(bytea, anyarray) FROM PUBLIC;
        COMMENT ON FUNCTION public.lcdb_raw_array(bytea, anyarray) IS
            'Internal: bytes reinterpreted as an array of the second argument''s type, unchecked. Callable only by '
            'its owner (lcdb_owner); writers go through lcdb_unpacked, which validates first.';
        CREATE FUNCTION public.lcdb_unpacked(packed bytea, witness anyarray) RETURNS anyarray
            LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp AS $f$
        DECLARE
            element bigint;
            width   integer;
            size    integer := length(packed);
        BEGIN
            IF packed IS NULL THEN
                RETURN NULL;
            END IF;
            CASE pg_typeof(witness)
                WHEN 'real[]'::regtype THEN element := 700; width := 4;
                WHEN 'double precision[]'::regtype THEN element := 701; width := 8;
                WHEN 'smallint[]'::regtype THEN element := 21; width := 2;
                WHEN 'integer[]'::regtype THEN element := 23; width := 4;
                WHEN 'bigint[]'::regtype THEN element := 20; width := 8;
                ELSE RAISE EXCEPTION 'lcdb_unpacked: no packed form for %', pg_typeof(witness)
                    USING ERRCODE = 'datatype_mismatch';
            END CASE;
            -- little-endian int32 fields: ndim, data offset (0: no NULL bitmap), element type, length, lower bound
            IF NOT (size = 12 AND get_byte(packed, 0) | get_byte(packed, 1) | get_byte(packed, 2)
                                  | get_byte(packed, 3) | get_byte(packed, 4) | get_byte(packed, 5)
                                  | get_byte(packed, 6) | get_byte(packed, 7) = 0
                    AND get_byte(packed, 8) + (get_byte(packed, 9) << 8) + (get_byte(packed, 10) << 16)
                        + (get_byte(packed, 11)::bigint << 24) = element)
               AND NOT (size >= 20 AND (size - 20) % width = 0
                    AND substring(packed FROM 1 FOR 8) = '\x0100000000000000'::bytea
                    AND get_byte(packed, 8) + (get_byte(packed, 9) << 8) + (get_byte(packed, 10) << 16)
                        + (get_byte(packed, 11)::bigint << 24) = element
                    AND get_byte(packed, 12) + (get_byte(packed, 13) << 8) + (get_byte(packed, 14) << 16)
                        + (get_byte(packed, 15)::bigint << 24) = (size - 20) / width
                    AND substring(packed FROM 17 FOR 4) = '\x01000000'::bytea) THEN
                RAISE EXCEPTION 'malformed packed % value (% bytes)', pg_typeof(witness), size
                    USING ERRCODE = 'invalid_binary_representation';
            END IF;
            RETURN public.lcdb_raw_array(packed, witness);
        END
        $f$;
        REVOKE ALL ON FUNCTION public.lcdb_unpacked(bytea, anyarray) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION public.lcdb_unpacked(bytea, anyarray) TO lcdb_writer;
        COMMENT ON FUNCTION public.lcdb_unpacked(bytea, anyarray) IS
            'The way in for the bulk writers: a 1-D array of real, double precision, smallint, integer or bigint '
            '(the type of witness, e.g. NULL::real[]) from its packed bytes (lcdb_packed''s fast form: the header, '
            'then the values little-endian), checked field by field against the length before the bytes become '
            'the array. No per-element work. Only where lcdb_packed has its fast form.';
    END IF;
    COMMENT ON FUNCTION public.lcdb_packed(anyarray) IS
        'An array as bytea for the client, without per-element work: the stored array (a 20-byte header for one '
        'dimension: ndim, data offset, element type, length, lower bound; then the values in little-endian order) '
        'where a superuser installed it on a little-endian server (lcdb_install_array_functions), else array_send '
        '(the binary wire form). lightcurvedb decodes both; psql users select the column itself.';
    IF pg_has_role(current_user, 'lcdb_owner', 'USAGE') THEN
        PERFORM public.lcdb_hand_to_owner();
    END IF;
    RETURN CASE WHEN fast THEN 'fast' ELSE 'portable' END;
END;
$$;
COMMENT ON FUNCTION public.lcdb_install_array_functions() IS
    '(Re)creates the array functions by what the calling role can: lcdb_packed, lcdb_raw_array and lcdb_unpacked '
    'in their fast form (LANGUAGE internal: a superuser on a little-endian server), else the portable lcdb_packed '
    '(array_send; the writers then COPY). Returns ''fast'' or ''portable''. lcdb migrate calls it when lcdb_packed is '
    'missing or lcdb_unpacked has lost lcdb_raw_array (after pg_restore by an ordinary role).';
REVOKE ALL ON FUNCTION public.lcdb_install_array_functions() FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------------------
-- Partitions say what they hold; every partition index is named <parent index>_o<observation id>.
CREATE FUNCTION public.lcdb_describe_observation_partitions(p_observation_id bigint) RETURNS void
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
REVOKE ALL ON FUNCTION public.lcdb_describe_observation_partitions(bigint) FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_describe_observation_partitions(bigint) IS
    'Comments the partitions of an observation with what they hold: TESS sector, camera, CCD, instrument, cadence '
    'count. Called when the partitions are created and when the observation''s TESS row is written (SECURITY '
    'DEFINER: the partitions belong to lcdb_owner).';

CREATE FUNCTION public.tess_observation_describe_partitions() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    PERFORM public.lcdb_describe_observation_partitions(NEW.id);
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION public.tess_observation_describe_partitions() FROM PUBLIC;
COMMENT ON FUNCTION public.tess_observation_describe_partitions() IS
    'Trigger: after a TESS observation row is written, its partitions'' comments name the sector '
    '(lcdb_describe_observation_partitions).';
CREATE TRIGGER tg_tess_observation_describe_partitions
    AFTER INSERT OR UPDATE OF sector ON public.tess_observation
    FOR EACH ROW EXECUTE FUNCTION public.tess_observation_describe_partitions();

CREATE FUNCTION public.lcdb_name_partition_indexes(p_observation_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT ci.relname AS part_name, pi.relname AS parent_name
        FROM pg_inherits AS h
        JOIN pg_class AS ci ON ci.oid = h.inhrelid
        JOIN pg_class AS pi ON pi.oid = h.inhparent
        JOIN pg_index AS x ON x.indexrelid = ci.oid
        JOIN pg_class AS t ON t.oid = x.indrelid
        WHERE ci.relkind = 'i' AND t.relnamespace = 'public'::regnamespace
          AND t.relname IN (format('dataset_o%s', p_observation_id), format('target_specific_time_o%s', p_observation_id),
                            format('quality_flag_array_o%s', p_observation_id))
          AND ci.relname <> format('%s_o%s', pi.relname, p_observation_id)
    LOOP
        EXECUTE format('ALTER INDEX public.%I RENAME TO %I', r.part_name, format('%s_o%s', r.parent_name, p_observation_id));
    END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION public.lcdb_name_partition_indexes(bigint) FROM PUBLIC;
COMMENT ON FUNCTION public.lcdb_name_partition_indexes(bigint) IS
    'Renames every index of an observation''s partitions <parent index>_o<observation id> (pk_dataset_o5, '
    'ix_dataset_target_o5, ...): one pattern, and errors name the parent constraint.';

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

-- partitions that exist already
DO $$
DECLARE
    oid_ bigint;
BEGIN
    FOR oid_ IN SELECT id FROM public.observation ORDER BY id LOOP
        PERFORM public.lcdb_name_partition_indexes(oid_);
        PERFORM public.lcdb_describe_observation_partitions(oid_);
    END LOOP;
END;
$$;

-- ---------------------------------------------------------------------------------------------------------
CREATE INDEX ix_target_alias_target ON public.target_alias (target_id);
COMMENT ON INDEX public.ix_target_alias_target IS
    'Aliases of a target (the foreign key fk_target_alias_target: deleting a target finds its aliases by index).';

-- every object of the schema to lcdb_owner (yoyo's bookkeeping tables included: later migrations run as it)
DO $$
BEGIN
    PERFORM public.lcdb_hand_to_owner();
END;
$$;
