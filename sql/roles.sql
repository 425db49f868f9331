-- roles.sql: the cluster-wide group roles of lightcurvedb, created before the first `lcdb migrate` or before a
-- restore into a new cluster (roles are not in a pg_dump of one database). Run it once per cluster as a role with
-- CREATEROLE (or a superuser):   psql -v ON_ERROR_STOP=1 -d postgres -f sql/roles.sql
-- It only creates what is missing, so it may be run again. Then give people logins, for example:
--   CREATE ROLE alice LOGIN PASSWORD '...' CREATEROLE;              -- runs lcdb migrate; owns the database
--   GRANT lcdb_owner, lcdb_reader, lcdb_writer TO alice WITH ADMIN OPTION;  -- (migrations comment the roles)
--   CREATE DATABASE lcdb OWNER alice;
--   CREATE ROLE pipeline LOGIN PASSWORD '...' IN ROLE lcdb_writer;  -- ingests (lcdb ingest, the bulk writers)
--   CREATE ROLE scientist LOGIN PASSWORD '...' IN ROLE lcdb_reader; -- reads (lcdb show/export, psql, Dask)
-- To restore a dump (pg_restore --no-owner) the restoring login needs only to own the new database and be a
-- member of lcdb_owner: CREATE ROLE bob LOGIN IN ROLE lcdb_owner; then `lcdb migrate` hands it all to lcdb_owner.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['lcdb_owner', 'lcdb_reader', 'lcdb_writer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    IF NOT pg_catalog.pg_has_role('lcdb_writer', 'lcdb_reader', 'MEMBER') THEN
        GRANT lcdb_reader TO lcdb_writer;
    END IF;
END;
$$;
