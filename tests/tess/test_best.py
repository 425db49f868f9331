"""`lcdb best` end to end on the real files of every product and a fixture of each other layout, on a two-worker
Dask cluster: the stored metrics equal lightkurve's `estimate_cdpp` on the same quality-masked, normalised flux, the
rule takes the quieter aperture, an explicit choice wins and survives a re-run, a new release gets its own choice
and takes its metrics and choice along when deleted, and every read path takes `flux="best"`."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from astropy.io import fits
from astropy.time import Time

import lightcurvedb
from lightcurvedb.cli import main
from lightcurvedb.errors import InvalidInput, NotFound
from lightcurvedb.tess import ingest_paths, to_lightkurve
from lightcurvedb.tess.best import rule
from lightcurvedb.tess.best.explicit import set_best
from lightcurvedb.tess.best.metrics import cadences_per
from lightcurvedb.tess.export import read_export
from lightcurvedb.tess.tic import UnknownFluxGroup, load_tic

from .conftest import REFUSED
from .product_fixtures import KINDS, write_fixture

distributed = pytest.importorskip("distributed", reason="Dask is the [scale] extra (in [dev])")
lk = pytest.importorskip("lightkurve", reason="lightkurve (the oracle) is part of the [dev] extra")
from lightcurvedb.scale.dask import lightcurves  # noqa: E402
from lightcurvedb.tess.best.run import compute_best  # noqa: E402

pytestmark = pytest.mark.slow
NOISY = 358108509  # SPOC sector 1: SAP is quieter than PDCSAP over 1 h (2083 against 2678 ppm)
QUIET = 300000100  # a QLP fixture whose small aperture is made ten times quieter than the others
REPROCESSED = 55525572  # SPOC sector 5: PDCSAP is the quieter; a second release makes it the noisier


def _quiet_qlp(directory: Path) -> Path:
    path = write_fixture("qlp", directory, tic=QUIET, rows=2000, seed=5)
    with fits.open(path, mode="update") as hdul:
        data = hdul["LIGHTCURVE"].data
        data["KSPSAP_FLUX_SML"][:] = np.random.default_rng(5).normal(1.0, 1e-4, len(data)).astype(np.float32)
    return path


@pytest.fixture(scope="module")
def best_db(clone_db: Callable[[str], AbstractContextManager[str]], tess_dir: Path,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Path]]]:
    """Every real file of ../shared (but the two refused), a fixture of each other layout and the quiet QLP star."""
    out = tmp_path_factory.mktemp("best")
    files = [p.resolve() for p in sorted(tess_dir.glob("*.fits")) if p.name not in REFUSED]
    files += [write_fixture(kind, out, tic=300000000 + i) for i, kind in enumerate(KINDS)]
    files.append(_quiet_qlp(out / "quiet"))
    with clone_db("lcdb_best") as dsn:
        summary = ingest_paths(dsn, files)
        assert summary.failed == [], [(r.path.name, r.error) for r in summary.failed]
        yield dsn, files


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A LocalCluster of two worker processes, as `lcdb best compute --workers 2` starts."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as cl:
        yield cl


@pytest.fixture(scope="module")
def computed(best_db: tuple[str, list[Path]], client: Any) -> Any:
    dsn, _ = best_db
    return compute_best(dsn, client=client, part_size=3)


def _rows(dsn: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def _choices(dsn: str) -> dict[tuple[int, int, str], tuple[str, str]]:
    """(tic, sector, product) → (best group, kind) of the newest releases, from the psql view."""
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in _rows(
        dsn, "SELECT tic, sector, product, best_group, kind FROM lcdb_best_lightcurve v WHERE release = "
             "(SELECT max(number) FROM release r WHERE r.target_id = v.target_id AND r.observation_id = "
             "v.observation_id AND r.product_id = (SELECT id FROM product WHERE name = v.product))")}


def _values(column: Any) -> np.ndarray[Any, Any]:
    value = getattr(column, "value", column)
    if hasattr(value, "unmasked"):
        return np.where(value.mask, np.nan, value.unmasked).astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def _oracle(path: Path, product: str, column: str) -> tuple[float, int, int]:
    """lightkurve's estimate_cdpp of the file's `column`: read by lightkurve with the default quality mask (CDIPS:
    its reader keeps the cadences whose quality letter is G or 0), finite times and fluxes, flux divided by its
    median; with the cadences kept and the 1-h window."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc = lk.read(path, quality_bitmask="default", flux_column=column)
        t, f = np.asarray(lc.time.value, np.float64), _values(lc.flux)
        keep = np.isfinite(t) & np.isfinite(f)
        t, f = t[keep], f[keep]
        window = cadences_per(1.0, t)
        cdpp = lk.LightCurve(time=Time(t, format="btjd", scale="tdb"), flux=f / np.median(f)).estimate_cdpp(
            transit_duration=window, savgol_window=101, savgol_polyorder=2, sigma=5)
    return float(cdpp.to_value("ppm")), int(t.size), window


