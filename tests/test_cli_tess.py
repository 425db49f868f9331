"""`lcdb ingest | show | export | plot | demo` end to end through `lightcurvedb.cli.main` with `--dsn`."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import psycopg
import pytest
from astropy.io import fits

from lightcurvedb.cli import main
from lightcurvedb.tess.export import read_export
from lightcurvedb.tess.synthetic import SAMPLE, write_sample

FILE_2 = "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits"
FILE_3 = "hlsp_tess-data-alerts_tess_phot_00055652896-s01_tess_v1_lc.fits"
TGLC = "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits"
TABLES = ("target", "observation", "dataset", "target_specific_time", "quality_flag_array")


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}  # type: ignore[index]


def test_ingest_show_export_plot(fresh_dsn: str, tess_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for name in (FILE_2, FILE_3, TGLC):
        shutil.copy(tess_dir / name, data / name)
    assert main(["--dsn", fresh_dsn, "ingest", str(data), "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert "3 added, 0 skipped, 0 failed" in out
    before = _counts(fresh_dsn)
    assert before["observation"] == 2  # files 2 and 3 share one

    assert main(["--dsn", fresh_dsn, "ingest", str(data / FILE_2), str(data / FILE_3)]) == 0
    assert "0 added, 2 skipped, 0 failed" in capsys.readouterr().out
    assert _counts(fresh_dsn) == before

    assert main(["--dsn", fresh_dsn, "show", "25155310"]) == 0
    out = capsys.readouterr().out
    assert "TIC 25155310" in out and "20076" in out and "1973" in out and "SPOC PDCSAP" in out

    for suffix in (".ecsv", ".csv", ".fits"):
        target = tmp_path / f"tic25155310{suffix}"
        assert main(["--dsn", fresh_dsn, "export", "25155310", "-o", str(target)]) == 0
        back = read_export(target)
        assert len(back) == 20076
        with fits.open(tess_dir / FILE_2) as hdul:
            assert np.array_equal(np.asarray(back["flux"], dtype=np.float64),
                                  hdul[1].data["PDCSAP_FLUX"].astype(np.float64), equal_nan=True)
    assert main(["--dsn", fresh_dsn, "export", "25155310", "-o", str(tmp_path / "sap.ecsv"), "--flux", "SAP"]) == 0
    assert "flux = SPOC SAP" in capsys.readouterr().out

    png = tmp_path / "plot.png"
    assert main(["--dsn", fresh_dsn, "plot", "389023759", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_files_fail_typed_and_write_nothing(fresh_dsn: str, tess_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    truncated = tmp_path / "truncated_lc.fits"
    truncated.write_bytes((tess_dir / "tic55525572_lc.fits").read_bytes()[:1_500_000])
    text = tmp_path / "notes.txt"
    text.write_text("not FITS")
    no_lc = tmp_path / "image.fits"
    fits.HDUList([fits.PrimaryHDU(np.zeros((2, 2)))]).writeto(no_lc)
    before = _counts(fresh_dsn)
    assert main(["--dsn", fresh_dsn, "ingest", str(truncated), str(text), str(no_lc)]) == 1
    out = capsys.readouterr().out
    assert "0 added, 0 skipped, 3 failed" in out
    for path in (truncated, text, no_lc):
        assert f"failed: {path}: [FitsFormatError]" in out
    assert "no LIGHTCURVE extension" in out and "truncated" in out
    assert _counts(fresh_dsn) == before


def test_errors_for_unknown_target_and_format(fresh_dsn: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dsn", fresh_dsn, "show", "1"]) == 2
    assert "TIC 1 is not in the database" in capsys.readouterr().err
    assert main(["--dsn", fresh_dsn, "export", "1", "-o", str(tmp_path / "x.parquet")]) == 2
    assert "unknown export format" in capsys.readouterr().err


def test_demo(fresh_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["--dsn", fresh_dsn, "demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    star = SAMPLE[0].tic_id
    assert "6 added, 0 skipped, 0 failed" in text and f"TIC {star}" in text
    for suffix in (".ecsv", ".fits", ".csv", ".png"):
        assert (out / f"tic{star}{suffix}").is_file()
        assert str(out / f"tic{star}{suffix}") in text
    assert len(list((out / "fits").glob("*-s_lc.fits"))) == 6
    back = read_export(out / f"tic{star}.ecsv")
    assert sorted(set(back["sector"])) == list(SAMPLE[0].sectors)


def test_plot_without_matplotlib_is_a_typed_error_and_demo_skips_it(
    fresh_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib…` now raises ImportError
    assert main(["--dsn", fresh_dsn, "demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "plot skipped" in out
    assert "tess-lightcurvedb[plot]" in out
    assert not list((tmp_path / "demo").glob("*.png"))
    assert main(["--dsn", fresh_dsn, "plot", "900000001", "-o", str(tmp_path / "x.png")]) == 2
    assert "tess-lightcurvedb[plot]" in capsys.readouterr().err


def test_demo_refuses_to_replace_its_files_without_overwrite(fresh_dsn: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["--dsn", fresh_dsn, "demo", "--out", str(out)]) == 0
    star = SAMPLE[0].tic_id
    (out / f"tic{star}.csv").write_text("mine\n")
    (out / "notes.txt").write_text("not the demo's\n")
    capsys.readouterr()
    assert main(["--dsn", fresh_dsn, "demo", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "--overwrite" in err and "Traceback" not in err
    assert (out / f"tic{star}.csv").read_text() == "mine\n"
    assert main(["--dsn", fresh_dsn, "demo", "--out", str(out), "--overwrite"]) == 0
    assert (out / f"tic{star}.csv").read_text() != "mine\n"
    assert (out / "notes.txt").read_text() == "not the demo's\n"


def test_file_names_are_printed_escaped_never_rendered(fresh_dsn: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """A directory name with rich markup, a terminal escape sequence and a bell: shown as text by `lcdb releases`
    and in an ingest failure line, never interpreted by rich or by the terminal."""
    hostile = tmp_path / "[reverse]r[/reverse][link=https:x.example]l[/link]\x1b[31mE\x07"
    files = write_sample(hostile, sample=SAMPLE[2:])
    (hostile / "broken.fits").write_bytes(b"SIMPLE  =")
    assert main(["--dsn", fresh_dsn, "ingest", str(hostile)]) == 1
    out = capsys.readouterr().out
    assert main(["--dsn", fresh_dsn, "releases", str(SAMPLE[2].tic_id)]) == 0
    out += capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert out.count("[reverse]r[/reverse][link=https:x.example]l[/link]\\x1b[31mE\\x07") == 1 + len(files)
