-- rollback 0008.derived_cadences
DROP TABLE IF EXISTS public.derived_cadence_grid;
