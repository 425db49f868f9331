"""lightcurvedb.sky: positions from files and target lists, cone searches against brute force (astropy's
separation as the oracle), disagreements, coverage (tess-point), and `lcdb search | coverage | positions`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import astropy.units as u
import numpy as np
import psycopg
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import Table
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import lightcurvedb
from lightcurvedb import sky
from lightcurvedb.cli import main
from lightcurvedb.errors import InvalidSkyInput, NotFound
from lightcurvedb.queries import sky as sky_queries
from lightcurvedb.queries import targets
from lightcurvedb.tess.ingest import ingest_paths
from lightcurvedb.tess.reference import ensure_reference

Conn = psycopg.Connection[Any]
EDGE_DEG = 1e-8
"""Targets this close to the search radius are left out of the brute-force comparison (float rounding)."""


def _scattered(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Uniform over the sphere, plus clusters at both poles and on both sides of RA 0/360."""
    n = 3000
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    k = 250
    pole = np.concatenate([rng.uniform(89.5, 90.0, k), rng.uniform(-90.0, -89.5, k)])
    wrap_ra = np.concatenate([rng.uniform(0, 0.5, k), rng.uniform(359.5, 360, k)]) % 360.0
    wrap_dec = rng.uniform(-1, 1, 2 * k)
    ra = np.concatenate([ra, rng.uniform(0, 360, 2 * k), wrap_ra, [0.0, 0.0, 180.0]])
    dec = np.concatenate([dec, pole, wrap_dec, [90.0, -90.0, 0.0]])
    return ra, dec


@pytest.fixture(scope="module")
def sky_db(clone_db: Callable[[str], AbstractContextManager[str]],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Table]]:
    """A database holding ~4,000 listed positions (committed), and the list itself."""
    ra, dec = _scattered(np.random.default_rng(14))
    rng = np.random.default_rng(15)
    listed = Table({"TIC": np.arange(1_000_001, 1_000_001 + ra.size), "RA": ra, "DEC": dec,
                    "Tmag": rng.uniform(4, 17, ra.size)})
    path = tmp_path_factory.mktemp("sky") / "targets.ecsv"
    listed.write(path)
    with clone_db("lcdb_sky") as dsn:
        with lightcurvedb.connect(dsn) as conn, conn.transaction():
            done = sky.load_positions(conn, path=path, catalog_id=ensure_reference(conn).catalog_id)
        assert (done.rows, done.targets_created, done.positions_set) == (len(listed),) * 3
        yield dsn, listed


def _brute(listed: Table, ra: float, dec: float, radius: float) -> tuple[set[int], set[int]]:
    """TICs astropy puts within `radius` degrees, and those within EDGE_DEG of it (either answer is right)."""
    sep = SkyCoord(listed["RA"] * u.deg, listed["DEC"] * u.deg).separation(SkyCoord(ra * u.deg, dec * u.deg)).deg
    tics = np.asarray(listed["TIC"])
    return set(tics[sep <= radius].tolist()), set(tics[np.abs(sep - radius) < EDGE_DEG].tolist())


centres = st.one_of(
    st.tuples(st.floats(0, 360, exclude_max=True), st.floats(-90, 90)),
    st.tuples(st.floats(0, 360, exclude_max=True), st.floats(89, 90) | st.floats(-90, -89)),  # the poles
    st.tuples(st.floats(359, 360, exclude_max=True) | st.floats(0, 1), st.floats(-2, 2)),  # across RA 0/360
)
radii = st.one_of(st.floats(1e-5, 0.05), st.floats(0.05, 5), st.floats(5, 180), st.just(0.0), st.just(180.0))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(centre=centres, radius=radii)
@example(centre=(0.0, 90.0), radius=0.3)
@example(centre=(359.99, 0.0), radius=0.5)
@example(centre=(0.0, -90.0), radius=180.0)
def test_cone_search_equals_brute_force(sky_db: tuple[str, Table], centre: tuple[float, float],
                                        radius: float) -> None:
    dsn, listed = sky_db
    ra, dec = centre
    with lightcurvedb.connect(dsn) as conn:
        rows = sky.cone_search(conn, ra=ra, dec=dec, radius=radius * u.deg)
    inside, edge = _brute(listed, ra, dec, radius)
    got = {r.tic for r in rows}
    assert got - edge == inside - edge
    seps = [r.separation_arcsec for r in rows]
    assert seps == sorted(seps) and all(s <= radius * 3600 + 1e-6 for s in seps)


