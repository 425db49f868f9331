-- rollback 0004.roles: revoke in this database, then drop the roles unless another database still uses them.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM lcdb_reader, lcdb_writer;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM lcdb_reader, lcdb_writer;
REVOKE ALL ON SCHEMA public FROM lcdb_reader, lcdb_writer;

DO $$
BEGIN
    BEGIN
        DROP ROLE IF EXISTS lcdb_writer;
    EXCEPTION WHEN dependent_objects_still_exist THEN
        RAISE NOTICE 'role lcdb_writer is still used by another database; not dropped';
    END;
    BEGIN
        DROP ROLE IF EXISTS lcdb_reader;
    EXCEPTION WHEN dependent_objects_still_exist THEN
        RAISE NOTICE 'role lcdb_reader is still used by another database; not dropped';
    END;
END;
$$;
