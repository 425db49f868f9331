-- 0013.packed_arrays: arrays cross the wire as bytea without per-element work: lcdb_packed(anyarray) out,
-- lcdb_unpacked(bytea, anyarray) in.
-- depends: 0012.observation_cleanup

-- PostgreSQL sends a real[]/float8[] result through array_send: one send-function call and a 4-byte length word
-- per element, ~40 ns a value on the server. lcdb_packed returns the stored array itself (header, then the values in
-- the server's byte order): the reads of lightcurvedb select lcdb_packed(col) and the client decodes either form.
-- The storage stays real[]/float8[] (psql shows numbers); only the wire form changes.
--
-- The fast form is the server's own byteasend applied to the array datum (a detoasted copy, no per-element
-- call). A LANGUAGE internal function needs a superuser to create it, and the client decodes the server's byte
-- order only when it is little-endian; otherwise lcdb_packed is array_send itself (the portable wire form, what a
-- plain SELECT sends), so every database answers the same queries, only at different speeds. The way in is the
-- same story: COPY receives an array through array_recv, one receive call per element; where the fast form exists,
-- the bulk writers send packed bytes and lcdb_unpacked validates and reinterprets them (elsewhere they COPY).
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        CREATE FUNCTION public.lcdb_packed(anyarray) RETURNS bytea
            LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'byteasend';
        -- the stored form of '{1}'::int4[] starts with ndim = 1: byte 0 is 1 only on a little-endian server
        IF pg_catalog.get_byte(public.lcdb_packed(ARRAY[1]::int4[]), 0) = 1 THEN
            -- the way in: the same bytes reinterpreted as the array (byteasend copies its argument whatever its
            -- declared type). Only lcdb_unpacked calls it, after checking every header field against the length.
            CREATE FUNCTION public.lcdb_raw_array(bytea, anyarray) RETURNS anyarray
                LANGUAGE internal IMMUTABLE PARALLEL SAFE AS 'byteasend';
            REVOKE ALL ON FUNCTION public.lcdb_raw_array(bytea, anyarray) FROM PUBLIC;
            COMMENT ON FUNCTION public.lcdb_raw_array(bytea, anyarray) IS
                'Internal: bytes reinterpreted as an array of the second argument''s type, unchecked. Callable only '
                'by its owner; writers go through lcdb_unpacked, which validates first.';
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
            RETURN;
        END IF;
        DROP FUNCTION public.lcdb_packed(anyarray);
    END IF;
    CREATE FUNCTION public.lcdb_packed(anyarray) RETURNS bytea
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT pg_catalog.array_send($1)';
END
$$;

COMMENT ON FUNCTION public.lcdb_packed(anyarray) IS
    'An array as bytea for the client, without per-element work: the stored array (a 20-byte header for one '
    'dimension: ndim, data offset, element type, length, lower bound; then the values in little-endian order) '
    'where the migration ran as a superuser on a little-endian server, else array_send (the binary wire form). '
    'lightcurvedb decodes both; psql users select the column itself.';
