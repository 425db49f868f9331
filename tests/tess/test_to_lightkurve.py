"""to_lightkurve against lightkurve itself: for every product file, what the database hands back equals
`lightkurve.read(<the file>)` column by column, meta key by meta key, for every quality preset; normalize and stitch
too. The export's own presets (`--quality-bitmask`, no lightkurve needed) keep the same rows as lightkurve."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st

import lightcurvedb
from lightcurvedb.cli import main
from lightcurvedb.errors import InvalidInput, MissingDependency, NotFound
from lightcurvedb.tess import ingest_paths, read_lightcurve, to_lightkurve
from lightcurvedb.tess import quality as q
from lightcurvedb.tess.export import read_export

from .product_fixtures import write_fixture

lk = pytest.importorskip("lightkurve", reason="lightkurve is part of the [dev] extra")

PRESETS = ("none", "default", "hard", "hardest")
META = ("LABEL", "MISSION", "TICID", "TARGETID", "SECTOR", "CAMERA", "CCD", "RA", "DEC", "FLUX_ORIGIN", "AUTHOR",
        "QUALITY_BITMASK", "FILENAME", "OBJECT", "TELESCOP", "NORMALIZED")
SPOC_24 = "tess2020106103520-s0024-0000000039903405-0180-s_lc.fits"
TESS_SPOC_24 = "hlsp_tess-spoc_tess_phot_0000000039903405-s0024_tess_v1_lc.fits"


def _reference(path: Path, preset: str | int, **options: Any) -> Any:
    """`lightkurve.read(path, quality_bitmask=preset)`. Where lightkurve's reader fails on the mask (its TGLC
    reader: the int16 TESS_flags & 65535 overflows under NumPy 2, a lightkurve bug), the file's truth: read with
    "none", then lightkurve's own TessQualityFlags mask on the flags as int64."""
    try:
        return lk.read(str(path), quality_bitmask=preset, **options)
    except lk.utils.LightkurveError as exc:
        if not isinstance(exc.__cause__, OverflowError):
            raise
        lc = lk.read(str(path), quality_bitmask="none", **options)
        keep = lk.utils.TessQualityFlags.create_quality_mask(np.asarray(lc["quality"]).astype(np.int64), preset)
        out = lc[keep]
        out.meta["QUALITY_BITMASK"], out.meta["QUALITY_MASK"] = preset, keep
        return out


def _equal_meta(a: Any, b: Any) -> bool:
    if type(a).__name__ == "Undefined" and type(b).__name__ == "Undefined":
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    if type(a).__name__ == "_HeaderCommentaryCards":
        return list(a) == list(b)
    if isinstance(a, float) and isinstance(b, float) and np.isnan(a) and np.isnan(b):
        return True
    return bool(a == b)


def _cdips_truth(path: Path, lc: Any) -> np.ndarray[Any, Any]:
    """The file's TMID_BJD of the rows `lc` kept, as BTJD (TMID_BJD - 2457000: CDIPS writes full BJD)."""
    with fits.open(path) as hdul:
        bjd = np.asarray(hdul[1].data["TMID_BJD"], dtype=np.float64)
    return (bjd[np.isfinite(bjd)] - 2457000.0)[np.asarray(lc.meta["QUALITY_MASK"], dtype=bool)]


def assert_same_lightcurve(ours: Any, ref: Any, what: str, *, path: Path | None = None) -> None:
    """Column by column (names, order, dtype, unit, NaN-equal values), time (format, scale, values) and meta."""
    assert type(ours) is type(ref), what
    assert ours.colnames == ref.colnames, what
    assert len(ours) == len(ref), what
    assert ours.time.format == ref.time.format == "btjd" and ours.time.scale == ref.time.scale == "tdb", what
    if ref.meta.get("AUTHOR") == "CDIPS" and path is not None:  # lightkurve's CDIPS reader: full BJD read as BTJD
        truth = _cdips_truth(path, ref)
        assert np.array_equal(ours.time.value, truth), what
        assert np.array_equal(ref.time.value, truth) or np.array_equal(ref.time.value, truth + 2457000.0), what
    else:
        assert np.array_equal(ours.time.value, ref.time.value), what
    for name in ref.colnames:
        if name == "time":
            continue
        a, b = ours[name], ref[name]
        assert getattr(a, "unit", None) == getattr(b, "unit", None), f"{what}: {name} unit"
        va, vb = np.asarray(getattr(a, "value", a)), np.asarray(getattr(b, "value", b))
        assert va.dtype == vb.dtype, f"{what}: {name} dtype {va.dtype} != {vb.dtype}"
        assert np.array_equal(va, vb, equal_nan=va.dtype.kind == "f"), f"{what}: {name} values"
    assert set(ours.meta) == set(ref.meta), f"{what}: meta keys {set(ours.meta) ^ set(ref.meta)}"
    for key in ref.meta:
        assert _equal_meta(ours.meta[key], ref.meta[key]), f"{what}: meta {key} {ours.meta[key]!r} {ref.meta[key]!r}"
    for key in META:  # the keys lightkurve's readers set are there (where lightkurve sets them)
        if key in ref.meta:
            assert key in ours.meta, f"{what}: meta {key}"