def test_metrics_equal_lightkurves_estimate_cdpp_on_every_product(best_db: tuple[str, list[Path]],
                                                                  computed: Any) -> None:
    dsn, files = best_db
    assert computed.measured == computed.stored > 0 and computed.skipped == 0
    rows = _rows(dsn, "SELECT tg.name, t.sector, p.name, f.path, g.name, m.cdpp_1h_ppm, m.n_good, m.cdpp_window "
                      "FROM lightcurve_metric m JOIN release r ON r.id = m.release_id JOIN product p ON p.id = "
                      "r.product_id JOIN target tg ON tg.id = r.target_id JOIN tess_observation t ON t.id = "
                      "r.observation_id JOIN ingested_file f ON f.release_id = r.id JOIN processing_group g ON "
                      "g.id = m.processing_group_id ORDER BY 1, 2, 5")
    assert {r[3] for r in rows} == {str(p) for p in files}  # every file measured
    assert {r[2] for r in rows} >= {"spoc", "tess-spoc", "tglc", "qlp", "spoc-fast", "gsfc-eleanor-lite", "cdips",
                                    "pathos"}
    with lightcurvedb.connect(dsn) as conn:
        for tic, sector, product, path, group, cdpp, n_good, window in rows:
            column = load_tic(conn, tic, product=product, sectors=[sector]).groups[group][0]
            expected, kept, expected_window = _oracle(Path(path), product, column)
            assert (n_good, window) == (kept, expected_window), (path, group)
            assert cdpp == pytest.approx(expected, rel=1e-6), (path, group)
            assert group in rule.candidates(product)


def test_the_quieter_aperture_is_chosen(best_db: tuple[str, list[Path]], computed: Any) -> None:
    dsn, _ = best_db
    choices = _choices(dsn)
    assert [v for k, v in choices.items() if k[0] == QUIET] == [("QLP KSPSAP_FLUX_SML", "rule")]
    assert choices[(NOISY, 1, "spoc")] == ("SPOC SAP", "rule")
    assert choices[(REPROCESSED, 5, "spoc")] == ("SPOC PDCSAP", "rule")
    # every choice is the rule's: the lowest stored CDPP among the product's candidates, ties by its default
    metrics = _rows(dsn, "SELECT product, best_group, metrics FROM lcdb_best_lightcurve")
    for product, group, values in metrics:
        assert values, product
        choice = rule.choose(product, values, {g: v["cdpp_1h_ppm"] for g, v in values.items()})
        assert choice is not None and choice.group == group


def test_an_explicit_choice_wins_and_is_kept_after_a_rerun(best_db: tuple[str, list[Path]], client: Any,
                                                           computed: Any, capsys: pytest.CaptureFixture[str]) -> None:
    dsn, _ = best_db
    assert main(["--dsn", dsn, "best", "set", str(NOISY), "--sector", "1", "--flux", "pdcsap",
                 "--reason", "pipeline: PDC for transits"]) == 0
    assert _choices(dsn)[(NOISY, 1, "spoc")] == ("SPOC PDCSAP", "explicit")
    again = compute_best(dsn, client=client)
    assert (again.measured, again.stored, again.chosen) == (0, 0, 0) and again.skipped == computed.measured
    other = compute_best(dsn, client=client, metric="p2p-scatter")  # another rule: choices change, not this one
    assert other.measured == 0
    assert _choices(dsn)[(NOISY, 1, "spoc")] == ("SPOC PDCSAP", "explicit")
    with lightcurvedb.connect(dsn) as conn:
        ts = load_tic(conn, NOISY, flux="best").timeseries()
    assert ts.meta["FLUX_GROUP"] == "SPOC PDCSAP" and "pipeline: PDC for transits" in ts.meta["BEST_RULE"]
    capsys.readouterr()
    assert main(["--dsn", dsn, "best", "clear", str(NOISY), "--sector", "1"]) == 0
    assert "cleared" in capsys.readouterr().out
    compute_best(dsn, client=client)  # the cdpp-1h rule again
    assert _choices(dsn)[(NOISY, 1, "spoc")] == ("SPOC SAP", "rule")


