-- 0010.target_observations: which observations hold data of each target, kept by the database itself, so that a
-- one-target read names its observations (observation_id = ANY(...)) and the planner touches only their
-- partitions, however many observations the database holds.
-- depends: 0009.products_releases

CREATE TABLE public.target_observation (
    target_id      bigint      NOT NULL,
    observation_id bigint      NOT NULL,
    created_on     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_target_observation PRIMARY KEY (target_id, observation_id),
    CONSTRAINT fk_target_observation_target FOREIGN KEY (target_id)
        REFERENCES public.target (id) ON DELETE CASCADE,
    CONSTRAINT fk_target_observation_observation FOREIGN KEY (observation_id)
        REFERENCES public.observation (id) ON DELETE CASCADE
);
CREATE INDEX ix_target_observation_observation ON public.target_observation (observation_id);
COMMENT ON TABLE public.target_observation IS
    'The observations holding data (datasets, times or own flags) of each target: written by triggers on the data '
    'tables (never by hand), deleted with the target or the observation. One-target reads look the observations up '
    'here and restrict the data tables to them, so that only those partitions are planned and locked. A pair may '
    'outlive its data (after deleting rows): a read then finds nothing there.';
COMMENT ON COLUMN public.target_observation.target_id IS 'The target (ON DELETE CASCADE).';
COMMENT ON COLUMN public.target_observation.observation_id IS 'An observation holding its data (ON DELETE CASCADE).';
COMMENT ON COLUMN public.target_observation.created_on IS 'When the first data row of the pair was written.';
COMMENT ON CONSTRAINT pk_target_observation ON public.target_observation IS 'One row per (target, observation).';
COMMENT ON CONSTRAINT fk_target_observation_target ON public.target_observation IS 'Target must exist; ON DELETE CASCADE.';
COMMENT ON CONSTRAINT fk_target_observation_observation ON public.target_observation IS 'Observation must exist; ON DELETE CASCADE.';
COMMENT ON INDEX public.ix_target_observation_observation IS 'Targets of an observation (cascading deletes).';

CREATE FUNCTION public.lcdb_note_target_observation() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NEW.target_id IS NOT NULL THEN
        INSERT INTO public.target_observation (target_id, observation_id)
        VALUES (NEW.target_id, NEW.observation_id)
        ON CONFLICT ON CONSTRAINT pk_target_observation DO NOTHING;
    END IF;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION public.lcdb_note_target_observation() IS
    'Trigger (AFTER INSERT/UPDATE on the data tables, every partition): records (target, observation) in '
    'target_observation. SECURITY DEFINER: writers need no privilege on target_observation.';
REVOKE ALL ON FUNCTION public.lcdb_note_target_observation() FROM PUBLIC;
CREATE TRIGGER tg_dataset_target_observation
    AFTER INSERT OR UPDATE OF target_id, observation_id ON public.dataset
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_note_target_observation();
CREATE TRIGGER tg_target_specific_time_target_observation
    AFTER INSERT OR UPDATE OF target_id, observation_id ON public.target_specific_time
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_note_target_observation();
CREATE TRIGGER tg_quality_flag_array_target_observation
    AFTER INSERT OR UPDATE OF target_id, observation_id ON public.quality_flag_array
    FOR EACH ROW EXECUTE FUNCTION public.lcdb_note_target_observation();

INSERT INTO public.target_observation (target_id, observation_id)
SELECT target_id, observation_id FROM public.dataset
UNION SELECT target_id, observation_id FROM public.target_specific_time
UNION SELECT target_id, observation_id FROM public.quality_flag_array WHERE target_id IS NOT NULL;

GRANT SELECT ON TABLE public.target_observation TO lcdb_reader;
