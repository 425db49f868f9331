-- Targets, named by their number in a catalog (e.g. TIC 261136679).
-- tables: target

-- name: create_target :one
-- Insert a target of a catalog.
INSERT INTO target (catalog_id, name) VALUES (:catalog_id, :name) RETURNING *;

-- name: get_or_create_target :one
-- The target (catalog, number), inserted first if missing (idempotent).
-- record: TargetRecord
-- DO UPDATE (a no-op on a non-key column, so it does not block datasets referencing the target) instead of
-- DO NOTHING + SELECT: it waits for a concurrent inserter and returns its row; a SELECT in the same statement
-- could not see a row committed after the statement's snapshot, and two racing pipelines got NotFound.
INSERT INTO target (catalog_id, name) VALUES (:catalog_id, :name)
ON CONFLICT ON CONSTRAINT uq_target_catalog_name DO UPDATE SET created_on = target.created_on
RETURNING *;

-- name: get_target :one
-- The target with this id.
SELECT * FROM target WHERE id = :id;

-- name: get_target_by_name :one
-- The target with this number in a catalog given by name (e.g. 'TIC', 261136679).
SELECT t.*
FROM target AS t
JOIN mission_catalog AS c ON c.id = t.catalog_id
WHERE c.name = :catalog_name AND t.name = :name;

-- name: find_target_id :scalar
-- The id of the target (catalog id, number); NotFound if missing.
SELECT id FROM target WHERE catalog_id = :catalog_id AND name = :name;

-- name: count_targets_of_catalog :scalar
-- How many targets a catalog has.
-- not-null: count
SELECT count(*) AS count FROM target WHERE catalog_id = :catalog_id;

-- name: list_targets_of_catalog :iter
-- Every target of a catalog by number, streamed.
SELECT * FROM target WHERE catalog_id = :catalog_id ORDER BY name;

-- name: get_or_create_targets :many
-- The targets of a catalog with these numbers, inserted first where missing (`created`), one row per distinct
-- number. A number a concurrent writer inserts meanwhile may be missing from the result: call again for it.
-- not-null: id, name, created
WITH wanted AS (SELECT DISTINCT unnest(:names::int8[]) AS name),
made AS (
    INSERT INTO target (catalog_id, name)
    SELECT :catalog_id::uuid, name FROM wanted
    ON CONFLICT ON CONSTRAINT uq_target_catalog_name DO NOTHING
    RETURNING id, name
)
SELECT id, name, true AS created FROM made
UNION ALL
SELECT t.id, t.name, false AS created
FROM target AS t JOIN wanted AS w ON w.name = t.name
WHERE t.catalog_id = :catalog_id::uuid AND NOT EXISTS (SELECT 1 FROM made WHERE made.name = t.name);
