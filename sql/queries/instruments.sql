-- The instrument tree (e.g. TESS -> Camera 1..4 -> CCD 1..4).
-- tables: instrument

-- name: create_instrument :one
-- Insert an instrument under `parent_id` (None for a root) with free-form jsonb properties.
-- optional: parent_id
INSERT INTO instrument (name, properties, parent_id)
VALUES (:name, :properties, :parent_id)
RETURNING *;

-- name: get_instrument :one
-- The instrument with this id.
SELECT * FROM instrument WHERE id = :id;

-- name: get_root_instrument :one
-- The root instrument (no parent) with this name, e.g. 'TESS'.
SELECT * FROM instrument WHERE parent_id IS NULL AND name = :name;

-- name: get_child_instrument :one
-- The child of `parent_id` with this name, e.g. 'Camera 1'.
SELECT * FROM instrument WHERE parent_id = :parent_id AND name = :name;

-- name: list_child_instruments :many
-- The direct children of an instrument, by name.
SELECT * FROM instrument WHERE parent_id = :parent_id ORDER BY name;

-- name: list_instrument_ancestors :many
-- The ancestors of an instrument, nearest first (its parent, grandparent, ... root).
-- record: InstrumentRecord
WITH RECURSIVE up (id, name, properties, parent_id, created_on, depth) AS (
    SELECT i.id, i.name, i.properties, i.parent_id, i.created_on, 0
    FROM instrument AS i WHERE i.id = :id
    UNION ALL
    SELECT p.id, p.name, p.properties, p.parent_id, p.created_on, up.depth + 1
    FROM instrument AS p JOIN up ON p.id = up.parent_id
)
SELECT id, name, properties, parent_id, created_on FROM up WHERE depth > 0 ORDER BY depth;

-- name: list_instrument_tree :many
-- An instrument and its whole subtree with depth and path names (root first, siblings by name).
-- not-null: depth, path
WITH RECURSIVE down (id, name, parent_id, depth, path) AS (
    SELECT i.id, i.name, i.parent_id, 0, ARRAY[i.name]
    FROM instrument AS i WHERE i.id = :id
    UNION ALL
    SELECT c.id, c.name, c.parent_id, d.depth + 1, d.path || c.name
    FROM instrument AS c JOIN down AS d ON c.parent_id = d.id
)
SELECT id, name, parent_id, depth, path FROM down ORDER BY path;
