"""Fixtures of the TESS tests: a module-scoped database holding the six real files and the synthetic sample."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.synthetic import write_sample

from .product_fixtures import KINDS, write_fixture

REFUSED = ("TRAPPIST-1_lightcurve.fits", "hlsp_tess-3i_tess_ffi_3iatlas-s1751-cam2-ccd3_tess_v1.2_lc.fits")
"""The two real files of ../shared that are no TIC target's archive product (refused at ingest)."""


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic sample's FITS files (written once per session)."""
    out = tmp_path_factory.mktemp("synthetic")
    write_sample(out)
    return out


@pytest.fixture(scope="module")
def module_dsn(clone_db: Callable[[str], AbstractContextManager[str]]) -> Iterator[str]:
    """A migrated database shared by one test module (committed data; dropped afterwards)."""
    with clone_db("lcdb_tess") as dsn:
        yield dsn


@pytest.fixture(scope="session")
def products(clone_db: Callable[[str], AbstractContextManager[str]], tess_dir: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Path]]]:
    """Every real file of ../shared (but the two refused) and a fixture of each documented layout, ingested once
    for the session (the tests using it only read)."""
    fixtures = tmp_path_factory.mktemp("layouts")
    files = [p.resolve() for p in sorted(tess_dir.glob("*.fits")) if p.name not in REFUSED]
    files += [write_fixture(kind, fixtures, tic=300000000 + i) for i, kind in enumerate(KINDS)]
    with clone_db("lcdb_products") as dsn:
        summary = ingest_paths(dsn, files)  # one process: 2 s (two stall on each other's new partitions)
        assert summary.failed == [], [(r.path.name, r.error) for r in summary.failed]
        yield dsn, files
