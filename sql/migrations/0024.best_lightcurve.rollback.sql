-- rollback 0024.best_lightcurve
SET LOCAL ROLE lcdb_owner;
DROP VIEW IF EXISTS public.lcdb_best_lightcurve;
DROP TABLE IF EXISTS public.best_lightcurve;
DROP TABLE IF EXISTS public.lightcurve_metric;
