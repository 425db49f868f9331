-- rollback 0007.polymorphic_views
DROP VIEW IF EXISTS public.fits_frame_with_subtypes;
DROP VIEW IF EXISTS public.observation_with_subtypes;