def _reprocessed(original: Path, out: Path) -> Path:
    """A second release of a real file: PDCSAP made ten times noisier (SAP becomes the quieter)."""
    with fits.open(original) as hdul:
        hdul[0].header["DATA_REL"] = 99
        data = hdul["LIGHTCURVE"].data
        pdc = data["PDCSAP_FLUX"]
        noise = np.random.default_rng(1).normal(0, 10 * np.nanstd(np.diff(pdc)), len(pdc))
        data["PDCSAP_FLUX"] = (pdc + noise).astype(np.float32)
        hdul.writeto(out, checksum=True)
    return out


def test_a_new_release_gets_its_own_choice_and_takes_it_along_when_deleted(
        best_db: tuple[str, list[Path]], client: Any, computed: Any, tess_dir: Path, tmp_path: Path) -> None:
    dsn, _ = best_db
    copy = _reprocessed(tess_dir / "tic55525572_lc.fits", tmp_path / "tic55525572_lc.fits")
    assert not ingest_paths(dsn, [copy]).failed
    summary = compute_best(dsn, client=client)
    assert (summary.measured, summary.chosen) == (2, 1)
    per_release = {r[0]: r[1:] for r in _rows(
        dsn, "SELECT release, best_group, kind FROM lcdb_best_lightcurve WHERE tic = %s", REPROCESSED)}
    assert per_release == {1: ("SPOC PDCSAP", "rule"), 2: ("SPOC SAP", "rule")}
    with lightcurvedb.connect(dsn) as conn:
        assert load_tic(conn, REPROCESSED, flux="best").timeseries().meta["FLUX_GROUP"] == "SPOC SAP"
        assert load_tic(conn, REPROCESSED, flux="best", release=1).timeseries().meta["FLUX_GROUP"] == "SPOC PDCSAP"
        (release_id,) = conn.execute("SELECT release_id FROM lcdb_best_lightcurve WHERE tic = %s AND release = 2",
                                     (REPROCESSED,)).fetchone() or (None,)
        conn.execute("SELECT lcdb_delete_release(%s)", (release_id,))
        conn.commit()
    for table in ("lightcurve_metric", "best_lightcurve"):
        assert _rows(dsn, f"SELECT count(*) FROM {table} WHERE release_id = %s", release_id) == [(0,)]
    assert {r[0] for r in _rows(dsn, "SELECT release FROM lcdb_best_lightcurve WHERE tic = %s AND kind = 'rule'",
                                REPROCESSED)} == {1}


def test_flux_best_in_load_tic_export_and_plot(best_db: tuple[str, list[Path]], client: Any, computed: Any,
                                               tmp_path: Path) -> None:
    dsn, _ = best_db
    with lightcurvedb.connect(dsn) as conn:
        lcs = load_tic(conn, NOISY, flux="best")
        ts = lcs.timeseries()
        assert ts.meta["FLUX_GROUP"] == "SPOC SAP" and "lowest cdpp-1h" in ts.meta["BEST_RULE"]
        assert np.array_equal(np.asarray(ts["flux"]), lcs.columns["sap_flux"], equal_nan=True)
        narrow = load_tic(conn, NOISY, flux="best", columns=["time", "flux"]).timeseries()  # only SAP is read
        assert narrow.meta["FLUX_GROUP"] == "SPOC SAP" and "sap_flux" not in narrow.colnames
        assert np.array_equal(np.asarray(narrow["flux"]), lcs.columns["sap_flux"], equal_nan=True)
        with pytest.raises(InvalidInput, match="best"):
            load_tic(conn, NOISY).flux("best")
    # no choice stored (yet): the product's default, and the metadata says so
    with psycopg.connect(dsn) as conn:
        conn.execute("DELETE FROM best_lightcurve WHERE target_id = (SELECT id FROM target WHERE name = %s)",
                     (25155310,))
    with lightcurvedb.connect(dsn) as conn:
        ts = load_tic(conn, 25155310, flux="best").timeseries()
    assert ts.meta["FLUX_GROUP"] == "SPOC PDCSAP" and "product default" in ts.meta["BEST_RULE"]
    assert compute_best(dsn, client=client).chosen == 1  # the metrics are kept: only the choice is made again
    fits_out, ecsv_out, png = tmp_path / "best.fits", tmp_path / "best.ecsv", tmp_path / "best.png"
    assert main(["--dsn", dsn, "export", str(NOISY), "-o", str(fits_out), "--flux", "best"]) == 0
    with fits.open(fits_out) as hdul:
        assert hdul[1].header["FLUX_GRP"] == "SPOC SAP" and "cdpp-1h" in hdul[1].header["BESTRULE"]
        assert np.array_equal(hdul[1].data["FLUX"], hdul[1].data["SAP_FLUX"], equal_nan=True)
    assert main(["--dsn", dsn, "export", str(NOISY), "-o", str(ecsv_out), "--flux", "BEST"]) == 0
    exported = read_export(ecsv_out)
    assert np.array_equal(np.asarray(exported["flux"]), np.asarray(exported["sap_flux"]), equal_nan=True)
    assert main(["--dsn", dsn, "plot", str(NOISY), "-o", str(png), "--flux", "best"]) == 0
    assert png.stat().st_size > 1000


