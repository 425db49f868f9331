-- rollback 0005.input_checks
ALTER TABLE public.processing_group DROP CONSTRAINT IF EXISTS ck_processing_group_name_not_blank;
ALTER TABLE public.detrending_method DROP CONSTRAINT IF EXISTS ck_detrending_method_name_not_blank;
ALTER TABLE public.photometric_source DROP CONSTRAINT IF EXISTS ck_photometric_source_name_not_blank;
ALTER TABLE public.instrument DROP CONSTRAINT IF EXISTS ck_instrument_name_not_blank;
ALTER TABLE public.mission_catalog DROP CONSTRAINT IF EXISTS ck_mission_catalog_name_not_blank;
ALTER TABLE public.mission DROP CONSTRAINT IF EXISTS ck_mission_name_not_blank;
ALTER TABLE public.target DROP CONSTRAINT IF EXISTS ck_target_name_positive;