def test_limit_tmag_and_neighbours(sky_db: tuple[str, Table]) -> None:
    dsn, _ = sky_db
    with lightcurvedb.connect(dsn) as conn:
        everything = sky.cone_search(conn, ra=0.1, dec=0.0, radius=2 * u.deg)
        assert len(everything) > 50
        first = sky.cone_search(conn, ra=0.1, dec=0.0, radius=2 * u.deg, limit=10)
        assert [r.tic for r in first] == [r.tic for r in everything[:10]]
        bright = sky.cone_search(conn, ra=0.1, dec=0.0, radius=7200, tmag_max=10.0)  # a number is arcseconds
        assert {r.tic for r in bright} == {r.tic for r in everything if r.tessmag is not None and r.tessmag <= 10.0}
        me = everything[0]
        around = sky.neighbours(conn, tic=me.tic, radius=1 * u.deg)
        assert me.tic not in {r.tic for r in around}
        expected = {r.tic for r in sky.cone_search(conn, ra=me.ra, dec=me.dec, radius=1 * u.deg)} - {me.tic}
        assert {r.tic for r in around} == expected


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"ra": 10, "dec": 90.5, "radius": 5}, "dec must be within"),
    ({"ra": 10, "dec": -91, "radius": 5}, "dec must be within"),
    ({"ra": float("nan"), "dec": 0, "radius": 5}, "finite"),
    ({"ra": 10, "dec": 0, "radius": -1}, "not negative"),
    ({"ra": 10, "dec": 0, "radius": float("inf")}, "finite"),
    ({"ra": 10, "dec": 0, "radius": 181 * u.deg}, "at most 180"),
    ({"ra": 10, "dec": 0, "radius": 3 * u.m}, "an angle"),
    ({"ra": 10, "dec": 0, "radius": 5, "limit": 0}, "limit"),
    ({"ra": "ten", "dec": 0, "radius": 5}, "numbers of degrees"),
])
def test_bad_input_is_typed(conn: Conn, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidSkyInput, match=match):
        sky.cone_search(conn, **kwargs)


def test_a_tic_without_a_position(conn: Conn) -> None:
    catalog = ensure_reference(conn).catalog_id
    targets.get_or_create_target(conn, catalog_id=catalog, name=424242)
    with pytest.raises(NotFound, match="no stored position"):
        sky.neighbours(conn, tic=424242, radius=5)
    with pytest.raises(NotFound, match="not in the database"):
        sky.coverage(conn, tic=99)


def _header(ra: float, dec: float, ticver: Any, tmag: float = 10.0) -> dict[str, Any]:
    return {"RA_OBJ": ra, "DEC_OBJ": dec, "TICVER": ticver, "TESSMAG": tmag, "PMRA": 1.5, "TEFF": 5800.0}


def test_files_that_disagree_keep_the_newest_tic_version(conn: Conn) -> None:
    catalog = ensure_reference(conn).catalog_id
    target = targets.get_or_create_target(conn, catalog_id=catalog, name=777).id
    record = sky.record_header_position
    assert record(conn, target_id=target, header={"OBJECT": "x"}, ingested_file_id=None, source="a.fits") == "none"
    assert record(conn, target_id=target, header=_header(10.0, 20.0, 7), ingested_file_id=None,
                  source="v7.fits") == "set"
    assert record(conn, target_id=target, header=_header(10.0, 20.0, 7), ingested_file_id=None,
                  source="v7-again.fits") == "same"
    assert record(conn, target_id=target, header=_header(10.0001, 20.0, "8.2", 10.1), ingested_file_id=None,
                  source="v8.2.fits") == "replaced"
    assert record(conn, target_id=target, header=_header(10.0002, 20.0, 8), ingested_file_id=None,
                  source="v8.fits") == "kept"
    kept = sky_queries.get_position_of_target(conn, target_id=target)
    assert kept is not None and (kept.ra, kept.ticver, kept.source, kept.tessmag) == (10.0001, "8.2", "v8.2.fits",
                                                                                    10.1)
    notes = sky_queries.list_position_disagreements(conn, target_id=target)
    assert [(n.source, n.ticver, n.kept_source) for n in notes] == [("v7.fits", "7", "v8.2.fits"),
                                                                  ("v8.fits", "8", "v8.2.fits")]
    assert notes[0].separation_arcsec == pytest.approx(0.0001 * np.cos(np.radians(20.0)) * 3600, rel=1e-6)


