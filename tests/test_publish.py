"""`lcdb publish hats`: a HATS catalog read back with lsdb equals `lcdb export` value by value, and an LSDB cone
search returns the targets `lcdb search` returns."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import pytest

import lightcurvedb
from lightcurvedb import sky
from lightcurvedb.cli import main
from lightcurvedb.errors import OutputFileError
from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.export import read_export
from lightcurvedb.tess.synthetic import SAMPLE, SyntheticTarget, write_sample

lsdb = pytest.importorskip("lsdb", reason="lsdb is the [scale] extra (in [dev])")
distributed = pytest.importorskip("distributed", reason="Dask is the [scale] extra (in [dev])")
from lightcurvedb.scale.publish import NESTED, publish_hats  # noqa: E402

pytestmark = pytest.mark.slow


def _stars() -> tuple[SyntheticTarget, ...]:
    """The sample plus 40 quiet stars spread over the sky, some at the poles and across RA 0/360."""
    rng = np.random.default_rng(7)
    ras = [*rng.uniform(0, 360, 30), 0.01, 359.99, 0.02, 359.98, 120.0, 240.0, 10.0, 200.0, 45.0, 300.0]
    decs = [*rng.uniform(-80, 80, 30), -10.0, -10.001, 10.0, 10.002, 89.9, 89.95, -89.9, -89.95, 0.0, 0.0]
    extra = tuple(SyntheticTarget(910000000 + i, (10,), 1 + i % 4, 1 + (i // 4) % 4, 1000.0 + 10 * i,
                                  ra=float(ra), dec=float(dec)) for i, (ra, dec) in enumerate(zip(ras, decs,
                                                                                                   strict=True)))
    return SAMPLE + extra


@pytest.fixture(scope="module")
def sky_dsn(clone_db: Callable[[str], AbstractContextManager[str]], tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[str]:
    out = tmp_path_factory.mktemp("stars")
    write_sample(out, sample=_stars())
    with clone_db("lcdb_hats") as dsn:
        assert not ingest_paths(dsn, [out]).failed
        yield dsn


@pytest.fixture(scope="module")
def catalog(sky_dsn: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("hats") / "lightcurves"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        totals = publish_hats(sky_dsn, out, client=client, targets_per_part=7)
    return out, totals


def test_the_catalog_equals_the_export(sky_dsn: str, catalog: tuple[Path, dict[str, int]], tmp_path: Path) -> None:
    out, totals = catalog
    stars = _stars()
    assert totals["targets"] == len(stars) and totals["unplaced"] == 0
    assert totals["lightcurves"] == sum(len(s.sectors) for s in stars)
    frame = lsdb.read_hats(out).compute()
    assert sorted(frame["tic"]) == sorted(s.tic_id for s in stars)
    with lightcurvedb.connect(sky_dsn) as conn:
        for star in stars:
            row = frame[frame["tic"] == star.tic_id].iloc[0]
            position = sky.cone_search(conn, ra=star.ra, dec=star.dec, radius=1.0)[0]
            assert (row["ra"], row["dec"], row["tmag"]) == (position.ra, position.dec, position.tessmag)
            nested = row[NESTED]
            export = tmp_path / f"{star.tic_id}.ecsv"
            assert main(["--dsn", sky_dsn, "export", str(star.tic_id), "-o", str(export)]) == 0
            ts = read_export(export)
            time = np.ma.filled(np.ma.masked_array(ts["time"].btjd, mask=ts["time"].mask), np.nan)
            assert np.array_equal(nested["time"].to_numpy(dtype=np.float64), time, equal_nan=True)
            for name in ("flux", "flux_err"):
                ours = nested[name].to_numpy(dtype=np.float64)
                assert np.array_equal(ours, np.asarray(ts[name], dtype=np.float64), equal_nan=True), name
            assert np.array_equal(nested["quality"].to_numpy(), np.asarray(ts["quality"]))
            assert np.array_equal(nested["sector"].to_numpy(), np.asarray(ts["sector"]))
            assert set(nested["product"]) == {"spoc"}


@pytest.mark.parametrize(("ra", "dec", "radius"), [(150.2, -40.3, 3600.0), (0.0, -10.0, 7200.0),
                                                   (0.0, 10.0, 36.0), (0.0, 89.99, 900.0), (180.0, -90.0, 1800.0),
                                                   (100.0, 0.0, 60 * 3600.0)])
def test_an_lsdb_cone_search_finds_what_lcdb_search_finds(sky_dsn: str, catalog: tuple[Path, dict[str, int]],
                                                          capsys: pytest.CaptureFixture[str], ra: float, dec: float,
                                                          radius: float) -> None:
    out, _ = catalog
    found = lsdb.read_hats(out).cone_search(ra=ra, dec=dec, radius_arcsec=radius).compute()
    assert main(["--dsn", sky_dsn, "search", "--ra", str(ra), "--dec", str(dec), "--radius", str(radius),
                 "--json"]) == 0
    ours = {r["tic"] for r in json.loads(capsys.readouterr().out)}
    assert set(found["tic"]) == ours


def test_cli_refuses_to_overwrite_and_reports_unplaced_targets(sky_dsn: str, catalog: tuple[Path, dict[str, int]],
                                                               tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = catalog
    before = sorted(p.name for p in out.rglob("*"))
    assert main(["--dsn", sky_dsn, "publish", "hats", str(out), "--workers", "1"]) == 2
    assert "exists; pass --overwrite" in capsys.readouterr().err
    assert sorted(p.name for p in out.rglob("*")) == before
    with pytest.raises(OutputFileError, match="does not exist"):
        publish_hats(sky_dsn, tmp_path / "missing" / "cat", client=None)
    with lightcurvedb.connect(sky_dsn) as conn, conn.transaction():
        conn.execute("DELETE FROM target_position WHERE target_id = (SELECT id FROM target WHERE name = %s)",
                     [SAMPLE[1].tic_id])
    target = tmp_path / "sector11"
    assert main(["--dsn", sky_dsn, "publish", "hats", str(target), "--sectors", "11", "--workers", "1"]) == 0
    text = capsys.readouterr().out
    in_11 = [t for t in SAMPLE if 11 in t.sectors]
    assert f"{len(in_11) - 1} target(s), {len(in_11)} lightcurve(s)" in text
    assert "1 target(s) without a stored position left out" in text
    assert sorted(lsdb.read_hats(target).compute()["tic"]) == sorted(t.tic_id for t in in_11 if t != SAMPLE[1])
    assert main(["--dsn", sky_dsn, "publish", "hats", str(target), "--sectors", "12", "--overwrite",
                 "--workers", "1"]) == 0
    assert list(lsdb.read_hats(target).compute()["tic"]) == [t.tic_id for t in SAMPLE if 12 in t.sectors]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lcdb-partial-")]
    assert main(["--dsn", sky_dsn, "publish", "hats", str(tmp_path / "bad"), "--columns", "time,nosuch",
                 "--workers", "1"]) == 2
    assert "'nosuch'" in capsys.readouterr().err and not (tmp_path / "bad").exists()
    narrow = tmp_path / "narrow"
    assert main(["--dsn", sky_dsn, "publish", "hats", str(narrow), "--sectors", "12", "--columns", "time,flux",
                 "--workers", "1"]) == 0
    nested = lsdb.read_hats(narrow).compute()["lightcurve"]
    assert list(nested.nest.keys()) == ["time", "flux", "sector", "product"]


def test_overwrite_replaces_only_a_catalog(sky_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--overwrite` never deletes a directory that is not a HATS catalog (nor a file, nor a link to one)."""
    important = tmp_path / "pub" / "important"
    (important / "sub").mkdir(parents=True)
    (important / "precious.txt").write_text("data\n")
    (tmp_path / "file.txt").write_text("keep\n")
    (tmp_path / "link").symlink_to(important)
    for victim in (important, tmp_path / "file.txt", tmp_path / "link"):
        assert main(["--dsn", sky_dsn, "publish", "hats", str(victim), "--overwrite", "--workers", "1"]) == 2
        err = capsys.readouterr().err
        assert "is not a HATS catalog" in err and "Traceback" not in err
    assert (important / "precious.txt").read_text() == "data\n" and (important / "sub").is_dir()
    assert (tmp_path / "file.txt").read_text() == "keep\n" and (tmp_path / "link").is_symlink()
