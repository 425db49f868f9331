-- rollback 0001.core
DROP TABLE IF EXISTS public.processing_group;
DROP TABLE IF EXISTS public.detrending_method;
DROP TABLE IF EXISTS public.photometric_source;
DROP TABLE IF EXISTS public.instrument;
DROP TABLE IF EXISTS public.target_alias;
DROP FUNCTION IF EXISTS public.target_alias_check_catalogs();
DROP TABLE IF EXISTS public.target;
DROP TABLE IF EXISTS public.mission_catalog;
DROP TABLE IF EXISTS public.mission;
