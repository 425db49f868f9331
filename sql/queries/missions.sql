-- Missions (with their time systems) and the target catalogs they host.
-- tables: mission, mission_catalog

-- name: create_mission :one
-- Insert a mission with its time system; returns the stored row (server-set id and created_on).
-- optional: description
INSERT INTO mission (name, description, time_unit, time_epoch, time_epoch_scale, time_epoch_format,
                     time_format_name)
VALUES (:name, :description, :time_unit, :time_epoch, :time_epoch_scale, :time_epoch_format, :time_format_name)
RETURNING *;

-- name: get_mission_by_name :one
-- The mission with this unique name.
SELECT * FROM mission WHERE name = :name;

-- name: find_mission_by_time_format :opt
-- The mission whose astropy time format is `time_format_name`, if any.
SELECT * FROM mission WHERE time_format_name = :time_format_name;

-- name: list_missions :many
-- Every mission, by name.
SELECT * FROM mission ORDER BY name;

-- name: create_catalog :one
-- Insert a catalog hosted by a mission.
-- optional: description
INSERT INTO mission_catalog (host_mission_id, name, description)
VALUES (:host_mission_id, :name, :description)
RETURNING *;

-- name: get_catalog_by_name :one
-- The catalog with this unique name (e.g. 'TIC').
SELECT * FROM mission_catalog WHERE name = :name;

-- name: list_catalogs_of_mission :many
-- The catalogs a mission hosts, by name.
SELECT * FROM mission_catalog WHERE host_mission_id = :mission_id ORDER BY name;

-- name: delete_mission :execrows
-- Delete a mission by name (its catalogs and their targets go with it); returns 0 or 1.
DELETE FROM mission WHERE name = :name;
