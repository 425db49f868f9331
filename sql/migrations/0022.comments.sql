-- 0022.comments: COMMENT ON the objects that had none (primary keys, the sky tables' constraints, indexes of
-- foreign keys, triggers), so that every table, column, constraint, index, trigger, view and function explains
-- itself in psql (\d+) and in the generated schema reference; a test keeps it so for every later migration.
-- depends: 0021.concurrent_partitions
SET LOCAL ROLE lcdb_owner;

COMMENT ON CONSTRAINT pk_dataset ON public.dataset IS
    'Primary key (id, observation_id): a partitioned table''s keys include its partition key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_derived_cadence_grid ON public.derived_cadence_grid IS
    'One derivation record per observation (DuplicateKey).';
COMMENT ON CONSTRAINT pk_detrending_method ON public.detrending_method IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_fits_frame ON public.fits_frame IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_hst_observation ON public.hst_observation IS
    'Primary key: the observation the HST row extends (DuplicateKey).';
COMMENT ON CONSTRAINT pk_instrument ON public.instrument IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_mission ON public.mission IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_mission_catalog ON public.mission_catalog IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_observation ON public.observation IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_photometric_source ON public.photometric_source IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_processing_group ON public.processing_group IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_quality_flag_array ON public.quality_flag_array IS
    'Primary key (id, observation_id): a partitioned table''s keys include its partition key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_target ON public.target IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_target_alias ON public.target_alias IS 'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_target_position ON public.target_position IS 'One position per target (DuplicateKey).';
COMMENT ON CONSTRAINT pk_target_position_disagreement ON public.target_position_disagreement IS
    'Primary key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_target_specific_time ON public.target_specific_time IS
    'Primary key (id, observation_id): a partitioned table''s keys include its partition key (DuplicateKey).';
COMMENT ON CONSTRAINT pk_tess_fits_frame ON public.tess_fits_frame IS
    'Primary key: the FITS frame the TESS row extends (DuplicateKey).';
COMMENT ON CONSTRAINT pk_tess_observation ON public.tess_observation IS
    'Primary key: the observation the TESS row extends (DuplicateKey).';
COMMENT ON CONSTRAINT ck_target_position_dec_range ON public.target_position IS
    'Dec in [-90, 90] degrees (InvalidData).';
COMMENT ON CONSTRAINT ck_target_position_healpix_range ON public.target_position IS
    'A HEALPix order-29 nested cell number, 0 to 12 * 4^29 - 1 (InvalidData).';
COMMENT ON CONSTRAINT ck_target_position_origin ON public.target_position IS
    'Where the position came from: ''file'' (a primary header) or ''list'' (a loaded target list) (InvalidData).';
COMMENT ON CONSTRAINT ck_target_position_ra_range ON public.target_position IS 'RA in [0, 360) degrees (InvalidData).';
COMMENT ON CONSTRAINT ck_target_position_source_not_blank ON public.target_position IS
    'The source (file path or list name) is not blank (InvalidData).';
COMMENT ON CONSTRAINT fk_target_position_ingested_file ON public.target_position IS
    'The file the position came from must exist (UnknownReference).';
COMMENT ON CONSTRAINT fk_target_position_target ON public.target_position IS
    'Target must exist (UnknownReference); ON DELETE CASCADE.';
COMMENT ON CONSTRAINT ck_target_position_disagreement_separation_nonnegative ON public.target_position_disagreement IS
    'A separation is not negative (InvalidData).';
COMMENT ON CONSTRAINT fk_target_position_disagreement_ingested_file ON public.target_position_disagreement IS
    'The file that disagreed must exist (UnknownReference).';
COMMENT ON CONSTRAINT fk_target_position_disagreement_target ON public.target_position_disagreement IS
    'Target must exist (UnknownReference); ON DELETE CASCADE.';

COMMENT ON INDEX public.ix_dataset_target IS
    'Datasets of a target (one-target reads through target_observation, cascading deletes of a target).';
COMMENT ON INDEX public.ix_dataset_lineage_parent IS
    'Links by parent dataset (the children of a dataset; cascading deletes of a parent).';
COMMENT ON INDEX public.ix_fits_frame_observation IS
    'FITS frames of an observation (the foreign key fk_fits_frame_observation).';
