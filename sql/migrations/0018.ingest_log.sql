-- 0018.ingest_log: every file an ingest tried, with what came of it (added, skipped as the same bytes as an
-- ingested file, or refused with the one-line reason); and the clean-up of an observation a failed ingest created.
-- depends: 0017.owner_role
SET LOCAL ROLE lcdb_owner;

CREATE TABLE public.ingest_log (
    id            bigint      GENERATED ALWAYS AS IDENTITY,
    tried_on      timestamptz NOT NULL DEFAULT now(),
    role          text        NOT NULL DEFAULT session_user,
    path          text        NOT NULL,
    size_bytes    bigint,
    sha256        text,
    outcome       text        NOT NULL,
    same_as_path  text,
    reason        text,
    tic_id        bigint,
    sector        integer,
    product       text,
    release_id    bigint,
    CONSTRAINT pk_ingest_log PRIMARY KEY (id),
    CONSTRAINT ck_ingest_log_outcome CHECK (outcome IN ('added', 'skipped', 'refused')),
    CONSTRAINT ck_ingest_log_reason CHECK ((outcome = 'refused') = (reason IS NOT NULL)),
    CONSTRAINT ck_ingest_log_same_as_path CHECK ((outcome = 'skipped') = (same_as_path IS NOT NULL)),
    CONSTRAINT ck_ingest_log_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    CONSTRAINT ck_ingest_log_size_nonnegative CHECK (size_bytes >= 0),
    CONSTRAINT fk_ingest_log_release FOREIGN KEY (release_id) REFERENCES public.release (id) ON DELETE SET NULL
);
CREATE INDEX ix_ingest_log_tried_on ON public.ingest_log (tried_on);
CREATE INDEX ix_ingest_log_sha256 ON public.ingest_log (sha256);
CREATE INDEX ix_ingest_log_release ON public.ingest_log (release_id);
COMMENT ON TABLE public.ingest_log IS
    'Every file an ingest tried, one row per try: added (a new release), skipped (the same bytes were ingested '
    'before, from same_as_path) or refused (reason: the one-line error; nothing else was written). Kept when a '
    'release is deleted (release_id becomes NULL): the history of what was tried.';
COMMENT ON COLUMN public.ingest_log.id IS 'Surrogate key, in the order of the tries.';
COMMENT ON COLUMN public.ingest_log.tried_on IS 'When the outcome was recorded (server time).';
COMMENT ON COLUMN public.ingest_log.role IS 'The login that ran the ingest (session_user).';
COMMENT ON COLUMN public.ingest_log.path IS 'The file as the ingest was given it, made absolute.';
COMMENT ON COLUMN public.ingest_log.size_bytes IS 'The file''s size in bytes; NULL when it could not be read.';
COMMENT ON COLUMN public.ingest_log.sha256 IS 'SHA-256 of the file''s bytes, lower-case hex; NULL when it could not be read.';
COMMENT ON COLUMN public.ingest_log.outcome IS 'added, skipped or refused.';
COMMENT ON COLUMN public.ingest_log.same_as_path IS 'Skipped only: the path the same bytes were ingested from.';
COMMENT ON COLUMN public.ingest_log.reason IS 'Refused only: why, in one line (the error the command printed).';
COMMENT ON COLUMN public.ingest_log.tic_id IS 'The TIC the file is of, when it could be read.';
COMMENT ON COLUMN public.ingest_log.sector IS 'The TESS sector of the file, when it could be read.';
COMMENT ON COLUMN public.ingest_log.product IS 'The product the file was recognised as, when it could be read.';
COMMENT ON COLUMN public.ingest_log.release_id IS 'The release the file produced (added) or is (skipped); NULL once that release is deleted.';
COMMENT ON CONSTRAINT pk_ingest_log ON public.ingest_log IS 'One row per try.';
COMMENT ON CONSTRAINT ck_ingest_log_outcome ON public.ingest_log IS 'outcome is added, skipped or refused (InvalidData).';
COMMENT ON CONSTRAINT ck_ingest_log_reason ON public.ingest_log IS 'A refused file has a reason, and only a refused one (InvalidData).';
COMMENT ON CONSTRAINT ck_ingest_log_same_as_path ON public.ingest_log IS 'A skipped file names the path of the same bytes, and only a skipped one (InvalidData).';
COMMENT ON CONSTRAINT ck_ingest_log_sha256_hex ON public.ingest_log IS 'sha256 is 64 lower-case hex digits (InvalidData).';
COMMENT ON CONSTRAINT ck_ingest_log_size_nonnegative ON public.ingest_log IS 'A size is not negative (InvalidData).';
COMMENT ON CONSTRAINT fk_ingest_log_release ON public.ingest_log IS 'The release the file produced; kept as NULL when the release is deleted.';
COMMENT ON INDEX public.ix_ingest_log_tried_on IS 'The ingest history by time.';
COMMENT ON INDEX public.ix_ingest_log_sha256 IS 'Every try of the same bytes.';
COMMENT ON INDEX public.ix_ingest_log_release IS 'The tries of a release (the foreign key: deleting a release finds them by index).';
GRANT SELECT ON TABLE public.ingest_log TO lcdb_reader;
GRANT INSERT ON TABLE public.ingest_log TO lcdb_writer;

-- A failed ingest that created an observation removes it again, unless another ingest has used it meanwhile.
CREATE FUNCTION public.lcdb_delete_unused_observation(p_id bigint) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT has_table_privilege(session_user, 'public.observation', 'DELETE') THEN
        RAISE EXCEPTION 'permission denied to delete observation %', p_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- FOR UPDATE waits for any transaction that references the row (a concurrent ingest writing into it holds a
    -- KEY SHARE lock until it commits); the checks below then see what it committed
    PERFORM 1 FROM public.observation WHERE id = p_id FOR UPDATE;
    IF NOT FOUND
       OR EXISTS (SELECT 1 FROM public.release WHERE observation_id = p_id)
       OR EXISTS (SELECT 1 FROM public.dataset WHERE observation_id = p_id)
       OR EXISTS (SELECT 1 FROM public.target_specific_time WHERE observation_id = p_id)
       OR EXISTS (SELECT 1 FROM public.quality_flag_array WHERE observation_id = p_id)
       OR EXISTS (SELECT 1 FROM public.fits_frame WHERE observation_id = p_id) THEN
        RETURN 0;
    END IF;
    RETURN public.lcdb_delete_observation(p_id);
END;
$$;
COMMENT ON FUNCTION public.lcdb_delete_unused_observation(bigint) IS
    'Deletes an observation with its (empty) partitions when nothing refers to it: no release, data or frame. '
    'An ingest that created the observation and then failed calls it, so that a refused file leaves nothing '
    'behind. Returns 1, or 0 when the observation is in use or gone. Needs DELETE on observation (a writer).';
REVOKE ALL ON FUNCTION public.lcdb_delete_unused_observation(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.lcdb_delete_unused_observation(bigint) TO lcdb_writer;
