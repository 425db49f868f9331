-- rollback 0002.observation
DROP TRIGGER IF EXISTS trg_detrending_method_refuse_delete_in_use ON public.detrending_method;
DROP TRIGGER IF EXISTS trg_photometric_source_refuse_delete_in_use ON public.photometric_source;
DROP TRIGGER IF EXISTS trg_instrument_refuse_delete_in_use ON public.instrument;
DROP FUNCTION IF EXISTS public.lcdb_refuse_delete_in_use();
DROP VIEW IF EXISTS public.tess_fits_frame_view;
DROP TABLE IF EXISTS public.tess_fits_frame;
DROP TABLE IF EXISTS public.fits_frame;
DROP VIEW IF EXISTS public.hst_observation_view;
DROP TABLE IF EXISTS public.hst_observation;
DROP VIEW IF EXISTS public.tess_observation_view;
DROP TABLE IF EXISTS public.tess_observation;
DROP TABLE IF EXISTS public.observation;
DROP FUNCTION IF EXISTS public.lcdb_is_strictly_increasing(bigint[]);
