"""The metrics' own filters against SciPy, astropy and lightkurve on synthetic data (no database): Savitzky-Golay,
linear extrapolation, sigma clipping, the whole CDPP, the scatter, and the parameters' checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lightcurvedb.errors import InvalidInput
from lightcurvedb.tess.best import metrics as m
from lightcurvedb.tess.best import rule

scipy_signal = pytest.importorskip("scipy.signal", reason="SciPy comes with lightkurve ([dev])")
lk = pytest.importorskip("lightkurve", reason="lightkurve is part of the [dev] extra")


def _lightcurve(n: int, *, seed: int, cadence_days: float = 2 / 1440, gaps: bool = True) -> tuple[
        np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = 1000.0 + np.arange(n) * cadence_days
    if gaps:  # a mid-sector gap and a few short ones, as TESS downlinks make
        keep = np.ones(n, bool)
        keep[n // 2: n // 2 + n // 20] = False
        keep[rng.choice(n, n // 50, replace=False)] = False
        t = t[keep]
    f = 1 + 2e-3 * np.sin(t / 3) + rng.normal(0, 8e-4, t.size)
    f[rng.choice(t.size, 5, replace=False)] += 0.05  # outliers for the clipping
    return t, f


@pytest.mark.parametrize(("window", "order"), [(101, 2), (51, 3), (5, 0), (7, 6)])
def test_savgol_equals_scipy(window: int, order: int) -> None:
    x = np.random.default_rng(window).normal(size=800)
    assert np.allclose(m.savgol(x, window, order), scipy_signal.savgol_filter(x, window, order), rtol=0,
                       atol=1e-9)  # order 6 in 7 points is ill-conditioned: 1e-12 apart


def test_interpolation_and_clipping_equal_scipy_and_astropy() -> None:
    from astropy.stats import sigma_clip
    from scipy.interpolate import interp1d

    rng = np.random.default_rng(3)
    x = np.sort(rng.uniform(0, 10, 200))
    y = rng.normal(size=200)
    at = np.linspace(-1, 11, 500)
    assert np.allclose(m._interp_extrapolate(x, y, at), interp1d(x, y, fill_value="extrapolate")(at), atol=1e-12)
    data = rng.normal(size=2000)
    data[::97] += 8
    data[5] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = sigma_clip(data, sigma=3).mask
    assert np.array_equal(m._sigma_clip_mask(data, 3.0), expected)


@pytest.mark.parametrize(("n", "cadence", "seed"), [(20000, 2 / 1440, 1), (1300, 30 / 1440, 2), (3900, 10 / 1440, 3),
                                                     (150, 30 / 1440, 4), (60, 200 / 86400, 5)])
def test_cdpp_equals_lightkurves_estimate_cdpp(n: int, cadence: float, seed: int) -> None:
    from astropy.time import Time

    t, f = _lightcurve(n, seed=seed, cadence_days=cadence)
    window = m.cadences_per(1.0, t)
    assert window == max(1, round(1 / 24 / cadence))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = lk.LightCurve(time=Time(t, format="btjd", scale="tdb"), flux=f).estimate_cdpp(
            transit_duration=window, savgol_window=101, savgol_polyorder=2, sigma=5).to_value("ppm")
    assert m.cdpp(t, f, window=window) == pytest.approx(expected, rel=1e-9)


def test_measure_masks_normalises_and_counts() -> None:
    t, f = _lightcurve(5000, seed=9, gaps=False)
    quality = np.zeros(t.size, np.int32)
    quality[:100] = 1  # attitude tweak: masked by the default bitmask
    quality[100:150] = 2048  # stray light: kept by "default", masked by "hard"
    t[200:210] = np.nan
    f[300:320] = np.nan
    got = m.measure(t, (f * 5e4).astype(np.float32), quality, product="spoc", sector=5, params=m.MetricParameters())
    assert (got.n_good, got.n_cadences) == (5000 - 100 - 10 - 20, 5000)
    assert got.good_fraction == pytest.approx(got.n_good / 5000)
    keep = np.isfinite(t) & np.isfinite(f) & (quality != 1)
    flux = (f * 5e4).astype(np.float32).astype(np.float64)[keep]
    assert got.cdpp_1h_ppm == pytest.approx(m.cdpp(t[keep], flux / np.median(flux), window=30), rel=1e-12)
    hard = m.measure(t, f, quality, product="spoc", sector=5, params=m.MetricParameters(quality_bitmask="hard"))
    assert hard.n_good == got.n_good - 50
    white = np.random.default_rng(0).normal(1.0, 1e-3, 20000)
    assert m.p2p_scatter(white) == pytest.approx(1000.0, rel=0.03)  # one point's scatter, in ppm
    few = m.measure(t[:10], f[:10], quality[:10] * 0, product="spoc", sector=5, params=m.MetricParameters())
    assert np.isnan(few.cdpp_1h_ppm) and np.isnan(few.p2p_scatter_ppm) and few.n_good == 10


@pytest.mark.parametrize("bad", [{"cdpp_hours": 0.0}, {"savgol_window": 100}, {"savgol_window": 1},
                                 {"savgol_polyorder": 101}, {"sigma": -1.0}, {"quality_bitmask": "soft"}])
def test_bad_parameters_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        m.MetricParameters(**bad)  # type: ignore[arg-type]


def test_the_rule_takes_the_lowest_finite_value_ties_by_default() -> None:
    held = ["SPOC SAP", "SPOC PDCSAP", "SPOC SAP_BKG"]
    assert rule.choose("spoc", held, {"SPOC SAP": 10.0, "SPOC PDCSAP": 12.0}).group == "SPOC SAP"  # type: ignore[union-attr]
    assert rule.choose("spoc", held, {"SPOC SAP": 10.0, "SPOC PDCSAP": 10.0}).group == "SPOC PDCSAP"  # type: ignore[union-attr]
    assert rule.choose("spoc", held, {"SPOC SAP": None, "SPOC PDCSAP": float("nan")}).group == "SPOC PDCSAP"  # type: ignore[union-attr]
    assert rule.choose("spoc", held, {"SPOC SAP_BKG": 1.0, "SPOC PDCSAP": 5.0}).group == "SPOC PDCSAP"  # type: ignore[union-attr]
    assert rule.choose("spoc", ["SPOC SAP_BKG"], {}) is None
    assert rule.candidates("qlp")[:3] == ("QLP KSPSAP_FLUX", "QLP DET_FLUX", "QLP SAP_FLUX")
    with pytest.raises(InvalidInput, match="cdpp-1h"):
        rule.check_metric("snr")


def test_the_cli_metric_names_are_the_rules() -> None:
    from lightcurvedb.tess.best.commands import METRIC_NAMES

    assert tuple(rule.METRICS) == METRIC_NAMES
