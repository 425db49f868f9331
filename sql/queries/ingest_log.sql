-- The ingest log: every file an ingest tried and what came of it.
-- tables: ingest_log

-- name: record_ingest :exec
-- Record one file's try: added, skipped (same_as_path: where the same bytes came from) or refused (reason).
-- optional: size_bytes, sha256, same_as_path, reason, tic_id, sector, product, release_id
INSERT INTO ingest_log (path, size_bytes, sha256, outcome, same_as_path, reason, tic_id, sector, product,
                        release_id)
VALUES (:path, :size_bytes, :sha256, :outcome, :same_as_path, :reason, :tic_id, :sector, :product, :release_id);

-- name: list_ingest_log :many
-- The newest tries first, at most `limit` of them.
SELECT * FROM ingest_log ORDER BY id DESC LIMIT :limit;