def test_flux_best_in_to_lightkurve(best_db: tuple[str, list[Path]], computed: Any, tess_dir: Path) -> None:
    dsn, _ = best_db
    with lightcurvedb.connect(dsn) as conn:
        (lc,) = to_lightkurve(conn, NOISY, flux_column="best")
        (quiet,) = to_lightkurve(conn, QUIET, flux_column="best")
    expected = lk.read(tess_dir / "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits", flux_column="sap_flux")
    assert np.array_equal(_values(lc.flux), _values(expected.flux), equal_nan=True)
    assert lc.meta["FLUX_ORIGIN"] == "sap_flux" and lc.meta["FLUX_GROUP"] == "SPOC SAP"
    assert "cdpp-1h" in lc.meta["BEST_RULE"]
    assert quiet.meta["FLUX_GROUP"] == "QLP KSPSAP_FLUX_SML" and quiet.meta["FLUX_ORIGIN"] == "kspsap_flux_sml"


def test_flux_best_in_dask_lightcurves_and_hats(best_db: tuple[str, list[Path]], client: Any, computed: Any,
                                                tmp_path: Path) -> None:
    from lightcurvedb.scale.publish import publish_hats

    dsn, _ = best_db
    records = lightcurves(dsn, processing_group="best", part_size=4).compute(scheduler=client)
    choices = _choices(dsn)
    assert len(records) == len(choices)
    for rec in records:
        assert rec["flux_group"] == choices[(rec["tic"], rec["sector"], rec["product"])][0], rec["tic"]
        assert "lowest cdpp-1h" in rec["best_rule"]
    noisy = next(r for r in records if r["tic"] == NOISY)
    (sap,) = [r for r in lightcurves(dsn, processing_group="sap", sectors=[1]).compute(scheduler=client)
              if r["tic"] == NOISY]
    assert np.array_equal(noisy["flux"], sap["flux"], equal_nan=True)
    lsdb = pytest.importorskip("lsdb", reason="lsdb is the [scale] extra (in [dev])")
    out = tmp_path / "hats"
    totals = publish_hats(dsn, out, client=client, processing_group="best")
    assert totals["lightcurves"] >= 1
    frame = lsdb.read_hats(out).compute()
    row = frame[frame["tic"] == NOISY].iloc[0]
    assert np.array_equal(row["lightcurve"]["flux"].to_numpy(dtype=np.float64), sap["flux"].astype(np.float64),
                          equal_nan=True)


def test_cli_show_and_refusals(best_db: tuple[str, list[Path]], computed: Any,
                               capsys: pytest.CaptureFixture[str]) -> None:
    dsn, _ = best_db
    capsys.readouterr()
    assert main(["--dsn", dsn, "best", "show", str(NOISY), "--json"]) == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert (shown["best"], shown["kind"], shown["metric"]) == ("SPOC SAP", "rule", "cdpp-1h")
    assert set(shown["metrics"]) == {"SPOC SAP", "SPOC PDCSAP"}
    assert shown["metrics"]["SPOC SAP"]["cdpp_1h_ppm"] == pytest.approx(shown["metric_value"])
    assert main(["--dsn", dsn, "best", "show", str(NOISY)]) == 0
    assert "SPOC SAP *" in capsys.readouterr().out
    for argv, message in (
            (["best", "set", str(NOISY), "--sector", "1", "--flux", "KSPSAP_FLUX"], "has no processing group"),
            (["best", "set", str(NOISY), "--sector", "9", "--flux", "sap"], "no lightcurve in sector 9"),
            (["best", "set", "1", "--sector", "1", "--flux", "sap"], "not in the database"),
            (["best", "set", str(NOISY), "--sector", "1", "--flux", "best"], "not 'best'"),
            (["best", "compute", "--scheduler", "nowhere"], "not a scheduler address")):
        assert main(["--dsn", dsn, *argv]) == 2, argv
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (argv, err)
    with lightcurvedb.connect(dsn) as conn:
        with pytest.raises(UnknownFluxGroup):
            set_best(conn, NOISY, sector=1, flux="\x1b[31mnope")
        with pytest.raises(NotFound):
            set_best(conn, NOISY, sector=1, flux="sap", product="qlp")
    with pytest.raises(InvalidInput, match="cdpp-1h"):
        compute_best(dsn, client=None, metric="snr")
