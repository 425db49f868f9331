-- 0008.derived_cadences: observations whose cadence grid was derived from the file's times, because the file
-- carries no cadence numbers (TGLC files written by the tglc package have cadence_num = 0 on every row).
-- depends: 0006.quality_flag_created_on 0007.polymorphic_views

CREATE TABLE public.derived_cadence_grid (
    observation_id  bigint           NOT NULL,
    cadence_seconds double precision NOT NULL,
    rule            text             NOT NULL,
    created_on      timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_derived_cadence_grid PRIMARY KEY (observation_id),
    CONSTRAINT fk_derived_cadence_grid_observation FOREIGN KEY (observation_id)
        REFERENCES public.observation (id) ON DELETE CASCADE,
    CONSTRAINT ck_derived_cadence_grid_cadence_positive CHECK (cadence_seconds > 0),
    CONSTRAINT ck_derived_cadence_grid_rule_not_blank CHECK (rule ~ '[^[:space:]]')
);
COMMENT ON TABLE public.derived_cadence_grid IS
    'Observations whose cadence_reference was derived from a file''s times (the file had no cadence numbers), with '
    'the nominal cadence and the rule used; absent for grids read from CADENCENO. Deleted with its observation.';
COMMENT ON COLUMN public.derived_cadence_grid.observation_id IS 'The observation whose grid was derived; ON DELETE CASCADE.';
COMMENT ON COLUMN public.derived_cadence_grid.cadence_seconds IS 'The nominal cadence the times were divided by, in seconds (e.g. 600 for 10-min full-frame images).';
COMMENT ON COLUMN public.derived_cadence_grid.rule IS 'How the cadence numbers were derived, in words (lightcurvedb.tess.fits_reader.DERIVED_CADENCE_RULE).';
COMMENT ON COLUMN public.derived_cadence_grid.created_on IS 'When the row was inserted (server default now()).';
COMMENT ON CONSTRAINT fk_derived_cadence_grid_observation ON public.derived_cadence_grid IS 'Observation must exist (UnknownReference); ON DELETE CASCADE.';
COMMENT ON CONSTRAINT ck_derived_cadence_grid_cadence_positive ON public.derived_cadence_grid IS 'The cadence is positive (InvalidData).';
COMMENT ON CONSTRAINT ck_derived_cadence_grid_rule_not_blank ON public.derived_cadence_grid IS 'The rule is not blank (InvalidData).';

GRANT SELECT ON TABLE public.derived_cadence_grid TO lcdb_reader;
GRANT INSERT, UPDATE, DELETE ON TABLE public.derived_cadence_grid TO lcdb_writer;
