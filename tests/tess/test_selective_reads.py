"""Reads take only what they ask for: a read with sectors, product, release and columns returns exactly the rows and
columns of the same read without them, filtered (property-based), and touches only the chosen observations'
partitions and arrays. The star: synthetic SPOC files in sectors 10-12 (two releases of sector 11) and QLP files
built from the documented layout in sectors 11 and 12 (`product_fixtures`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lightcurvedb
from lightcurvedb import query_runtime
from lightcurvedb.errors import InvalidInput, NotFound
from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.synthetic import SyntheticTarget, write_file
from lightcurvedb.tess.tic import STANDARD_COLUMNS, TicLightcurves, load_tic

from .product_fixtures import write_fixture

STAR = 700000001
SPOC_SECTORS = (10, 11, 12)
QLP_SECTORS = (11, 12)


@pytest.fixture(scope="module")
def star_dsn(clone_db: Callable[[str], AbstractContextManager[str]], tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[str]:
    """A database holding the star's ten files (committed; the tests only read)."""
    out = tmp_path_factory.mktemp("selective")
    star = SyntheticTarget(tic_id=STAR, camera=1, ccd=1, flux=9000.0, sectors=SPOC_SECTORS, ra=30.0, dec=-40.0)
    files = [write_file(star, s, out, np.random.default_rng(s)) for s in SPOC_SECTORS]
    (out / "again").mkdir()
    files.append(write_file(star, 11, out / "again", np.random.default_rng(99)))  # sector 11, release 2
    files += [write_fixture("qlp", out / f"qlp{s}", tic=STAR, sector=s, seed=s) for s in QLP_SECTORS]
    with clone_db("lcdb_selective") as dsn:
        summary = ingest_paths(dsn, files)
        assert summary.failed == [], [(r.path.name, r.error) for r in summary.failed]
        yield dsn


@pytest.fixture
def star(star_dsn: str) -> Iterator[psycopg.Connection[Any]]:
    with lightcurvedb.connect(star_dsn) as conn:
        yield conn


def _rows(lcs: TicLightcurves, sectors: list[int]) -> np.ndarray[Any, Any]:
    return np.isin(lcs.columns["sector"], sectors)


def _same(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    return a.dtype == b.dtype and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _names(lcs: TicLightcurves) -> list[str]:
    return sorted(set(lcs.columns) | {"flux", "flux_err"})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sectors=st.none() | st.lists(st.sampled_from((10, 11, 12, 13)), min_size=1, max_size=3, unique=True),
       product=st.sampled_from((None, "spoc", "qlp", "SPOC")), release=st.sampled_from((None, 1, 2)),
       pick=st.none() | st.lists(st.integers(0, 10**6), min_size=1, max_size=6))
def test_a_selection_is_the_full_read_filtered(star: psycopg.Connection[Any], sectors: list[int] | None,
                                               product: str | None, release: int | None,
                                               pick: list[int] | None) -> None:
    try:
        whole = load_tic(star, STAR, product=product, release=release)
    except NotFound:
        whole = None
    names = None if whole is None or pick is None else sorted({_names(whole)[i % len(_names(whole))] for i in pick})
    try:
        chosen = load_tic(star, STAR, product=product, release=release, sectors=sectors, columns=names)
    except NotFound:
        assert whole is None or (sectors is not None and not _rows(whole, sectors).any())
        return
    assert whole is not None
    keep = _rows(whole, sectors) if sectors is not None else np.ones(len(whole.columns["time"]), dtype=bool)
    assert [(o.sector, o.product, o.release) for o in chosen.observations] == \
        [(o.sector, o.product, o.release) for o in whole.observations if sectors is None or o.sector in sectors]
    expected = set(whole.columns) if names is None else set(names)
    assert set(chosen.columns) == expected
    for name in expected:
        assert _same(chosen.columns[name], whole.columns[name][keep]), name
    try:
        flux, flux_err, groups = chosen.flux()
    except InvalidInput as exc:  # what flux() needs was not read: never a made-up flux
        refused = str(exc)
    else:
        refused = ""
    if refused:
        assert names is not None and not {"flux", "flux_err"} <= set(names) and "not read" in refused
        return
    full_flux, full_err, _ = whole.flux()
    assert _same(flux, full_flux[keep]) and _same(flux_err, full_err[keep])
    assert groups == list(dict.fromkeys(g for g, o in zip(whole.flux_groups, whole.observations, strict=True)
                                        if sectors is None or o.sector in sectors))


def test_the_standard_columns_are_the_files_and_the_default_flux(star: psycopg.Connection[Any]) -> None:
    lcs = load_tic(star, STAR, product="spoc", columns=["time", "flux", "flux_err", "quality", "cadenceno"])
    whole = load_tic(star, STAR, product="spoc")
    assert set(lcs.columns) == {"time", "flux", "flux_err", "quality", "cadenceno"}
    assert _same(lcs.columns["flux"], whole.columns["pdcsap_flux"])
    assert _same(lcs.columns["flux_err"], whole.columns["pdcsap_flux_err"])
    assert lcs.flux_groups == ["SPOC PDCSAP"] * 3
    qlp = load_tic(star, STAR, product="qlp", sectors=[11], columns=["flux"])
    assert _same(qlp.columns["flux"], load_tic(star, STAR, product="qlp", sectors=[11]).columns["kspsap_flux"])
    sap = load_tic(star, STAR, product="spoc", columns=["flux"], flux="sap")
    assert _same(sap.columns["flux"], whole.columns["sap_flux"])
    assert set(STANDARD_COLUMNS) >= set(lcs.columns)


