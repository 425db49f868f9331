-- rollback 0010.target_observations
DROP TRIGGER IF EXISTS tg_dataset_target_observation ON public.dataset;
DROP TRIGGER IF EXISTS tg_target_specific_time_target_observation ON public.target_specific_time;
DROP TRIGGER IF EXISTS tg_quality_flag_array_target_observation ON public.quality_flag_array;
DROP FUNCTION IF EXISTS public.lcdb_note_target_observation();
DROP TABLE IF EXISTS public.target_observation;
