-- 0015.text_columns: a file's text columns (e.g. CDIPS's IRQ1..3 quality letters) are stored with its layout, so a
-- release's file can be rebuilt column for column (lightcurvedb.tess.to_lightkurve hands it to lightkurve's reader).
-- depends: 0014.sky

ALTER TABLE public.release_column ADD COLUMN text_values text[];
COMMENT ON COLUMN public.release_column.text_values IS
    'The values of a text column (role text), one per row of the file, as the file wrote them (trailing blanks '
    'removed, as FITS readers do); NULL for every other role, whose values live in the data tables.';

ALTER TABLE public.release_column DROP CONSTRAINT ck_release_column_role;
ALTER TABLE public.release_column ADD CONSTRAINT ck_release_column_role
    CHECK (role IN ('time', 'cadence', 'values', 'errors', 'flags', 'text'));
COMMENT ON CONSTRAINT ck_release_column_role ON public.release_column IS
    'Role is time, cadence, values, errors, flags or text (InvalidData).';

ALTER TABLE public.release_column DROP CONSTRAINT ck_release_column_dtype;
ALTER TABLE public.release_column ADD CONSTRAINT ck_release_column_dtype CHECK (
    dtype IN ('float32', 'float64', 'int8', 'uint8', 'int16', 'int32', 'int64') OR dtype ~ '^S[1-9][0-9]*$');
COMMENT ON CONSTRAINT ck_release_column_dtype ON public.release_column IS
    'dtype is a NumPy numeric type name, or S<width> for a fixed-width text column (InvalidData).';

ALTER TABLE public.release_column ADD CONSTRAINT ck_release_column_text_values CHECK (
    (role = 'text') = (text_values IS NOT NULL) AND (role <> 'text' OR dtype ~ '^S[1-9][0-9]*$'));
COMMENT ON CONSTRAINT ck_release_column_text_values ON public.release_column IS
    'A text column, and only a text column, carries its values, with an S<width> dtype (InvalidData).';
