-- 0011.float32_arrays: a dataset's values and errors are stored at their own precision: float32 data as real[]
-- (4 bytes a value) in values_f4 / errors_f4, float64 data as float8[] in values / errors (never narrowed). Each
-- row has exactly one of each pair; the writer picks by the array's dtype. Times stay float8.
-- depends: 0010.target_observations

ALTER TABLE public.dataset
    ADD COLUMN values_f4 real[],
    ADD COLUMN errors_f4 real[],
    ALTER COLUMN "values" DROP NOT NULL,
    ALTER COLUMN errors DROP NOT NULL,
    DROP CONSTRAINT ck_dataset_errors_length,
    ADD CONSTRAINT ck_dataset_values_one_precision CHECK (num_nonnulls("values", values_f4) = 1),
    ADD CONSTRAINT ck_dataset_errors_one_precision CHECK (num_nonnulls(errors, errors_f4) = 1),
    ADD CONSTRAINT ck_dataset_values_f4_shape CHECK (
        array_ndims(values_f4) = 1 AND array_lower(values_f4, 1) = 1 AND array_position(values_f4, NULL) IS NULL),
    ADD CONSTRAINT ck_dataset_errors_f4_shape CHECK (
        array_ndims(errors_f4) = 1 AND array_lower(errors_f4, 1) = 1 AND array_position(errors_f4, NULL) IS NULL),
    ADD CONSTRAINT ck_dataset_errors_length CHECK (
        coalesce(cardinality(errors), cardinality(errors_f4)) = coalesce(cardinality("values"), cardinality(values_f4)));
ALTER TABLE public.dataset ALTER COLUMN values_f4 SET STORAGE EXTERNAL;
ALTER TABLE public.dataset ALTER COLUMN errors_f4 SET STORAGE EXTERNAL;
COMMENT ON COLUMN public.dataset."values" IS 'The values at float64 precision (NULL when stored as float32 in values_f4): one per cadence of the observation''s grid, NaN where missing.';
COMMENT ON COLUMN public.dataset.errors IS 'The uncertainties at float64 precision (NULL when stored as float32 in errors_f4), aligned with the values; NaN where unknown.';
COMMENT ON COLUMN public.dataset.values_f4 IS 'The values at float32 precision (real[], 4 bytes a value) when the data was float32 (e.g. a FITS E column); else NULL and values holds them.';
COMMENT ON COLUMN public.dataset.errors_f4 IS 'The uncertainties at float32 precision when they were float32; else NULL and errors holds them.';
COMMENT ON CONSTRAINT ck_dataset_values_one_precision ON public.dataset IS 'Exactly one of values (float8) and values_f4 (real) is set (InvalidData).';
COMMENT ON CONSTRAINT ck_dataset_errors_one_precision ON public.dataset IS 'Exactly one of errors (float8) and errors_f4 (real) is set (InvalidData).';
COMMENT ON CONSTRAINT ck_dataset_values_f4_shape ON public.dataset IS 'values_f4 is 1-D (lower bound 1) without NULL elements (InvalidData).';
COMMENT ON CONSTRAINT ck_dataset_errors_f4_shape ON public.dataset IS 'errors_f4 is 1-D (lower bound 1) without NULL elements (InvalidData).';
COMMENT ON CONSTRAINT ck_dataset_errors_length ON public.dataset IS 'The errors have as many elements as the values, whatever their precisions (InvalidData).';

CREATE OR REPLACE FUNCTION public.dataset_check_length() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    n integer;
    m integer := coalesce(cardinality(NEW."values"), cardinality(NEW.values_f4));
BEGIN
    SELECT cadence_count INTO n FROM public.observation WHERE id = NEW.observation_id;
    IF n IS NOT NULL AND m <> n THEN
        RAISE EXCEPTION 'dataset values has % elements but observation % has % cadences', m, NEW.observation_id, n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_dataset_length_matches_observation',
                  TABLE = 'dataset', SCHEMA = 'public';
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER tg_dataset_length_matches_observation ON public.dataset;
CREATE TRIGGER tg_dataset_length_matches_observation
    BEFORE INSERT OR UPDATE OF "values", values_f4, observation_id ON public.dataset
    FOR EACH ROW EXECUTE FUNCTION public.dataset_check_length();
