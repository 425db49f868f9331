"""Fixtures of the TESS tests: a module-scoped database holding the six real files and the synthetic sample."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from lightcurvedb.tess.synthetic import write_sample


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
