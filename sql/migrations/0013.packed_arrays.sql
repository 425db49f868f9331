-- 0013.packed_arrays: lcdb_packed(anyarray) hands an array to the client as bytea without per-element work.
-- depends: 0012.observation_cleanup

-- PostgreSQL sends a real[]/float8[] result through array_send: one send-function call and a 4-byte length word
-- per element, ~40 ns a value on the server. lcdb_packed returns the stored array itself (header, then the values in
-- the server's byte order): the reads of lightcurvedb select lcdb_packed(col) and the client decodes either form.
-- The storage stays real[]/float8[] (psql shows numbers); only the wire form changes.
--
-- The fast form is the server's own byteasend applied to the array datum (a detoasted copy, no per-element
-- call). A LANGUAGE internal function needs a superuser to create it, and the client decodes the server's byte
-- order only when it is little-endian; otherwise lcdb_packed is array_send itself (the portable wire form, what a
-- plain SELECT sends), so every database answers the same queries, only at different speeds.
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        CREATE FUNCTION public.lcdb_packed(anyarray) RETURNS bytea
            LANGUAGE internal IMMUTABLE STRICT PARALLEL SAFE AS 'byteasend';
        -- the stored form of '{1}'::int4[] starts with ndim = 1: byte 0 is 1 only on a little-endian server
        IF pg_catalog.get_byte(public.lcdb_packed(ARRAY[1]::int4[]), 0) = 1 THEN
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