COMMENT ON INDEX public.ix_instrument_parent IS
    'Children of an instrument (the instrument tree; the foreign key fk_instrument_parent).';
COMMENT ON INDEX public.ix_mission_catalog_host_mission IS
    'Catalogs of a mission (the foreign key fk_mission_catalog_host_mission).';
COMMENT ON INDEX public.ix_observation_instrument IS
    'Observations of an instrument (finding an observation by CCD; refusing to delete an instrument in use).';
COMMENT ON INDEX public.ix_processing_group_detrending_method IS
    'Processing groups of a detrending method (the natural key starts with the photometric source).';
COMMENT ON INDEX public.ix_quality_flag_array_target IS
    'Flag arrays of a target (one-target reads, cascading deletes of a target).';
COMMENT ON INDEX public.ix_target_alias_alias_target IS
    'Aliases by the aliased target (lookups from either side of a pair).';
COMMENT ON INDEX public.ix_target_position_healpix IS
    'Cone searches: the HEALPix order-29 cells of a disc are ranges of this index.';
COMMENT ON INDEX public.ix_target_position_ingested_file IS
    'Positions from a file (the foreign key fk_target_position_ingested_file).';
COMMENT ON INDEX public.ix_target_position_disagreement_ingested_file IS
    'Disagreements of a file (the foreign key fk_target_position_disagreement_ingested_file).';
COMMENT ON INDEX public.ix_target_position_disagreement_target IS
    'Disagreements about a target (the foreign key fk_target_position_disagreement_target).';
COMMENT ON INDEX public.ix_tess_observation_sector IS
    'TESS observations of a sector (lcdb sectors, sector selections of reads and Dask plans).';

COMMENT ON TRIGGER tg_dataset_length_matches_observation ON public.dataset IS
    'Refuses a dataset whose values do not have the observation''s cadence count (dataset_check_length).';
COMMENT ON TRIGGER tg_dataset_target_observation ON public.dataset IS
    'Records (target, observation) in target_observation (lcdb_note_target_observation).';
COMMENT ON TRIGGER tg_dataset_default_refuse ON public.dataset_default IS
    'Refuses every row in the default partition: a row belongs to its observation''s partition.';
COMMENT ON TRIGGER tg_dataset_lineage_acyclic ON public.dataset_lineage IS
    'Refuses a link that would close a cycle (dataset_lineage_check_acyclic, LineageCycle).';
COMMENT ON TRIGGER tg_observation_cadence_count_frozen ON public.observation IS
    'Refuses changing the cadence count of an observation that holds data '
    '(observation_check_cadence_count_frozen).';
COMMENT ON TRIGGER tg_observation_create_partitions ON public.observation IS
    'Creates the new observation''s partitions (observation_create_partitions, '
    'lcdb_create_observation_partitions).';
COMMENT ON TRIGGER tg_quality_flag_array_length_matches_observation ON public.quality_flag_array IS
    'Refuses flags that do not have the observation''s cadence count (quality_flag_array_check_length).';
COMMENT ON TRIGGER tg_quality_flag_array_target_observation ON public.quality_flag_array IS
    'Records (target, observation) in target_observation (lcdb_note_target_observation).';
COMMENT ON TRIGGER tg_quality_flag_array_default_refuse ON public.quality_flag_array_default IS
    'Refuses every row in the default partition: a row belongs to its observation''s partition.';
COMMENT ON TRIGGER tg_target_alias_different_catalogs ON public.target_alias IS
    'Refuses an alias between targets of the same catalog (target_alias_check_catalogs).';
COMMENT ON TRIGGER tg_target_specific_time_length_matches_observation ON public.target_specific_time IS
    'Refuses times that do not have the observation''s cadence count (target_specific_time_check_length).';
COMMENT ON TRIGGER tg_target_specific_time_target_observation ON public.target_specific_time IS
    'Records (target, observation) in target_observation (lcdb_note_target_observation).';
COMMENT ON TRIGGER tg_target_specific_time_default_refuse ON public.target_specific_time_default IS
    'Refuses every row in the default partition: a row belongs to its observation''s partition.';
COMMENT ON TRIGGER tg_tess_observation_describe_partitions ON public.tess_observation IS
    'Comments the observation''s partitions with its sector (tess_observation_describe_partitions).';
