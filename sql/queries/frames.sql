-- FITS frame header facts (polymorphic by "type": the TESS extension adds camera, CCD and times).
-- tables: fits_frame, tess_fits_frame

-- name: create_tess_fits_frame :one
-- Insert a TESS FITS frame: the base row (type 'tess_fits_frame') and its tess_fits_frame row.
-- optional: file_path, start_tjd, mid_tjd, end_tjd, exposure_time, quality_bit
-- record: TessFitsFrameRecord
WITH base AS (
    INSERT INTO fits_frame (type, observation_id, cadence, simple, bitpix, naxis, naxis_values, extended,
                            bscale, bzero, file_path)
    VALUES ('tess_fits_frame', :observation_id, :cadence, :simple, :bitpix, :naxis, :naxis_values, :extended,
            :bscale, :bzero, :file_path)
    RETURNING *
), ext AS (
    INSERT INTO tess_fits_frame (id, camera, ccd, start_tjd, mid_tjd, end_tjd, exposure_time, quality_bit)
    SELECT base.id, :camera, :ccd, :start_tjd, :mid_tjd, :end_tjd, :exposure_time, :quality_bit FROM base
    RETURNING *
)
SELECT base.id, base.type, base.observation_id, base.cadence, base.simple, base.bitpix, base.naxis,
       base.naxis_values, base.extended, base.bscale, base.bzero, base.file_path, base.created_on,
       ext.camera, ext.ccd, ext.start_tjd, ext.mid_tjd, ext.end_tjd, ext.exposure_time, ext.quality_bit
FROM base JOIN ext ON ext.id = base.id;

-- name: list_frames_of_observation :many
-- The FITS frames of an observation by cadence, each as the record of its subtype.
-- polymorphic: fits_frame
SELECT * FROM fits_frame_with_subtypes WHERE observation_id = :observation_id ORDER BY cadence, type;

-- name: count_frames_of_observation :scalar
-- How many FITS frames an observation has.
-- not-null: frames
SELECT count(*) AS frames FROM fits_frame WHERE observation_id = :observation_id;
