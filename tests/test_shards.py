"""lightcurvedb.scale.shards and `lcdb shard`: sectors on other databases as postgres_fdw foreign partitions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

import lightcurvedb
from lightcurvedb import errors
from lightcurvedb.cli import main
from lightcurvedb.query_runtime import translated
from lightcurvedb.scale import shards
from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.synthetic import SAMPLE, write_sample

STAR = SAMPLE[0].tic_id  # sectors 10, 11 and 12


@dataclass
class Sharded:
    """A coordinator holding the synthetic sample, with shards a and b registered (nothing moved yet)."""

    dsn: str
    shard_dsns: dict[str, str]
    files: list[Path]


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_sample(tmp_path_factory.mktemp("sample"))


@pytest.fixture
def sharded(clone_db: Callable[[str], AbstractContextManager[str]], sample_files: list[Path]) -> Iterator[Sharded]:
    with ExitStack() as stack:
        dsn = stack.enter_context(clone_db("lcdb_coord"))
        shard_dsns = {name: stack.enter_context(clone_db(f"lcdb_shard_{name}")) for name in ("a", "b")}
        assert ingest_paths(dsn, sample_files).failed == []
        with psycopg.connect(dsn) as conn:
            for name, shard_dsn in shard_dsns.items():
                shards.add_shard(conn, name=name, dsn=shard_dsn)
        yield Sharded(dsn, shard_dsns, sample_files)


def export(dsn: str, out: Path, *sector: int) -> bytes:
    args = ["--dsn", dsn, "export", str(STAR), "-o", str(out), "--overwrite"]
    if sector:
        args += ["--sector", ",".join(map(str, sector))]
    assert main(args) == 0
    return out.read_bytes()


def sectors_of(conn: psycopg.Connection[Any], name: str) -> tuple[int, ...]:
    return next(s.sectors for s in shards.list_shards(conn) if s.name == name)


def test_move_to_two_shards_and_back_keeps_every_export_byte_identical(sharded: Sharded, tmp_path: Path) -> None:
    before = export(sharded.dsn, tmp_path / "before.ecsv")
    assert main(["--dsn", sharded.dsn, "shard", "move", "--sectors", "10", "--to", "a"]) == 0
    assert main(["--dsn", sharded.dsn, "shard", "move", "--sectors", "11-11", "--to", "b"]) == 0
    with psycopg.connect(sharded.dsn) as conn:
        assert (sectors_of(conn, "a"), sectors_of(conn, "b")) == ((10,), (11,))
        kinds = dict(conn.execute(
            "SELECT t.sector, c.relkind FROM tess_observation AS t "
            "JOIN pg_class AS c ON c.oid = to_regclass('dataset_o' || t.id)").fetchall())
        assert kinds == {10: "f", 11: "f", 12: "r"}
        # the rows are on the shards, under the same ids
        for name, sector in (("a", 10), ("b", 11)):
            with psycopg.connect(sharded.shard_dsns[name]) as shard:
                obs = [r[0] for r in conn.execute("SELECT id FROM tess_observation WHERE sector = %s", (sector,))]
                held = shard.execute(f"SELECT count(*) FROM dataset_o{obs[0]}").fetchone()
                assert held is not None and held[0] > 0
    assert export(sharded.dsn, tmp_path / "sharded.ecsv") == before
    assert main(["--dsn", sharded.dsn, "shard", "move", "--sectors", "10-11", "--to", "local"]) == 0
    with psycopg.connect(sharded.dsn) as conn:
        assert sectors_of(conn, "a") == sectors_of(conn, "b") == ()
        assert conn.execute("SELECT count(*) FROM pg_foreign_table").fetchone() == (0,)
    for shard_dsn in sharded.shard_dsns.values():  # the old copies are dropped
        with psycopg.connect(shard_dsn) as shard:
            assert shard.execute("SELECT count(*) FROM pg_class WHERE relname ~ '^dataset_o[0-9]+$'").fetchone() == (0,)
    assert export(sharded.dsn, tmp_path / "after.ecsv") == before


def test_reingest_on_a_shard_changes_nothing_and_a_duplicate_is_refused(sharded: Sharded) -> None:
    with psycopg.connect(sharded.dsn) as conn:
        shards.move(conn, sectors=[10, 11, 12], to="a")
        count = "SELECT count(*), sum(cardinality(values)) FROM dataset"
        held = conn.execute(count).fetchone()
    summary = ingest_paths(sharded.dsn, sharded.files)
    assert (summary.count("added"), summary.failed) == (0, [])
    with lightcurvedb.connect(sharded.dsn) as conn:
        assert conn.execute(count).fetchone() == held
        columns = "processing_group_id, target_id, observation_id, release_id, values, errors, values_f4, errors_f4"
        with pytest.raises(errors.DuplicateKey) as refused, translated():  # refused by the shard, relayed
            conn.execute(f"INSERT INTO dataset ({columns}) SELECT {columns} FROM dataset LIMIT 1")
        assert refused.value.constraint == "uq_dataset_group_target_observation"


def test_a_release_deleted_on_the_coordinator_is_deleted_on_its_shard(sharded: Sharded) -> None:
    with psycopg.connect(sharded.dsn) as conn:
        shards.move(conn, sectors=[10], to="b")
        obs, release = conn.execute(
            "SELECT t.id, r.id FROM tess_observation AS t JOIN release AS r ON r.observation_id = t.id "
            "WHERE t.sector = 10 ORDER BY r.id LIMIT 1").fetchone() or (0, 0)
        conn.execute("SELECT lcdb_delete_release(%s)", (release,))
        conn.commit()
    with psycopg.connect(sharded.shard_dsns["b"]) as shard:
        for table in shards.DATA_TABLES:
            left = shard.execute(f"SELECT count(*) FROM {table}_o{obs} WHERE release_id = %s",
                                 (release,)).fetchone()
            assert left == (0,), table


def test_a_move_killed_after_the_copy_loses_nothing_and_a_rerun_finishes(sharded: Sharded, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    before = export(sharded.dsn, tmp_path / "before.ecsv")
    real_copy = shards._copy

    def copy_then_die(source: Any, target: Any, obs: int) -> tuple[int, int]:
        real_copy(source, target, obs)
        target.commit()  # the shard's copy is complete and committed: the worst moment to be killed
        raise KeyboardInterrupt
    monkeypatch.setattr(shards, "_copy", copy_then_die)
    with psycopg.connect(sharded.dsn) as conn, pytest.raises(KeyboardInterrupt):
        shards.move(conn, sectors=[12], to="a")
    with psycopg.connect(sharded.dsn) as conn:
        assert sectors_of(conn, "a") == ()  # the coordinator still holds it
    assert export(sharded.dsn, tmp_path / "killed.ecsv") == before
    monkeypatch.setattr(shards, "_copy", real_copy)
    with psycopg.connect(sharded.dsn) as conn:
        moved = shards.move(conn, sectors=[12], to="a")  # the re-run empties the leftover copy and moves
        assert [m.destination for m in moved] == ["a"] and sectors_of(conn, "a") == (12,)
    assert export(sharded.dsn, tmp_path / "rerun.ecsv") == before


def test_a_stopped_shard_fails_reads_that_need_it_in_one_line_and_others_still_work(
        sharded: Sharded, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with psycopg.connect(sharded.dsn) as conn:
        shards.move(conn, sectors=[10], to="a")
        sector12 = export(sharded.dsn, tmp_path / "s12.ecsv", 12)
        # the shard's server stops answering (a port nothing listens on)
        conn.execute("ALTER SERVER lcdb_shard_a OPTIONS (SET port '1', SET host '127.0.0.1')")
        conn.commit()
    capsys.readouterr()
    assert main(["--dsn", sharded.dsn, "export", str(STAR), "-o", str(tmp_path / "x.ecsv")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "shard a is unreachable" in err[0], err
    assert export(sharded.dsn, tmp_path / "s12-again.ecsv", 12) == sector12
    with psycopg.connect(sharded.dsn) as conn:
        down = {s.name: s for s in shards.list_shards(conn)}
        assert not down["a"].reachable and "unreachable" in (down["a"].error or "")
        assert down["b"].reachable


def test_a_reader_cannot_write_through_the_coordinator_nor_on_a_shard(
        sharded: Sharded, login_as: Callable[[str, str], str]) -> None:
    with psycopg.connect(sharded.dsn) as conn:
        shards.move(conn, sectors=[10], to="a")
        obs = conn.execute("SELECT id FROM tess_observation WHERE sector = 10").fetchone()
    assert obs is not None
    reader = login_as(sharded.dsn, "lcdb_reader")
    with psycopg.connect(reader) as conn:
        assert conn.execute(f"SELECT count(*) FROM dataset_o{obs[0]}").fetchone() != (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DELETE FROM dataset WHERE observation_id = {obs[0]}")
    on_shard = login_as(sharded.shard_dsns["a"], "lcdb_reader")
    with psycopg.connect(on_shard) as shard:
        assert shard.execute(f"SELECT count(*) FROM dataset_o{obs[0]}").fetchone() != (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            shard.execute(f"DELETE FROM dataset_o{obs[0]}")


def test_shard_names_and_unknown_shards_are_refused(sharded: Sharded) -> None:
    with psycopg.connect(sharded.dsn) as conn:
        with pytest.raises(errors.InvalidInput, match="lower-case identifier"):
            shards.add_shard(conn, name="Bad Name", dsn=sharded.shard_dsns["a"])
        with pytest.raises(errors.InvalidInput, match="exists already"):
            shards.add_shard(conn, name="a", dsn=sharded.shard_dsns["a"])
        conn.rollback()
        with pytest.raises(errors.NotFound, match="no shard c"):
            shards.move(conn, sectors=[10], to="c")
        # a database in use (it holds observations of its own) is not a shard: a move would empty its tables
        with pytest.raises(errors.ShardError, match="holds 4 observation"):
            shards.add_shard(conn, name="busy", dsn=sharded.dsn)
        assert not conn.execute("SELECT 1 FROM pg_foreign_server WHERE srvname = 'lcdb_shard_busy'").fetchone()


def test_ingest_and_distributed_reads_go_straight_to_the_shard(sharded: Sharded, tmp_path: Path) -> None:
    from lightcurvedb.scale.partitions import plan_partitions, read_partition

    def records(dsn: str) -> list[tuple[Any, ...]]:
        with lightcurvedb.connect(dsn) as conn:
            return [(r["tic"], r["sector"], r["release"], r["flux"].tobytes(), r["time"].tobytes(),
                     r["quality"].tobytes()) for p in plan_partitions(conn) for r in read_partition(conn, p)]

    before = records(sharded.dsn)
    exported = export(sharded.dsn, tmp_path / "before.ecsv")
    with psycopg.connect(sharded.dsn) as conn:
        shards.move(conn, sectors=[10, 11], to="a")
        # the star's sector-11 file again, after its release is deleted: written straight into shard a
        release = conn.execute("SELECT r.id FROM release AS r JOIN tess_observation AS t ON t.id = r.observation_id "
                               "JOIN target AS g ON g.id = r.target_id WHERE t.sector = 11 AND g.name = %s",
                               (str(STAR),)).fetchone()
        assert release is not None
        conn.execute("SELECT lcdb_delete_release(%s)", release)
        conn.commit()
    again = [f for f in sharded.files if "s0011" in f.name and str(STAR) in f.name]
    summary = ingest_paths(sharded.dsn, again)
    assert (summary.count("added"), summary.failed) == (1, [])
    with psycopg.connect(sharded.shard_dsns["a"]) as shard:
        held = shard.execute("SELECT count(*) FROM dataset WHERE target_id = (SELECT min(target_id) FROM dataset "
                             "WHERE release_id = %s)", (summary.results[0].release_id,)).fetchone()
        assert held is not None and held[0] > 0  # the new release's rows are on the shard
    assert export(sharded.dsn, tmp_path / "after.ecsv") != b""
    after = records(sharded.dsn)
    assert [r[:2] + r[3:] for r in after] == [r[:2] + r[3:] for r in before]  # release numbers may move on
    assert export(sharded.dsn, tmp_path / "again.ecsv").count(b"\n") == exported.count(b"\n")


def test_a_move_to_a_shard_that_is_down_changes_nothing(sharded: Sharded, tmp_path: Path) -> None:
    before = export(sharded.dsn, tmp_path / "before.ecsv")
    with psycopg.connect(sharded.dsn) as conn:
        conn.execute("ALTER SERVER lcdb_shard_b OPTIONS (SET port '1', SET host '127.0.0.1')")
        conn.commit()
        with pytest.raises(errors.ShardUnavailable, match="shard b is unreachable"):
            shards.move(conn, sectors=[11], to="b")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM pg_foreign_table").fetchone() == (0,)
    assert export(sharded.dsn, tmp_path / "after.ecsv") == before


def test_the_migration_cannot_be_rolled_back_while_a_partition_is_on_a_shard(sharded: Sharded) -> None:
    from lightcurvedb.migrate import migrations_dir

    rollback = (migrations_dir() / "0023.shard_partitions.rollback.sql").read_text()
    with psycopg.connect(sharded.dsn) as conn:
        shards.move(conn, sectors=[12], to="a")
        with pytest.raises(psycopg.errors.ObjectInUse, match="move them back first"):
            conn.execute(rollback)  # type: ignore[arg-type]  # a migration file, as yoyo runs it
        conn.rollback()
        assert sectors_of(conn, "a") == (12,)
