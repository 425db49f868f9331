-- Target aliases (symmetric links across catalogs) and dataset lineage (a DAG of "derived from").
-- tables: target_alias, dataset_lineage

-- name: create_target_alias :one
-- Link two targets of different catalogs as the same object (stored once whichever order).
INSERT INTO target_alias (target_id, alias_target_id) VALUES (:target_id, :alias_target_id) RETURNING *;

-- name: list_target_aliases :many
-- The targets linked to a target (either column of the pair), with their catalog names.
SELECT t.id, t.name, c.name AS catalog_name
FROM target_alias AS a
JOIN target AS t ON t.id = CASE WHEN a.target_id = :target_id THEN a.alias_target_id ELSE a.target_id END
JOIN mission_catalog AS c ON c.id = t.catalog_id
WHERE a.target_id = :target_id OR a.alias_target_id = :target_id
ORDER BY c.name, t.name;

-- name: add_lineage :exec
-- Record that dataset `child_id` was derived from dataset `parent_id` (a cycle is refused).
INSERT INTO dataset_lineage (child_dataset_id, child_observation_id, parent_dataset_id, parent_observation_id)
VALUES (:child_id, :child_observation_id, :parent_id, :parent_observation_id);

-- name: list_dataset_parents :many
-- The datasets a dataset was directly derived from.
SELECT parent_dataset_id AS dataset_id, parent_observation_id AS observation_id
FROM dataset_lineage
WHERE child_dataset_id = :dataset_id AND child_observation_id = :observation_id
ORDER BY 1, 2;

-- name: list_dataset_ancestors :many
-- Every dataset a dataset derives from, transitively, with the shortest distance (1 = parent).
-- not-null: dataset_id, observation_id, distance
WITH RECURSIVE anc (dataset_id, observation_id, distance) AS (
    SELECT parent_dataset_id, parent_observation_id, 1
    FROM dataset_lineage
    WHERE child_dataset_id = :dataset_id AND child_observation_id = :observation_id
    UNION
    SELECT l.parent_dataset_id, l.parent_observation_id, anc.distance + 1
    FROM dataset_lineage AS l
    JOIN anc ON l.child_dataset_id = anc.dataset_id AND l.child_observation_id = anc.observation_id
)
SELECT dataset_id, observation_id, min(distance) AS distance
FROM anc GROUP BY dataset_id, observation_id ORDER BY 3, 1, 2;