def _one(dsn: str, path: Path, preset: str | int = "default", **options: Any) -> Any:
    info = read_lightcurve(path)
    with lightcurvedb.connect(dsn) as conn:
        collection = to_lightkurve(conn, info.tic_id, product=info.product, sectors=[info.sector],
                                   quality_bitmask=preset, **options)
    assert len(collection) == 1
    return collection[0]


@pytest.fixture
def no_file_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail on any temporary file or FITS write: to_lightkurve builds its lightcurves in memory."""
    import tempfile

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a file was written")

    for owner, name in ((fits.HDUList, "writeto"), (fits.BinTableHDU, "writeto"), (tempfile, "mkdtemp"),
                        (tempfile, "mkstemp"), (tempfile, "TemporaryDirectory"), (tempfile, "NamedTemporaryFile")):
        monkeypatch.setattr(owner, name, refuse)


@pytest.mark.slow
@pytest.mark.parametrize("preset", PRESETS)
@pytest.mark.usefixtures("no_file_written")
def test_every_product_equals_lightkurve_read(products: tuple[str, list[Path]], preset: str) -> None:
    dsn, files = products
    assert len(files) == 17  # 11 real files, 6 documented layouts
    for path in files:
        ours, ref = _one(dsn, path, preset), _reference(path, preset)
        assert_same_lightcurve(ours, ref, f"{path.name} {preset}", path=path)
        assert ours.meta["FILENAME"] == str(path)
        if preset == "default" and np.isfinite(np.asarray(ref.flux.value)).any():
            assert_same_lightcurve(ours.normalize(), ref.normalize(), f"{path.name} normalized", path=path)


def test_integer_bitmask_and_flux_column(products: tuple[str, list[Path]]) -> None:
    dsn, files = products
    by_name = {p.name: p for p in files}
    spoc = by_name["tic55525572_lc.fits"]
    assert_same_lightcurve(_one(dsn, spoc, 4 | 128 | 1024), _reference(spoc, 4 | 128 | 1024), "integer bitmask")
    assert_same_lightcurve(_one(dsn, spoc, flux_column="sap_flux"), _reference(spoc, "default", flux_column="sap_flux"),
                           "sap_flux")
    qlp = next(p for p in files if p.name.startswith("hlsp_qlp") and "s0024" in p.name)
    assert_same_lightcurve(_one(dsn, qlp, "hard", flux_column="kspsap_flux"),
                           _reference(qlp, "hard", flux_column="kspsap_flux"), "qlp kspsap_flux")


def test_collection_and_stitch_of_two_products(products: tuple[str, list[Path]]) -> None:
    dsn, files = products
    by_name = {p.name: p for p in files}
    with lightcurvedb.connect(dsn) as conn:
        ours = to_lightkurve(conn, 39903405)
        only = to_lightkurve(conn, 39903405, product="TESS-SPOC")
    refs = sorted((lk.read(str(by_name[n])) for n in (SPOC_24, TESS_SPOC_24)), key=lambda lc: lc.time.value[0])
    assert [lc.meta["AUTHOR"] for lc in ours] == [lc.meta["AUTHOR"] for lc in refs]
    for a, b in zip(ours, refs, strict=True):
        assert_same_lightcurve(a, b, b.meta["AUTHOR"])
    assert_same_lightcurve(ours.stitch(), lk.LightCurveCollection(refs).stitch(), "stitch")
    assert [lc.meta["AUTHOR"] for lc in only] == ["TESS-SPOC"]


def test_stitch_across_sectors_and_products(module_dsn: str, tmp_path: Path) -> None:
    """One star in QLP sectors 24 and 56 and PATHOS sector 24 (fixtures of the documented layouts)."""
    files = [write_fixture("qlp", tmp_path, tic=410000001, sector=24),
             write_fixture("qlp-s56", tmp_path, tic=410000001, sector=56),
             write_fixture("pathos", tmp_path, tic=410000001, sector=24)]
    assert not ingest_paths(module_dsn, files).failed
    for preset in PRESETS:
        with lightcurvedb.connect(module_dsn) as conn:
            ours = to_lightkurve(conn, 410000001, quality_bitmask=preset)
            qlp_only = to_lightkurve(conn, 410000001, product="qlp", sectors=[56], quality_bitmask=preset)
        refs = sorted((lk.read(str(f), quality_bitmask=preset) for f in files), key=lambda lc: lc.time.value[0])
        assert len(ours) == 3 and len(qlp_only) == 1
        for a, b in zip(ours, refs, strict=True):
            assert_same_lightcurve(a, b, f"{b.meta['AUTHOR']} {b.meta['SECTOR']} {preset}")
        assert_same_lightcurve(ours.stitch(), lk.LightCurveCollection(refs).stitch(), f"stitch {preset}")
        assert_same_lightcurve(qlp_only[0], lk.read(str(files[1]), quality_bitmask=preset), "qlp s56")


def test_errors(products: tuple[str, list[Path]], monkeypatch: pytest.MonkeyPatch) -> None:
    dsn, _ = products
    with lightcurvedb.connect(dsn) as conn:
        with pytest.raises(InvalidInput, match="quality bitmask 'bogus'"):
            to_lightkurve(conn, 55525572, quality_bitmask="bogus")
        with pytest.raises(InvalidInput, match="non-negative"):
            to_lightkurve(conn, 55525572, quality_bitmask=-1)
        with pytest.raises(InvalidInput, match="lightkurve cannot read TIC 55525572"):
            to_lightkurve(conn, 55525572, flux_column="no_such_column")
        with pytest.raises(NotFound, match="TIC 1 is not in the database"):
            to_lightkurve(conn, 1)
        with pytest.raises(NotFound):
            to_lightkurve(conn, 55525572, sectors=[40])
        monkeypatch.setitem(sys.modules, "lightkurve", None)  # as if the extra were not installed
        with pytest.raises(MissingDependency, match=r"tess-lightcurvedb\[lightkurve\]"):
            to_lightkurve(conn, 55525572)


@settings(max_examples=150, deadline=None)
@given(flags=st.lists(st.integers(0, 2**16 - 1) | st.sampled_from([2**12, 2**30, 2**17, 2**18]), min_size=1,
                      max_size=40),
       preset=st.sampled_from(PRESETS), sector=st.sampled_from([1, 24, 55, 56, 70]),
       product=st.sampled_from(["spoc", "tess-spoc", "tglc", "pathos", "qlp", "gsfc-eleanor-lite"]))
def test_presets_are_lightkurves(flags: list[int], preset: str, sector: int, product: str) -> None:
    """The export's masks (no lightkurve needed) against lightkurve's TessQualityFlags and its readers' extra
    bits: QLP's low-precision bit in hard/hardest (4096 before sector 56, 2**30 from it), eleanor's 17 and 18."""
    quality = np.array(flags, dtype=np.int64)
    expected = lk.utils.TessQualityFlags.create_quality_mask(quality, preset)
    if product == "qlp" and preset in ("hard", "hardest"):
        expected &= lk.utils.TessQualityFlags.create_quality_mask(quality, 2**30 if sector >= 56 else 2**12)
    if product == "gsfc-eleanor-lite" and preset == "hardest":
        expected = lk.utils.TessQualityFlags.create_quality_mask(
            quality, lk.utils.TessQualityFlags.HARDEST_BITMASK | 2**17 | 2**18)
    ours = q.good_cadences(quality, q.bitmask_for(preset, product=product, sector=sector))
    assert np.array_equal(ours, expected)
    assert q.PRESETS == lk.utils.TessQualityFlags.OPTIONS


def test_cli_export_masks_and_normalizes_like_lightkurve(products: tuple[str, list[Path]], tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`lcdb export --quality-bitmask P --normalize` keeps lightkurve's rows (those with a time) and its
    normalised flux, for every product with a bitmask (CDIPS has none: its IRQ letters are columns)."""
    dsn, files = products
    for path in files:
        info = read_lightcurve(path)
        if info.product == "cdips":
            continue
        for preset in PRESETS:
            out = tmp_path / f"{path.stem}-{preset}.ecsv"
            assert main(["--dsn", dsn, "export", str(info.tic_id), "-o", str(out), "--product", info.product,
                         "--sector", str(info.sector), "--quality-bitmask", preset, "--normalize"]) == 0
            back = read_export(out)
            timed = ~np.asarray(back["time"].mask)
            ref = _reference(path, preset, flux_column=back.meta["FLUX_ORIGIN"])  # the export's flux column
            assert np.array_equal(back["time"].btjd[timed], ref.time.value), f"{path.name} {preset}"
            flags = "quality" if "quality" in ref.colnames else "dquality"  # lightkurve's PATHOS: dquality only
            assert np.array_equal(np.asarray(back["quality"])[timed], np.asarray(ref[flags])), path.name
            if np.isfinite(np.asarray(ref.flux.value)).any():
                normalized = ref.normalize()
                flux = np.asarray(back["flux"])[timed]
                assert flux.dtype == normalized.flux.value.dtype, path.name
                assert np.array_equal(flux, normalized.flux.value, equal_nan=True), f"{path.name} {preset}"
            assert back.meta["QUALITY_BITMASK"] == preset and back.meta["NORMALIZED"] is True
    capsys.readouterr()
    with pytest.raises(SystemExit) as exited:  # argparse's usage error
        main(["--dsn", dsn, "export", "55525572", "-o", str(tmp_path / "x.ecsv"), "--quality-bitmask", "often"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "often" in err and "Traceback" not in err


def test_cli_plot_masks_and_normalizes(products: tuple[str, list[Path]], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    dsn, _ = products
    out = tmp_path / "star.png"
    assert main(["--dsn", dsn, "plot", "39903405", "-o", str(out), "--quality-bitmask", "hard", "--normalize"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


_PLAIN_OPEN_ALL = """
import sys
from astropy.table import Table
for name in sys.argv[1:]:
    t = Table.read(name, format="ascii.ecsv" if name.endswith(".ecsv") else "ascii.csv")
    assert str(t["time"].dtype) == "float64", (name, t["time"].dtype)
    print(name, len(t), t.meta.get("TIME_FORMAT"), t.meta.get("TIME_REFERENCE"))
assert not any(m.split(".")[0] in ("lightcurvedb", "lightkurve") for m in sys.modules)
"""


def test_every_export_opens_with_plain_astropy(products: tuple[str, list[Path]], tmp_path: Path) -> None:
    """Every product's ECSV and CSV export (masked and normalised ones too) opens with astropy alone."""
    dsn, files = products
    outputs = []
    for i, path in enumerate(files):
        info = read_lightcurve(path)
        for suffix in (".ecsv", ".csv"):
            out = tmp_path / f"{path.stem}{suffix}"
            extra = ["--quality-bitmask", "hard", "--normalize"] if i % 2 else []
            assert main(["--dsn", dsn, "export", str(info.tic_id), "-o", str(out), "--product", info.product,
                         "--sector", str(info.sector), *extra]) == 0
            outputs.append(out)
    proc = subprocess.run([sys.executable, "-c", _PLAIN_OPEN_ALL, *map(str, outputs)], capture_output=True,
                          text=True, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(outputs)
    for line in lines:
        name, rows, fmt, *reference = line.split(maxsplit=3)
        assert int(rows) > 0
        if name.endswith(".ecsv"):
            assert fmt == "btjd" and reference == ["JD 2457000.0 (TDB)"], line


def test_guide_from_lightkurve(products: tuple[str, list[Path]], monkeypatch: pytest.MonkeyPatch) -> None:
    """The lightkurve guide's lines (docs/guides/lightkurve.md): the lightkurve user's three lines and ours give the
    same stitch."""
    dsn, files = products
    by_name = {p.name: p for p in files}
    guide = (Path(__file__).resolve().parents[2] / "docs" / "guides" / "lightkurve.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", guide, flags=re.DOTALL)
    theirs, = (b for b in blocks if "lk.read(" in b)
    ours, = (b for b in blocks if "to_lightkurve(" in b)
    files_in_time_order = [by_name[SPOC_24], by_name[TESS_SPOC_24]]  # SPOC 2-min starts 40 min before TESS-SPOC
    user: dict[str, Any] = {"files": [str(f) for f in files_in_time_order]}
    exec(compile(theirs, "lightkurve.md#lightkurve-user", "exec"), user)  # noqa: S102
    monkeypatch.setenv("LCDB_DSN", dsn)
    database: dict[str, Any] = {}
    exec(compile(ours, "lightkurve.md#database", "exec"), database)  # noqa: S102
    assert_same_lightcurve(database["lc"], user["lc"], "guide stitch")
