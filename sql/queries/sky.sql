-- The sky: target positions (HEALPix-indexed), cone searches, what is held for a position.
-- tables: target_position, target_position_disagreement

-- name: cone_search :many
-- Targets within `radius` degrees of (ra, dec), nearest first: the HEALPix ranges [lo, hi) covering the cone
-- (lightcurvedb.sky computes them) are scanned in ix_target_position_healpix, then the exact separation (Vincenty,
-- as astropy's) is checked. With the sectors the database holds for each, and the products of their releases.
-- The TIC, sectors and products are looked up per row found (subqueries): a join would let the planner, which
-- cannot size a join on ranges, hash the whole target table.
-- optional: tmag_max, limit, exclude_target_id
-- not-null: tic, separation_arcsec, sectors, products
SELECT p.target_id, (SELECT tg.name FROM target AS tg WHERE tg.id = p.target_id) AS tic, p.ra, p.dec,
       s.separation * 3600.0 AS separation_arcsec, p.tessmag,
       ARRAY(SELECT DISTINCT t.sector FROM target_observation AS o
             JOIN tess_observation AS t ON t.id = o.observation_id
             WHERE o.target_id = p.target_id ORDER BY 1) AS sectors,
       ARRAY(SELECT DISTINCT pr.name FROM release AS r JOIN product AS pr ON pr.id = r.product_id
             WHERE r.target_id = p.target_id ORDER BY 1) AS products
FROM unnest(:lo::int8[], :hi::int8[]) AS cell(lo, hi)
JOIN target_position AS p ON p.healpix >= cell.lo AND p.healpix < cell.hi
CROSS JOIN LATERAL (
    SELECT degrees(atan2(
        sqrt((cos(radians(p.dec)) * sin(radians(p.ra - :ra::float8))) ^ 2
             + (cos(radians(:dec::float8)) * sin(radians(p.dec))
                - sin(radians(:dec::float8)) * cos(radians(p.dec)) * cos(radians(p.ra - :ra::float8))) ^ 2),
        sin(radians(:dec::float8)) * sin(radians(p.dec))
            + cos(radians(:dec::float8)) * cos(radians(p.dec)) * cos(radians(p.ra - :ra::float8)))) AS separation
) AS s
WHERE s.separation <= :radius::float8
  AND (:tmag_max::float8 IS NULL OR p.tessmag <= :tmag_max::float8)
  AND p.target_id IS DISTINCT FROM :exclude_target_id::int8
ORDER BY separation_arcsec, tic
LIMIT :limit::int8;

-- name: get_position_of_target :opt
-- A target's kept position and parameters, locked for update (the ingest compares a file's values with it).
SELECT * FROM target_position WHERE target_id = :target_id FOR UPDATE;

-- name: find_position_by_name :opt
-- The target of a catalog number (e.g. 'TIC', 261136679) and its position, if it has one.
-- nullable: ra, dec, tessmag
SELECT t.id AS target_id, p.ra, p.dec, p.tessmag
FROM target AS t
JOIN mission_catalog AS c ON c.id = t.catalog_id
LEFT JOIN target_position AS p ON p.target_id = t.id
WHERE c.name = :catalog_name AND t.name = :name;

-- name: upsert_target_position :exec
-- Set a target's kept position and parameters from a file's header (HEALPix cell computed by the caller).
-- optional: pmra, pmdec, equinox, tessmag, teff, logg, radius, ticver, ingested_file_id
INSERT INTO target_position (target_id, ra, dec, healpix, pmra, pmdec, equinox, tessmag, teff, logg, radius, ticver,
                             ingested_file_id, origin, source)
VALUES (:target_id, :ra, :dec, :healpix, :pmra, :pmdec, :equinox, :tessmag, :teff, :logg, :radius, :ticver,
        :ingested_file_id, 'file', :source)
ON CONFLICT ON CONSTRAINT pk_target_position DO UPDATE
SET ra = EXCLUDED.ra, dec = EXCLUDED.dec, healpix = EXCLUDED.healpix, pmra = EXCLUDED.pmra,
    pmdec = EXCLUDED.pmdec, equinox = EXCLUDED.equinox, tessmag = EXCLUDED.tessmag, teff = EXCLUDED.teff,
    logg = EXCLUDED.logg, radius = EXCLUDED.radius, ticver = EXCLUDED.ticver,
    ingested_file_id = EXCLUDED.ingested_file_id, origin = 'file', source = EXCLUDED.source, updated_on = now();

-- name: create_position_disagreement :exec
-- Record values for a target that differ from the kept ones (and which were kept).
-- optional: ingested_file_id, ticver, tessmag, kept_ticver
INSERT INTO target_position_disagreement (target_id, ingested_file_id, source, ticver, ra, dec, tessmag,
                                          kept_source, kept_ticver, separation_arcsec)
VALUES (:target_id, :ingested_file_id, :source, :ticver, :ra, :dec, :tessmag, :kept_source, :kept_ticver,
        :separation_arcsec);

-- name: list_position_disagreements :many
-- The values files gave for a target that were not kept, oldest first.
SELECT * FROM target_position_disagreement WHERE target_id = :target_id ORDER BY noted_on, id;

-- name: upsert_listed_positions :execrows
-- Positions of a loaded target list (parallel arrays, one element per target): set where the target has no
-- position or one from an earlier list; a position that came from a file is kept. Returns how many were set.
-- A missing Tmag is NaN, a missing TICVER ''.
INSERT INTO target_position AS tp (target_id, ra, dec, healpix, tessmag, ticver, origin, source)
SELECT u.target_id, u.ra, u.dec, u.healpix, nullif(u.tessmag, 'NaN'::float8), nullif(u.ticver, ''), 'list', :source
FROM unnest(:target_ids::int8[], :ras::float8[], :decs::float8[], :healpixes::int8[], :tessmags::float8[],
            :ticvers::text[]) AS u(target_id, ra, dec, healpix, tessmag, ticver)
ON CONFLICT ON CONSTRAINT pk_target_position DO UPDATE
SET ra = EXCLUDED.ra, dec = EXCLUDED.dec, healpix = EXCLUDED.healpix, tessmag = EXCLUDED.tessmag,
    ticver = EXCLUDED.ticver, source = EXCLUDED.source, pmra = NULL, pmdec = NULL, equinox = NULL, teff = NULL,
    logg = NULL, radius = NULL, ingested_file_id = NULL, updated_on = now()
WHERE tp.origin = 'list';

-- name: held_in_sectors :many
-- What the database holds for a target, per TESS sector, camera and CCD: product and release number (None for
-- data stored without a release).
-- nullable: camera, ccd, product, release_number
SELECT t.sector, (i.properties ->> 'camera')::integer AS camera, (i.properties ->> 'ccd')::integer AS ccd,
       pr.name AS product, r.number AS release_number
FROM target_observation AS tobs
JOIN observation AS o ON o.id = tobs.observation_id
JOIN tess_observation AS t ON t.id = o.id AND t.type = o.type
JOIN instrument AS i ON i.id = o.instrument_id
LEFT JOIN release AS r ON r.target_id = tobs.target_id AND r.observation_id = tobs.observation_id
LEFT JOIN product AS pr ON pr.id = r.product_id
WHERE tobs.target_id = :target_id
ORDER BY t.sector, 2, 3, pr.name, r.number;
