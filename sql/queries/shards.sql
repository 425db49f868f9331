-- Shards: where an observation's partitions are, and what an ingest needs to write a sharded observation's arrays
-- straight to its shard.
-- tables:

-- name: observation_shard :one
-- The shard (foreign server) holding an observation's partitions; NULL when they are here.
-- nullable: shard
SELECT lcdb_observation_shard(:observation_id) AS shard;

-- name: reserve_data_ids :one
-- `count` new ids of a data table from the coordinator's sequence (rows written straight to a shard).
-- not-null: ids
SELECT lcdb_reserve_data_ids(:table_name, :count) AS ids;

-- name: record_target_observation :exec
-- Record (target, observation) in target_observation for rows written straight to a shard.
SELECT lcdb_record_target_observation(:target_id, :observation_id);
