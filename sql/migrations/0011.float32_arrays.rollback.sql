-- rollback 0011.float32_arrays: float32 arrays are widened back to float8 (exact: every float32 is a float64).
UPDATE public.dataset SET "values" = values_f4::double precision[], values_f4 = NULL WHERE values_f4 IS NOT NULL;
UPDATE public.dataset SET errors = errors_f4::double precision[], errors_f4 = NULL WHERE errors_f4 IS NOT NULL;
DROP TRIGGER tg_dataset_length_matches_observation ON public.dataset;
ALTER TABLE public.dataset
    DROP CONSTRAINT ck_dataset_errors_length,
    DROP CONSTRAINT ck_dataset_values_one_precision,
    DROP CONSTRAINT ck_dataset_errors_one_precision,
    DROP CONSTRAINT ck_dataset_values_f4_shape,
    DROP CONSTRAINT ck_dataset_errors_f4_shape,
    DROP COLUMN values_f4,
    DROP COLUMN errors_f4,
    ALTER COLUMN "values" SET NOT NULL,
    ALTER COLUMN errors SET NOT NULL,
    ADD CONSTRAINT ck_dataset_errors_length CHECK (cardinality(errors) = cardinality("values"));
COMMENT ON CONSTRAINT ck_dataset_errors_length ON public.dataset IS 'errors has as many elements as values (ArrayLengthMismatch).';
CREATE OR REPLACE FUNCTION public.dataset_check_length() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    SELECT cadence_count INTO n FROM public.observation WHERE id = NEW.observation_id;
    IF n IS NOT NULL AND cardinality(NEW."values") <> n THEN
        RAISE EXCEPTION 'dataset values has % elements but observation % has % cadences',
                cardinality(NEW."values"), NEW.observation_id, n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_dataset_length_matches_observation',
                  TABLE = 'dataset', SCHEMA = 'public';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER tg_dataset_length_matches_observation
    BEFORE INSERT OR UPDATE OF "values", observation_id ON public.dataset
    FOR EACH ROW EXECUTE FUNCTION public.dataset_check_length();
COMMENT ON COLUMN public.dataset."values" IS 'Measured values (e.g. flux), one per cadence of the observation; 1-D, no NULL elements (NaN allowed). Stored uncompressed out of line (STORAGE EXTERNAL).';
COMMENT ON COLUMN public.dataset.errors IS 'Uncertainties of values, same length; 1-D, no NULL elements (NaN allowed). STORAGE EXTERNAL.';
