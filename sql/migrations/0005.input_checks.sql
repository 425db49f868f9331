-- 0005.input_checks: catalog numbers are positive (TIC ids start at 1) and names are not blank.
-- depends: 0004.roles

ALTER TABLE public.target ADD CONSTRAINT ck_target_name_positive CHECK (name > 0);
COMMENT ON CONSTRAINT ck_target_name_positive ON public.target IS
    'Catalog numbers are positive (InvalidValue).';

ALTER TABLE public.mission ADD CONSTRAINT ck_mission_name_not_blank CHECK (name ~ '[^[:space:]]');
COMMENT ON CONSTRAINT ck_mission_name_not_blank ON public.mission IS 'Mission names are not blank: at least one non-space character (InvalidValue).';
ALTER TABLE public.mission_catalog ADD CONSTRAINT ck_mission_catalog_name_not_blank CHECK (name ~ '[^[:space:]]');
COMMENT ON CONSTRAINT ck_mission_catalog_name_not_blank ON public.mission_catalog IS
    'Catalog names are not blank: at least one non-space character (InvalidValue).';
ALTER TABLE public.instrument ADD CONSTRAINT ck_instrument_name_not_blank CHECK (name ~ '[^[:space:]]');
COMMENT ON CONSTRAINT ck_instrument_name_not_blank ON public.instrument IS
    'Instrument names are not blank: at least one non-space character (InvalidValue).';
ALTER TABLE public.photometric_source ADD CONSTRAINT ck_photometric_source_name_not_blank CHECK (name ~ '[^[:space:]]');
COMMENT ON CONSTRAINT ck_photometric_source_name_not_blank ON public.photometric_source IS
    'Photometric source names are not blank: at least one non-space character (InvalidValue).';
ALTER TABLE public.detrending_method ADD CONSTRAINT ck_detrending_method_name_not_blank CHECK (name ~ '[^[:space:]]');
COMMENT ON CONSTRAINT ck_detrending_method_name_not_blank ON public.detrending_method IS
    'Detrending method names are not blank: at least one non-space character (InvalidValue).';
ALTER TABLE public.processing_group ADD CONSTRAINT ck_processing_group_name_not_blank CHECK (name ~ '[^[:space:]]');
COMMENT ON CONSTRAINT ck_processing_group_name_not_blank ON public.processing_group IS
    'Processing group names are not blank: at least one non-space character (InvalidValue).';
