-- rollback 0015.text_columns
DELETE FROM public.release_column WHERE role = 'text';
ALTER TABLE public.release_column DROP CONSTRAINT ck_release_column_text_values;
ALTER TABLE public.release_column DROP CONSTRAINT ck_release_column_dtype;
ALTER TABLE public.release_column ADD CONSTRAINT ck_release_column_dtype CHECK (
    dtype IN ('float32', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64'));
COMMENT ON CONSTRAINT ck_release_column_dtype ON public.release_column IS 'dtype is a NumPy numeric type name (InvalidData).';
ALTER TABLE public.release_column DROP CONSTRAINT ck_release_column_role;
ALTER TABLE public.release_column ADD CONSTRAINT ck_release_column_role
    CHECK (role IN ('time', 'cadence', 'values', 'errors', 'flags'));
COMMENT ON CONSTRAINT ck_release_column_role ON public.release_column IS 'Role is time, cadence, values, errors or flags (InvalidData).';
ALTER TABLE public.release_column DROP COLUMN text_values;
