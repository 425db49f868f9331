-- rollback 0009.products_releases
-- Refused while two releases of the same data exist: without release_id they would collide (and one be lost).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM public.release
               GROUP BY product_id, target_id, observation_id HAVING count(*) > 1) THEN
        RAISE EXCEPTION 'cannot roll back 0009.products_releases: some lightcurves have several releases; delete '
                        'the releases to drop first (lcdb releases TIC lists them)'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END;
$$;

DROP INDEX IF EXISTS public.ix_dataset_release;
DROP INDEX IF EXISTS public.ix_target_specific_time_release;
DROP INDEX IF EXISTS public.ix_quality_flag_array_release;
ALTER TABLE public.quality_flag_array
    DROP CONSTRAINT IF EXISTS ck_quality_flag_array_release_needs_target,
    DROP CONSTRAINT IF EXISTS fk_quality_flag_array_release,
    DROP CONSTRAINT IF EXISTS uq_quality_flag_array_type_observation_target;
ALTER TABLE public.target_specific_time
    DROP CONSTRAINT IF EXISTS fk_target_specific_time_release,
    DROP CONSTRAINT IF EXISTS uq_target_specific_time_target_observation;
ALTER TABLE public.dataset
    DROP CONSTRAINT IF EXISTS fk_dataset_release,
    DROP CONSTRAINT IF EXISTS uq_dataset_group_target_observation;
ALTER TABLE public.quality_flag_array DROP COLUMN IF EXISTS release_id;
ALTER TABLE public.target_specific_time DROP COLUMN IF EXISTS release_id;
ALTER TABLE public.dataset DROP COLUMN IF EXISTS release_id;
ALTER TABLE public.dataset
    ADD CONSTRAINT uq_dataset_group_target_observation UNIQUE (processing_group_id, target_id, observation_id);
ALTER TABLE public.target_specific_time
    ADD CONSTRAINT uq_target_specific_time_target_observation UNIQUE (target_id, observation_id);
ALTER TABLE public.quality_flag_array
    ADD CONSTRAINT uq_quality_flag_array_type_observation_target
        UNIQUE NULLS NOT DISTINCT (type, observation_id, target_id);
SELECT public.lcdb_name_partition_keys();
DROP FUNCTION public.lcdb_name_partition_keys();
COMMENT ON CONSTRAINT uq_dataset_group_target_observation ON public.dataset IS 'One dataset per (processing group, target, observation): re-ingesting does not duplicate (DuplicateDataset).';
COMMENT ON CONSTRAINT uq_target_specific_time_target_observation ON public.target_specific_time IS 'One time array per (target, observation) (DuplicateTargetTime).';
COMMENT ON CONSTRAINT uq_quality_flag_array_type_observation_target ON public.quality_flag_array IS 'One flag array per (type, observation, target); NULL targets count as equal (DuplicateQualityFlags).';
-- Detached partitions (a DBA keeping an observation aside) hold their own copies of the release foreign keys.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.conname, c.conrelid::regclass AS rel FROM pg_constraint AS c
        WHERE c.confrelid = to_regclass('public.release') AND c.conrelid NOT IN (
            to_regclass('public.ingested_file'), to_regclass('public.release_column'))
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.rel, r.conname);
    END LOOP;
END;
$$;
DROP TABLE IF EXISTS public.release_column;
DROP TABLE IF EXISTS public.ingested_file;
DROP TABLE IF EXISTS public.release;
DROP TABLE IF EXISTS public.product;
