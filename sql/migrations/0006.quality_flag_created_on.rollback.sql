-- rollback 0006.quality_flag_created_on
ALTER TABLE public.quality_flag_array DROP CONSTRAINT IF EXISTS ck_quality_flag_array_type_not_blank;
ALTER TABLE public.quality_flag_array DROP COLUMN IF EXISTS created_on;
