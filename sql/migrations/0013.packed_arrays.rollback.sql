-- rollback 0013.packed_arrays
DROP FUNCTION IF EXISTS public.lcdb_packed(anyarray);