def test_an_unknown_column_is_refused_by_name(star: psycopg.Connection[Any]) -> None:
    with pytest.raises(InvalidInput, match="'nosuch'"):
        load_tic(star, STAR, columns=["time", "nosuch"])


def test_a_read_locks_and_reads_only_the_chosen_observations(star: psycopg.Connection[Any]) -> None:
    """The partitions a one-sector read plans and locks are that sector's, and no others."""
    every = {o.observation_id for o in load_tic(star, STAR, every_product=True).observations}
    star.commit()
    lcs = load_tic(star, STAR, sectors=[11], product="spoc")
    (chosen,) = {o.observation_id for o in lcs.observations}
    locked = {r[0] for r in star.execute(
        "SELECT c.relname::text FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
        "WHERE l.pid = pg_backend_pid() AND c.relname ~ '_o[0-9]+$'").fetchall()}
    star.rollback()
    assert len(every) > 1
    partitions = {name.rsplit("_o", 1)[1] for name in locked}
    assert partitions == {str(chosen)}, locked
    assert {name.rsplit("_o", 1)[0] for name in locked} >= {"dataset", "target_specific_time", "quality_flag_array"}


def test_arrays_not_asked_for_are_not_sent(star: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[str] = []
    real = query_runtime.borrowed

    def spy(conn: Any, query: Any, params: Any, use: Any) -> Any:
        def record(rows: list[tuple[Any, ...]]) -> Any:
            sent.extend(f"{r[0]}:{r[3] if r[0] == 'dataset' else r[4]}:{i}" for r in rows
                        for i, v in enumerate(r[6:]) if v is not None)
            return use(rows)
        return real(conn, query, params, record)

    monkeypatch.setattr(query_runtime, "borrowed", spy)
    load_tic(star, STAR, sectors=[10], columns=["time", "quality"])
    assert sorted(s.split(":")[0] for s in sent) == ["flags", "time"]
    sent.clear()
    load_tic(star, STAR, sectors=[10], columns=["pdcsap_flux"])
    (pdcsap,) = star.execute("SELECT id FROM processing_group WHERE name = 'SPOC PDCSAP'").fetchone() or (None,)
    assert sent == [f"dataset:{pdcsap}:1"]  # its values_f4, nothing else


def test_to_lightkurve_writes_no_file(star: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("lightkurve")
    import tempfile

    from astropy.io import fits

    from lightcurvedb.tess import to_lightkurve

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("to_lightkurve wrote a file")

    for owner, name in ((fits.HDUList, "writeto"), (fits.BinTableHDU, "writeto"), (tempfile, "mkdtemp"),
                        (tempfile, "TemporaryDirectory"), (tempfile, "NamedTemporaryFile"), (Path, "write_bytes")):
        monkeypatch.setattr(owner, name, refuse)
    collection = to_lightkurve(star, STAR)
    assert sorted((lc.meta["SECTOR"], lc.meta["AUTHOR"]) for lc in collection) == \
        [(10, "SPOC"), (11, "QLP"), (11, "SPOC"), (12, "QLP"), (12, "SPOC")]
    starts = [float(np.nanmin(lc.time.value)) for lc in collection]
    assert starts == sorted(starts)  # in time order


def test_cli_export_columns(star_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lightcurvedb.cli import main
    from lightcurvedb.tess.export import read_export

    full, part, masked = tmp_path / "full.ecsv", tmp_path / "part.ecsv", tmp_path / "masked.ecsv"
    base = ["--dsn", star_dsn, "export", str(STAR), "--product", "spoc"]
    assert main([*base, "-o", str(full)]) == 0
    assert main([*base, "-o", str(part), "--columns", "flux,QUALITY,sap_flux"]) == 0
    a, b = read_export(full), read_export(part)
    assert b.colnames == ["time", "flux", "quality", "sap_flux"]
    for name in b.colnames[1:]:
        assert np.array_equal(np.asarray(a[name]), np.asarray(b[name]), equal_nan=True), name
    assert np.array_equal(a.time.value, b.time.value, equal_nan=True)
    assert main([*base, "-o", str(masked), "--columns", "flux", "--quality-bitmask", "default"]) == 0
    c = read_export(masked)
    assert c.colnames == ["time", "flux"] and len(c) < len(a)  # masked by quality, which is not written
    capsys.readouterr()
    assert main([*base, "-o", str(tmp_path / "bad.ecsv"), "--columns", "flux,nosuch"]) == 2
    assert "'nosuch'" in capsys.readouterr().err and not (tmp_path / "bad.ecsv").exists()