def test_target_lists_refuse_bad_rows_and_keep_file_positions(conn: Conn, tmp_path: Path) -> None:
    catalog = ensure_reference(conn).catalog_id
    target = targets.get_or_create_target(conn, catalog_id=catalog, name=5001).id
    assert sky.record_header_position(conn, target_id=target, header=_header(30.0, -10.0, 8),
                                      ingested_file_id=None, source="file.fits") == "set"
    bad = tmp_path / "bad.csv"
    bad.write_text("tic,ra,dec\n5002,1.0,2.0\n5003,1.0,95.0\n")
    with pytest.raises(InvalidSkyInput, match="row 2"):
        sky.load_positions(conn, path=bad, catalog_id=catalog)
    repeated = tmp_path / "repeated.csv"
    repeated.write_text("ticid,ra_obj,dec_obj\n5002,1.0,2.0\n5002,1.0,3.0\n")
    with pytest.raises(InvalidSkyInput, match="more than once"):
        sky.load_positions(conn, path=repeated, catalog_id=catalog)
    no_dec = tmp_path / "nodec.csv"
    no_dec.write_text("tic,ra\n5002,1.0\n")
    with pytest.raises(InvalidSkyInput, match="no column for dec"):
        sky.load_positions(conn, path=no_dec, catalog_id=catalog)
    assert conn.execute("SELECT count(*) FROM target WHERE name IN (5002, 5003)").fetchone() == (0,)
    beyond = tmp_path / "beyond.fits"
    Table({"TIC": [5001, 5002], "RA": [31.0, 361.5], "DEC": [-10.0, 2.0]}).write(beyond)
    with pytest.raises(InvalidSkyInput, match=r"row 2: .*ra within \[0, 360\)"):  # refused, not wrapped
        sky.load_positions(conn, path=beyond, catalog_id=catalog)
    huge = tmp_path / "huge.csv"
    huge.write_text("tic,ra,dec\n99999999999999999999,1.0,2.0\n")
    with pytest.raises(InvalidSkyInput, match="not a number that fits"):
        sky.load_positions(conn, path=huge, catalog_id=catalog)
    for not_a_table in (tmp_path, Path("/dev/null"), tmp_path / "missing.csv"):
        with pytest.raises(InvalidSkyInput, match="cannot read a target list"):
            sky.load_positions(conn, path=not_a_table, catalog_id=catalog)
    good = tmp_path / "good.fits"
    Table({"TIC": [5001, 5002], "RA": [31.0, 1.5], "DEC": [-10.0, 2.0], "TESSMAG": [9.0, 12.0]}).write(good)
    done = sky.load_positions(conn, path=good, catalog_id=catalog)
    assert (done.rows, done.targets_created, done.positions_set, done.kept_from_files) == (2, 1, 1, 1)
    assert sky.position_of(conn, tic=5001)[1:] == (30.0, -10.0)  # from the file: kept
    assert sky.position_of(conn, tic=5002)[1:] == (1.5, 2.0)


# --- the shared real files ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_db(clone_db: Callable[[str], AbstractContextManager[str]], tess_dir: Path) -> Iterator[tuple[str, list[Any]]]:
    """Every shared file ingested (committed); with (path, TIC, ra, dec, sector) of those that hold a position."""
    with clone_db("lcdb_sky_real") as dsn:
        summary = ingest_paths(dsn, [tess_dir])
        stars = []
        for r in summary.results:
            if r.status != "added":
                continue
            header = fits.getheader(r.path, 0)
            if header.get("RA_OBJ") is not None and header.get("DEC_OBJ") is not None:
                stars.append((r.path, r.tic_id, float(header["RA_OBJ"]), float(header["DEC_OBJ"]), r.sector))
        assert len(stars) >= 8
        yield dsn, stars


def test_each_real_file_is_found_at_its_position_and_not_a_degree_away(real_db: tuple[str, list[Any]]) -> None:
    dsn, stars = real_db
    with lightcurvedb.connect(dsn) as conn:
        for path, tic, ra, dec, sector in stars:
            found = sky.cone_search(conn, ra=ra, dec=dec, radius=5)
            hit = [r for r in found if r.tic == tic]
            assert hit and hit[0].separation_arcsec < 1e-6, path.name
            assert sector in hit[0].sectors, path.name
            away = sky.cone_search(conn, ra=ra, dec=dec + (1.0 if dec < 89 else -1.0), radius=5)
            assert tic not in {r.tic for r in away}, path.name


def test_coverage_of_each_real_star_includes_its_sector(real_db: tuple[str, list[Any]]) -> None:
    pytest.importorskip("tess_stars2px")
    dsn, stars = real_db
    with lightcurvedb.connect(dsn) as conn:
        for path, tic, ra, dec, sector in stars:
            cov = sky.coverage(conn, tic=tic)
            assert sector in cov.observed, path.name
            assert sector in cov.held_sectors, path.name
            by_position = sky.coverage(conn, ra=ra, dec=dec)
            assert by_position.tic == tic and sector in by_position.held_sectors, path.name


def test_cli_search_coverage_positions(real_db: tuple[str, list[Any]], tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    dsn, stars = real_db
    _, tic, ra, dec, sector = stars[0]
    assert main(["--dsn", dsn, "search", "--ra", str(ra), "--dec", str(dec), "--radius", "5", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"tic", "ra", "dec", "separation_arcsec", "tmag", "sectors"} <= set(rows[0])
    assert rows[0]["tic"] == tic and sector in rows[0]["sectors"]
    assert main(["--dsn", dsn, "search", "--tic", str(tic), "--radius", "36000"]) == 0
    assert "within 36000 arcsec of TIC" in capsys.readouterr().out
    if pytest.importorskip("tess_stars2px"):
        assert main(["--dsn", dsn, "coverage", str(tic)]) == 0
        out = capsys.readouterr().out
        assert f"TIC {tic}" in out and "observed in" in out and f"held: {sector} (" in out
    for argv, message in ((["search", "--ra", "1", "--radius", "5"], "give --ra and --dec"),
                          (["search", "--tic", "12", "--radius", "5"], "TIC 12 is not in the database"),
                          (["positions", str(tmp_path / "missing.csv")], "cannot read a target list")):
        assert main(["--dsn", dsn, *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
