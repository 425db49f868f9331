"""Upgrade in place: a database filled by the previous release (its migrations and its ingest, run from git
history) upgrades with `lcdb migrate`; its data gets a product and a release, and every read gives the same
values as before."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import lightcurvedb
from lightcurvedb.cli import main
from lightcurvedb.tess.export import read_export
from lightcurvedb.tess.tic import tic_releases

REPO = Path(__file__).resolve().parents[1]
NEW_MIGRATION = "sql/migrations/0009.products_releases.sql"
FILES = {  # file -> (TIC, the product the upgrade must give it)
    "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits": (358108509, "spoc"),
    "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits": (25155310, "spoc"),
    "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits": (389023759, "tglc"),
    "hlsp_tglc_tess_ffi_gaiaid-5707485527450614656-s0034-cam2-ccd3_tess_v2_llc.fits": (218795833, "tglc"),
}


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and migrations as they were before migration 0009, extracted from git history."""
    try:
        added = _git("log", "--diff-filter=A", "--format=%H", "--", NEW_MIGRATION)
        previous = f"{added.splitlines()[-1]}^" if added else "HEAD"
        archive = subprocess.run(["git", "-C", str(REPO), "archive", previous, "lightcurvedb", "sql"], check=True,
                                 capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError, IndexError) as exc:
        pytest.skip(f"the previous release is not in git history here: {exc}")
    out = tmp_path_factory.mktemp("previous")
    (out / "release.tar").write_bytes(archive)
    with tarfile.open(out / "release.tar") as tar:
        tar.extractall(out, filter="data")
    assert not (out / NEW_MIGRATION).exists()
    return out


def _old_lcdb(old: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(old)}
    code = "import sys; from lightcurvedb.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=old, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_previous_release_database_upgrades_in_place(previous_release: Path, empty_dsn: str, tess_dir: Path,
                                                     tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = previous_release
    _old_lcdb(old, "--dsn", empty_dsn, "migrate")
    _old_lcdb(old, "--dsn", empty_dsn, "ingest", *(str(tess_dir / f) for f in FILES))
    before = {}
    for tic, _ in FILES.values():
        out = tmp_path / f"before_{tic}.fits"
        _old_lcdb(old, "--dsn", empty_dsn, "export", str(tic), "-o", str(out))
        before[tic] = read_export(out)

    assert main(["--dsn", empty_dsn, "migrate"]) == 0
    assert "0009.products_releases" in capsys.readouterr().out
    with lightcurvedb.connect(empty_dsn) as conn:
        for tic, product in FILES.values():
            (release,) = tic_releases(conn, tic)
            assert (release.product_name, release.number, release.path) == (product, 1, None)
    for tic, _ in FILES.values():
        out = tmp_path / f"after_{tic}.fits"
        assert main(["--dsn", empty_dsn, "export", str(tic), "-o", str(out)]) == 0
        after = read_export(out)
        old_ts = before[tic]
        assert len(after) == len(old_ts)
        assert np.array_equal(after.time.jd, old_ts.time.jd, equal_nan=True)  # masked (NaN) times alike
        for name in old_ts.colnames:  # every column read before reads the same values now
            if name == "time":
                continue
            assert name in after.colnames, f"TIC {tic}: column {name} lost"
            a, b = np.asarray(getattr(after[name], "value", after[name])), np.asarray(
                getattr(old_ts[name], "value", old_ts[name]))
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), f"TIC {tic}: {name}"
    capsys.readouterr()
    assert main(["--dsn", empty_dsn, "releases", "358108509"]) == 0
    assert "before files were recorded" in capsys.readouterr().out
