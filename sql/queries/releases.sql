-- Products, releases, the registry of ingested files and the layout of each release's file.
-- tables: product, release, ingested_file, release_column

-- name: list_products :many
-- Every product, by name.
SELECT * FROM product ORDER BY name;

-- name: get_product_by_name :one
-- The product of a canonical name.
SELECT * FROM product WHERE name = :name;

-- name: find_ingested_file :opt
-- The file with these bytes (sha256), with the release, product and TIC target it produced, if ingested.
-- not-null: product_name, number, target_name
SELECT f.id, f.path, f.sha256, f.release_id, r.number, p.name AS product_name, tg.name AS target_name,
       f.ingested_on
FROM ingested_file AS f
JOIN release AS r ON r.id = f.release_id
JOIN product AS p ON p.id = r.product_id
JOIN target AS tg ON tg.id = r.target_id
WHERE f.sha256 = :sha256;

-- name: list_tess_releases :many
-- The releases of a product's lightcurve of a target in a TESS sector, oldest first.
-- not-null: sector
SELECT r.*, t.sector
FROM release AS r
JOIN tess_observation AS t ON t.id = r.observation_id
WHERE r.product_id = :product_id AND r.target_id = :target_id AND t.sector = :sector
ORDER BY r.number;

-- name: reserve_release_id :scalar
-- A new release id, taken before the release row is written (an ingest writes its arrays first, under the
-- deferred release foreign keys, and the release row last).
-- not-null: id
SELECT nextval(pg_get_serial_sequence('public.release', 'id')) AS id;

-- name: create_release :one
-- Insert a release of a product's lightcurve of a target in an observation, under an id from reserve_release_id.
INSERT INTO release (id, product_id, target_id, observation_id, number)
VALUES (:id, :product_id, :target_id, :observation_id, :number)
RETURNING *;

-- name: delete_release :scalar
-- Delete a release and exactly its data (datasets, times, flags, file record, layout cascade); an observation
-- left with nothing goes too, with its partitions (lcdb_delete_release). 1, or 0 if there is no such release.
-- not-null: deleted
SELECT public.lcdb_delete_release(:id) AS deleted;

-- name: create_ingested_file :one
-- Record an ingested file and the release it produced.
-- optional: origin, procver, data_rel, file_date
INSERT INTO ingested_file (release_id, path, size_bytes, sha256, origin, procver, data_rel, file_date,
                           primary_header, table_header)
VALUES (:release_id, :path, :size_bytes, :sha256, :origin, :procver, :data_rel, :file_date,
        :primary_header, :table_header)
RETURNING *;

-- name: create_release_columns :execrows
-- Record the layout of a release's file: one row per column (parallel arrays; a position or processing group
-- id of 0 means none: header-derived columns have no position, only values/errors columns have a group).
INSERT INTO release_column (release_id, name, position, role, processing_group_id, flag_type, dtype, unit,
                            header_keyword, value_offset)
SELECT :release_id, c.name, nullif(c.position, 0), c.role, nullif(c.processing_group_id, 0), c.flag_type,
       c.dtype, c.unit, c.header_keyword, c.value_offset
FROM unnest(:names::text[], :positions::int4[], :roles::text[], :processing_group_ids::int8[],
            :flag_types::text[], :dtypes::text[], :units::text[], :header_keywords::text[],
            :value_offsets::float8[])
     AS c(name, position, role, processing_group_id, flag_type, dtype, unit, header_keyword, value_offset);

-- name: create_release_text_column :execrows
-- Record a text column of a release's file with its values (role text; e.g. CDIPS's IRQ quality letters).
-- optional: unit
INSERT INTO release_column (release_id, name, position, role, dtype, unit, text_values)
VALUES (:release_id, :name, :position, 'text', :dtype, :unit, :text_values::text[]);

-- name: list_releases_of_target :many
-- Every release of a target with its product, TESS sector, camera and CCD, and the file it came from (None for
-- data stored before files were recorded), by sector, product and number.
-- nullable: camera, ccd, path, size_bytes, sha256, origin, procver, data_rel, file_date, ingested_on
-- not-null: product_name, sector, cadence_count
SELECT r.id, r.number, r.observation_id, r.created_on, p.name AS product_name, t.sector,
       (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd,
       o.cadence_count, f.path, f.size_bytes, f.sha256, f.origin, f.procver, f.data_rel, f.file_date,
       f.ingested_on
FROM release AS r
JOIN product AS p ON p.id = r.product_id
JOIN observation AS o ON o.id = r.observation_id
JOIN tess_observation AS t ON t.id = o.id AND t.type = o.type
JOIN instrument AS i ON i.id = o.instrument_id
LEFT JOIN ingested_file AS f ON f.release_id = r.id
WHERE r.target_id = :target_id
ORDER BY t.sector, p.name, r.number;

-- name: list_ingested_files_of_releases :many
-- The files the given releases came from, headers included (releases stored before files were recorded have none).
SELECT * FROM ingested_file WHERE release_id = ANY(:release_ids::int8[]) ORDER BY release_id;

-- name: list_release_columns :many
-- The file layouts of the given releases, in file order (header-derived columns last).
-- nullable: processing_group_name
SELECT c.*, g.name AS processing_group_name
FROM release_column AS c
LEFT JOIN processing_group AS g ON g.id = c.processing_group_id
WHERE c.release_id = ANY(:release_ids::int8[])
ORDER BY c.release_id, c.position NULLS LAST, c.name;
