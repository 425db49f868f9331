-- rollback 0013.packed_arrays
DROP FUNCTION IF EXISTS public.lcdb_unpacked(bytea, anyarray);
DROP FUNCTION IF EXISTS public.lcdb_raw_array(bytea, anyarray);
DROP FUNCTION IF EXISTS public.lcdb_packed(anyarray);
