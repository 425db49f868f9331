"""Fixtures of the reliability suite: the synthetic sample, a clean reference ingest, extra databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pytest

from lightcurvedb.tess.synthetic import write_sample

from . import _harness


@pytest.fixture(scope="session")
def make_db(clone_db: Callable[[str], AbstractContextManager[str]]) -> Iterator[Callable[[], str]]:
    """A factory of migrated databases (cloned from the template); all dropped at the end of the session."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(clone_db("lcdb_rel"))


@pytest.fixture(scope="session")
def sample_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The synthetic sample (6 SPOC-layout files, 3 targets, shared observations)."""
    return write_sample(tmp_path_factory.mktemp("rel-synthetic"))


@pytest.fixture(scope="session")
def reference(make_db: Callable[[], str], sample_files: list[Path]) -> tuple[dict[str, int], str]:
    """Counts and digest of a clean, sequential ingest of the synthetic sample."""
    from lightcurvedb.tess.ingest import ingest_paths

    dsn = make_db()
    summary = ingest_paths(dsn, sample_files)
    assert not summary.failed, summary.failed
    return _harness.fingerprint(dsn)
