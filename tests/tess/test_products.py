"""Product identity: every real file and every documented layout is told apart by headers and name and read as
its own product (never as SPOC); files that are no TIC target's archive product are refused with a reason."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from astropy.io import fits

from lightcurvedb.errors import FitsFormatError
from lightcurvedb.tess import read_lightcurve
from lightcurvedb.tess.products import PRODUCTS, canonical, identify

from .product_fixtures import write_fixture

SPOC_2MIN = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
OUTCOMES = {  # every file of ../shared/data/tess: the product read, or the words of its refusal
    "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits": "spoc",
    "hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits": "spoc",
    "hlsp_tess-data-alerts_tess_phot_00055652896-s01_tess_v1_lc.fits": "spoc",
    "hlsp_tess-data-alerts_tess_phot_00160148385-s02_tess_v1_lc.fits": "spoc",
    "tic55525572_lc.fits": "spoc",
    "tess2019032160000-s0008-0000000413248763-0136-s_lc.fits": "spoc",
    "tess2020106103520-s0024-0000000039903405-0180-s_lc.fits": "spoc",
    "tess2021204101404-s0041-0000000256364928-0212-s_lc.fits": "spoc",
    "hlsp_tglc_tess_ffi_gaiaid-6399196263939178880-s0001-cam2-ccd1_tess_v1_llc.fits": "tglc",
    "hlsp_tess-spoc_tess_phot_0000000039903405-s0024_tess_v1_lc.fits": "tess-spoc",
    "hlsp_tglc_tess_ffi_gaiaid-5707485527450614656-s0034-cam2-ccd3_tess_v2_llc.fits": "tglc",  # derived grid
    "hlsp_tess-3i_tess_ffi_3iatlas-s1751-cam2-ccd3_tess_v1.2_lc.fits": "refused: a solar-system object",
    "TRAPPIST-1_lightcurve.fits": "refused: a file written by lightkurve",
}


def test_every_shared_file_has_an_expected_outcome(tess_dir: Path) -> None:
    assert sorted(p.name for p in tess_dir.glob("*.fits")) == sorted(OUTCOMES)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_real_files(tess_dir: Path, name: str) -> None:
    expected = OUTCOMES[name]
    if expected.startswith("refused: "):
        with pytest.raises(FitsFormatError) as info:
            read_lightcurve(tess_dir / name)
        assert expected.removeprefix("refused: ") in str(info.value)
        assert "\n" not in str(info.value)
    else:
        assert read_lightcurve(tess_dir / name).product == expected


def test_a_renamed_spoc_file_is_told_by_origin_and_cadence(tess_dir: Path, tmp_path: Path) -> None:
    renamed = tmp_path / "star.fits"
    renamed.write_bytes((tess_dir / SPOC_2MIN).read_bytes())
    assert read_lightcurve(renamed).product == "spoc"
    fast = tmp_path / "fast.fits"
    fast.write_bytes(write_fixture("spoc-fast", tmp_path).read_bytes())
    assert read_lightcurve(fast).product == "spoc-fast"  # ORIGIN NASA/Ames, TIMEDEL 20 s
    ffi = tmp_path / "ffi.fits"
    ffi.write_bytes((tess_dir / "hlsp_tess-spoc_tess_phot_0000000039903405-s0024_tess_v1_lc.fits").read_bytes())
    assert read_lightcurve(ffi).product == "tess-spoc"  # ORIGIN NASA/Ames, TIMEDEL 30 min


@pytest.mark.parametrize("kind", ["qlp", "qlp-s56", "spoc-fast", "gsfc-eleanor-lite", "cdips", "pathos"])
def test_documented_layouts_are_read_as_their_own_product(tmp_path: Path, kind: str) -> None:
    path = write_fixture(kind, tmp_path)
    lc = read_lightcurve(path)
    assert lc.product == kind.removesuffix("-s56")
    assert all(c.group is None or not c.group.startswith("SPOC") for c in lc.layout) or lc.product == "spoc-fast"
    if kind.startswith("qlp"):  # QLP shares TIME, CADENCENO, QUALITY and SAP_FLUX with SPOC, under its own groups
        assert {c.group for c in lc.layout if c.name == "SAP_FLUX"} == {"QLP SAP_FLUX"}
        renamed = tmp_path / "renamed.fits"
        renamed.write_bytes(path.read_bytes())
        assert read_lightcurve(renamed).product == "qlp"  # ORIGIN 'MIT/QLP'


@pytest.mark.parametrize(("file_name", "primary", "timedel", "product"), [
    ("hlsp_gsfc-eleanor-lite_tess_ffi_s0010-0000000012345678_tess_v1.0_lc.fits", {}, None, "gsfc-eleanor-lite"),
    ("hlsp_cdips_tess_ffi_gaiatwo0001-0010-cam1-ccd1_tess_v01_llc.fits", {}, None, "cdips"),
    ("hlsp_pathos_tess_lightcurve_tic-0000000012345678-s0010_tess_v1_llc.fits", {}, None, "pathos"),
    ("x.fits", {"ORIGIN": "MIT/QLP"}, 1 / 48, "qlp"),
    ("x.fits", {"ORIGIN": "UCSB/TGLC"}, 1 / 48, "tglc"),
    ("x.fits", {"ORIGIN": "NASA/Ames"}, 2 / 1440, "spoc"),
    ("x.fits", {"ORIGIN": "NASA/Ames"}, 20 / 86400, "spoc-fast"),
    ("x.fits", {"ORIGIN": "NASA/Ames"}, 10 / 1440, "tess-spoc"),
    ("x.fits", {"ORIGIN": "NASA/Ames"}, 200 / 86400, "tess-spoc"),
    ("tess2019000000000-s0010-0000000012345678-0000-a_fast-lc.fits", {}, 2 / 1440, "spoc-fast"),
    ("x.fits", {"ORIGIN": "somebody"}, 2 / 1440, None),
])
def test_identify(file_name: str, primary: dict[str, object], timedel: float | None, product: str | None) -> None:
    table = fits.Header() if timedel is None else fits.Header([("TIMEDEL", timedel)])
    found = identify(file_name, primary, table, ["PRIMARY", "LIGHTCURVE"])
    assert found.product == product and found.evidence


def test_canonical_names() -> None:
    assert [canonical(p.upper()) for p in PRODUCTS] == list(PRODUCTS)
    assert canonical(" GSFC_Eleanor_Lite ") == "gsfc-eleanor-lite"
    with pytest.raises(ValueError, match="unknown product"):
        canonical("kepler")


def test_ingesting_the_whole_shared_folder(fresh_dsn: str, tess_dir: Path) -> None:
    """Every product file is added; every other file fails with its reason and writes nothing."""
    from lightcurvedb.tess.ingest import ingest_paths

    summary = ingest_paths(fresh_dsn, [tess_dir], jobs=2)
    status = {r.path.name: r for r in summary.results}
    assert sorted(status) == sorted(OUTCOMES)
    for name, expected in OUTCOMES.items():
        result = status[name]
        if expected.startswith("refused: "):
            assert result.status == "failed" and expected.removeprefix("refused: ") in (result.error or "")
        else:
            assert result.status == "added" and result.product == expected
    added = {r.tic_id for r in summary.results if r.status == "added"}
    with psycopg.connect(fresh_dsn) as conn:
        stored = {int(r[0]) for r in conn.execute("SELECT name FROM target")}
    assert stored == added  # a refused file (the comet, lightkurve's) adds no target
