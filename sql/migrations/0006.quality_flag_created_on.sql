-- 0006.quality_flag_created_on: quality_flag_array gets the seed's created_on; a flag type is never blank.
-- depends: 0005.input_checks

-- Adding a column with a constant-at-statement-time default to the partitioned parent adds it to every
-- partition; existing rows get the migration's now().
ALTER TABLE public.quality_flag_array ADD COLUMN created_on timestamptz NOT NULL DEFAULT now();
COMMENT ON COLUMN public.quality_flag_array.created_on IS
    'When the row was inserted (server default now(); rows older than migration 0006 carry its time).';

ALTER TABLE public.quality_flag_array
    ADD CONSTRAINT ck_quality_flag_array_type_not_blank CHECK (type ~ '[^[:space:]]');
COMMENT ON CONSTRAINT ck_quality_flag_array_type_not_blank ON public.quality_flag_array IS
    'Quality-flag types are not blank: at least one non-space character (InvalidValue).';
