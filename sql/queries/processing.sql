-- Photometric sources, detrending methods and the processing groups pairing them.
-- tables: photometric_source, detrending_method, processing_group

-- name: get_or_create_photometric_source :one
-- The photometric source with this name, inserted first if missing.
-- record: PhotometricSourceRecord
-- DO UPDATE (a no-op on a non-key column) instead of DO NOTHING + SELECT: it waits for a concurrent
-- inserter and returns its row, where a SELECT in the same statement could not see it yet.
INSERT INTO photometric_source (name) VALUES (:name)
ON CONFLICT ON CONSTRAINT uq_photometric_source_name DO UPDATE SET name = photometric_source.name
RETURNING *;

-- name: get_or_create_detrending_method :one
-- The detrending method with this name, inserted first if missing.
-- record: DetrendingMethodRecord
INSERT INTO detrending_method (name) VALUES (:name)
ON CONFLICT ON CONSTRAINT uq_detrending_method_name DO UPDATE SET name = detrending_method.name
RETURNING *;

-- name: create_processing_group :one
-- Insert a processing group for a (photometric source, detrending method) pair.
-- optional: description
INSERT INTO processing_group (name, description, photometric_source_id, detrending_method_id)
VALUES (:name, :description, :photometric_source_id, :detrending_method_id)
RETURNING *;

-- name: get_or_create_processing_group :one
-- The processing group of (source name, method name), creating the source, method and group if missing.
-- record: ProcessingGroupRecord
WITH src AS (
    INSERT INTO photometric_source (name) VALUES (:source_name)
    ON CONFLICT ON CONSTRAINT uq_photometric_source_name DO UPDATE SET name = EXCLUDED.name
    RETURNING id
), met AS (
    INSERT INTO detrending_method (name) VALUES (:method_name)
    ON CONFLICT ON CONSTRAINT uq_detrending_method_name DO UPDATE SET name = EXCLUDED.name
    RETURNING id
)
INSERT INTO processing_group (name, photometric_source_id, detrending_method_id)
SELECT :name, src.id, met.id FROM src, met
ON CONFLICT ON CONSTRAINT uq_processing_group_source_method DO UPDATE SET name = processing_group.name
RETURNING *;

-- name: get_processing_group_by_names :opt
-- The processing group of (source name, method name), if it exists.
SELECT g.*
FROM processing_group AS g
JOIN photometric_source AS s ON s.id = g.photometric_source_id
JOIN detrending_method AS m ON m.id = g.detrending_method_id
WHERE s.name = :source_name AND m.name = :method_name;

-- name: list_processing_groups :many
-- Every processing group with its source and method names.
SELECT g.id, g.name, s.name AS source_name, m.name AS method_name
FROM processing_group AS g
JOIN photometric_source AS s ON s.id = g.photometric_source_id
JOIN detrending_method AS m ON m.id = g.detrending_method_id
ORDER BY g.name, g.id;
