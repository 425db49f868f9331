"""Deleting an observation, or the last release on one, leaves no partitions behind (0012.observation_cleanup)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

import lightcurvedb
from lightcurvedb.errors import PermissionDenied
from lightcurvedb.queries import observations, releases
from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.tic import tic_releases

SPOC = "tic55525572_lc.fits"
TGLC = "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits"


def _partitions(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as conn:
        return {r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relname ~ '_o[0-9]+$' "
                                           "AND relkind IN ('r', 'p')")}


def test_deleting_an_observation_drops_its_partitions(fresh_dsn: str, tess_dir: Path) -> None:
    assert not ingest_paths(fresh_dsn, [tess_dir / SPOC, tess_dir / TGLC]).failed
    with lightcurvedb.connect(fresh_dsn) as conn:
        spoc = next(r.observation_id for r in tic_releases(conn, 55525572))
        tglc = next(r.observation_id for r in tic_releases(conn, 389023759))
    before = _partitions(fresh_dsn)
    assert {f"dataset_o{spoc}", f"target_specific_time_o{spoc}", f"quality_flag_array_o{spoc}"} <= before
    with lightcurvedb.connect(fresh_dsn) as conn:
        assert observations.delete_observation(conn, id=spoc) == 1
        assert observations.delete_observation(conn, id=spoc) == 0  # gone
        conn.commit()
    assert _partitions(fresh_dsn) == {p for p in before if not p.endswith(f"_o{spoc}")}
    with psycopg.connect(fresh_dsn) as conn:
        for table in ("dataset", "release", "target_observation"):  # the release's file record cascades with it
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE observation_id = %s", [spoc]).fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM ingested_file").fetchone() == (1,)  # the TGLC file's
        assert conn.execute("SELECT count(*) FROM dataset WHERE observation_id = %s", [tglc]).fetchone() != (0,)


def test_deleting_the_last_release_drops_the_observation(fresh_dsn: str, tess_dir: Path) -> None:
    assert not ingest_paths(fresh_dsn, [tess_dir / SPOC]).failed
    with lightcurvedb.connect(fresh_dsn) as conn:
        (release,) = tic_releases(conn, 55525572)
        assert releases.delete_release(conn, id=release.id) == 1
        conn.commit()
        assert observations.list_tess_observations_of_target(conn, target_id=1) == []
    assert not any(p.endswith(f"_o{release.observation_id}") for p in _partitions(fresh_dsn))


def test_a_reader_may_not_delete(fresh_dsn: str, tess_dir: Path, login_as: Callable[[str, str], str]) -> None:
    assert not ingest_paths(fresh_dsn, [tess_dir / SPOC]).failed
    with lightcurvedb.connect(fresh_dsn) as conn:
        (release,) = tic_releases(conn, 55525572)
    reader = login_as(fresh_dsn, "lcdb_reader")
    with lightcurvedb.connect(reader) as conn:
        with pytest.raises(PermissionDenied):
            observations.delete_observation(conn, id=release.observation_id)
        conn.rollback()
        with pytest.raises(PermissionDenied):
            releases.delete_release(conn, id=release.id)
    assert any(p.endswith(f"_o{release.observation_id}") for p in _partitions(fresh_dsn))
