-- 0007.polymorphic_views: one view per polymorphic base table joining it with every extension table, so that a
-- polymorphic read is written once (here) instead of in every query. The extension columns are named
-- <extension table>__<column>; <extension table>__id is NULL when the row has no extension row of that table.
-- Generated code (codegen, "-- polymorphic:" queries) reads these views and builds the subtype record named by
-- "type". A migration that adds an extension table recreates the view of its base table with the new columns.
-- depends: 0005.input_checks

CREATE VIEW public.observation_with_subtypes AS
SELECT o.id, o.type, o.instrument_id, o.cadence_reference, o.cadence_count, o.created_on,
       h.id AS hst_observation__id, h.visit_id AS hst_observation__visit_id,
       h.program_id AS hst_observation__program_id, h.filter_name AS hst_observation__filter_name,
       h.exposure_time AS hst_observation__exposure_time,
       t.id AS tess_observation__id, t.sector AS tess_observation__sector,
       t.orbit_number AS tess_observation__orbit_number,
       t.spacecraft_quaternion AS tess_observation__spacecraft_quaternion,
       t.cosmic_ray_mitigation AS tess_observation__cosmic_ray_mitigation
FROM public.observation AS o
LEFT JOIN public.hst_observation AS h ON h.id = o.id AND h.type = o.type
LEFT JOIN public.tess_observation AS t ON t.id = o.id AND t.type = o.type;
COMMENT ON VIEW public.observation_with_subtypes IS
    'Every observation with the columns of each extension table (LEFT JOINs on (id, type); read-only): the one '
    'polymorphic read of observation. Extension columns are named <extension table>__<column> and are NULL unless '
    '"type" names that extension and its row exists.';
COMMENT ON COLUMN public.observation_with_subtypes.id IS 'Observation id.';
COMMENT ON COLUMN public.observation_with_subtypes.type IS 'Subtype discriminator: ''base_observation'' or the extension table holding the row''s mission columns.';
COMMENT ON COLUMN public.observation_with_subtypes.instrument_id IS 'The instrument (leaf of the tree, e.g. a CCD).';
COMMENT ON COLUMN public.observation_with_subtypes.cadence_reference IS 'The cadence grid: strictly increasing cadence numbers.';
COMMENT ON COLUMN public.observation_with_subtypes.cadence_count IS 'Number of cadences (cardinality of cadence_reference).';
COMMENT ON COLUMN public.observation_with_subtypes.created_on IS 'When the observation was inserted.';
COMMENT ON COLUMN public.observation_with_subtypes.hst_observation__id IS 'hst_observation.id: the observation id when it has an HST extension row, else NULL.';
COMMENT ON COLUMN public.observation_with_subtypes.hst_observation__visit_id IS 'hst_observation.visit_id: HST visit identifier.';
COMMENT ON COLUMN public.observation_with_subtypes.hst_observation__program_id IS 'hst_observation.program_id: HST proposal/program number.';
COMMENT ON COLUMN public.observation_with_subtypes.hst_observation__filter_name IS 'hst_observation.filter_name: filter used.';
COMMENT ON COLUMN public.observation_with_subtypes.hst_observation__exposure_time IS 'hst_observation.exposure_time: exposure time in seconds.';
COMMENT ON COLUMN public.observation_with_subtypes.tess_observation__id IS 'tess_observation.id: the observation id when it has a TESS extension row, else NULL.';
COMMENT ON COLUMN public.observation_with_subtypes.tess_observation__sector IS 'tess_observation.sector: TESS sector number.';
COMMENT ON COLUMN public.observation_with_subtypes.tess_observation__orbit_number IS 'tess_observation.orbit_number: spacecraft orbit number.';
COMMENT ON COLUMN public.observation_with_subtypes.tess_observation__spacecraft_quaternion IS 'tess_observation.spacecraft_quaternion: spacecraft attitude quaternions.';
COMMENT ON COLUMN public.observation_with_subtypes.tess_observation__cosmic_ray_mitigation IS 'tess_observation.cosmic_ray_mitigation: whether cosmic-ray mitigation was applied.';

CREATE VIEW public.fits_frame_with_subtypes AS
SELECT f.id, f.type, f.observation_id, f.cadence, f.simple, f.bitpix, f.naxis, f.naxis_values, f.extended,
       f.bscale, f.bzero, f.file_path, f.created_on,
       t.id AS tess_fits_frame__id, t.camera AS tess_fits_frame__camera, t.ccd AS tess_fits_frame__ccd,
       t.start_tjd AS tess_fits_frame__start_tjd, t.mid_tjd AS tess_fits_frame__mid_tjd,
       t.end_tjd AS tess_fits_frame__end_tjd, t.exposure_time AS tess_fits_frame__exposure_time,
       t.quality_bit AS tess_fits_frame__quality_bit
FROM public.fits_frame AS f
LEFT JOIN public.tess_fits_frame AS t ON t.id = f.id AND t.type = f.type;
COMMENT ON VIEW public.fits_frame_with_subtypes IS
    'Every FITS frame with the columns of each extension table (LEFT JOINs on (id, type); read-only): the one '
    'polymorphic read of fits_frame. Extension columns are named <extension table>__<column> and are NULL unless '
    '"type" names that extension and its row exists.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.id IS 'Frame id.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.type IS 'Subtype discriminator: ''base_fits_frame'' or an extension table name.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.observation_id IS 'The observation the frame belongs to.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.cadence IS 'Cadence number of the frame.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.simple IS 'FITS SIMPLE keyword.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.bitpix IS 'FITS BITPIX keyword.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.naxis IS 'FITS NAXIS keyword.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.naxis_values IS 'FITS NAXISn values.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.extended IS 'FITS EXTEND keyword.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.bscale IS 'FITS BSCALE keyword.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.bzero IS 'FITS BZERO keyword.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.file_path IS 'Path of the FITS file the header was read from, if known.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.created_on IS 'When the frame was inserted.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__id IS 'tess_fits_frame.id: the frame id when it has a TESS extension row, else NULL.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__camera IS 'tess_fits_frame.camera: TESS camera (1-4).';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__ccd IS 'tess_fits_frame.ccd: TESS CCD of the camera (1-4).';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__start_tjd IS 'tess_fits_frame.start_tjd: frame start time (BTJD days).';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__mid_tjd IS 'tess_fits_frame.mid_tjd: frame mid time (BTJD days).';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__end_tjd IS 'tess_fits_frame.end_tjd: frame end time (BTJD days).';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__exposure_time IS 'tess_fits_frame.exposure_time: exposure time in days.';
COMMENT ON COLUMN public.fits_frame_with_subtypes.tess_fits_frame__quality_bit IS 'tess_fits_frame.quality_bit: frame quality bitmask.';

-- quality_flag_array has no extension table yet: no view (the migration adding the first one creates it).

GRANT SELECT ON public.observation_with_subtypes, public.fits_frame_with_subtypes TO lcdb_reader;
