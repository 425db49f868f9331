"""Quality metrics of one lightcurve: lightkurve's CDPP (sgCDPP), a robust point-to-point scatter, good cadences.

Pure NumPy: the Savitzky-Golay filter, linear interpolation and sigma clipping are written here, step for step as
lightkurve (`LightCurve.estimate_cdpp`: `flatten`, `remove_outliers`, `normalize("ppm")`, `running_mean`), SciPy
(`savgol_filter` in its "interp" mode, `interp1d`) and astropy (`sigma_clip`) do them, so that the values equal
lightkurve's to rounding without needing either at run time (`tests/best/test_metrics.py` holds them to it).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lightcurvedb.errors import InvalidInput
from lightcurvedb.tess.quality import QualityBitmask, bitmask_for, good_cadences, parse_bitmask

MIN_POINTS = 20
"""Fewer good cadences than this: CDPP and scatter are not computed (NaN, stored as NULL)."""

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class MetricParameters:
    """What the metrics are computed with (stored with each row as its key): the quality mask, the CDPP's duration
    in hours and lightkurve's `estimate_cdpp` arguments (Savitzky-Golay window and order, clipping sigma)."""

    quality_bitmask: QualityBitmask = "default"
    cdpp_hours: float = 1.0
    savgol_window: int = 101
    savgol_polyorder: int = 2
    sigma: float = 5.0

    def __post_init__(self) -> None:
        parse_bitmask(self.quality_bitmask)
        if not (np.isfinite(self.cdpp_hours) and self.cdpp_hours > 0):
            raise InvalidInput(f"the CDPP duration must be a positive number of hours, got {self.cdpp_hours}")
        if self.savgol_window < 3 or self.savgol_window % 2 == 0:
            raise InvalidInput(f"the Savitzky-Golay window must be an odd number >= 3, got {self.savgol_window}")
        if not 0 <= self.savgol_polyorder < self.savgol_window:
            raise InvalidInput(f"the Savitzky-Golay order must be in [0, window), got {self.savgol_polyorder}")
        if not (np.isfinite(self.sigma) and self.sigma > 0):
            raise InvalidInput(f"the clipping sigma must be positive, got {self.sigma}")

    def as_json(self) -> dict[str, Any]:
        """The parameters as a JSON object (the metrics' key)."""
        return json.loads(json.dumps(asdict(self), sort_keys=True))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Metrics:
    """The metrics of one lightcurve (NaN where too few good cadences)."""

    cdpp_1h_ppm: float
    p2p_scatter_ppm: float
    good_fraction: float
    n_good: int
    n_cadences: int
    cdpp_window: int


def cadences_per(hours: float, time: Floats) -> int:
    """Cadences in `hours` at the median spacing of `time` (days), at least 1 (lightkurve's `transit_duration`)."""
    spacing = float(_median(np.diff(time))) if time.size > 1 else float("nan")
    if not (np.isfinite(spacing) and spacing > 0):
        return 1
    return max(1, round(hours / 24.0 / spacing))


def measure(time: NDArray[Any], flux: NDArray[Any], quality: NDArray[Any], *, product: str | None, sector: int,
            params: MetricParameters, good: NDArray[np.bool_] | None = None) -> Metrics:
    """The metrics of one lightcurve on its observation's grid: the cadences with a finite time and flux that the
    quality mask keeps (`bitmask_for`: the product's own bits; `good`, when given, must keep them too: CDIPS's
    quality letters), flux as float64 divided by its median; CDPP over `cdpp_hours` (lightkurve's `estimate_cdpp`
    of that flux), the robust point-to-point scatter, and the fraction of the grid's cadences kept."""
    t = np.asarray(time, dtype=np.float64)
    f = np.asarray(flux, dtype=np.float64)
    keep = np.isfinite(t) & np.isfinite(f) & good_cadences(quality, bitmask_for(params.quality_bitmask,
                                                                                product=product, sector=sector))
    if good is not None:
        keep &= good
    t, f = t[keep], f[keep]
    n = int(t.size)
    window = cadences_per(params.cdpp_hours, t)
    nan = float("nan")
    fraction = n / keep.size if keep.size else 0.0
    if n < MIN_POINTS:
        return Metrics(nan, nan, fraction, n, int(keep.size), window)
    order = np.argsort(t, kind="stable")
    t, f = t[order], f[order]
    normalised = f / _median(f)
    return Metrics(cdpp(t, normalised, window=window, savgol_window=params.savgol_window,
                        savgol_polyorder=params.savgol_polyorder, sigma=params.sigma),
                   p2p_scatter(normalised), fraction, n, int(keep.size), window)


def _median(x: Floats) -> float:
    """`np.median` of a finite 1-D array (the same value: the middle element, or the mean of the middle two) by one
    partition, without `np.median`'s NaN check and generic reduction, which cost it four times as much here."""
    n = x.size
    if n == 0:
        return float("nan")
    k = n // 2
    if n % 2:
        return float(np.partition(x, k)[k])
    part = np.partition(x, (k - 1, k))
    return float((part[k - 1] + part[k]) / 2)


def p2p_scatter(flux: Floats) -> float:
    """Robust point-to-point scatter in ppm: 1.4826 × the median absolute deviation of successive differences,
    divided by √2 (the scatter of one point for white noise), of a normalised flux."""
    d = np.diff(flux)
    return float(1.4826 * _median(np.abs(d - _median(d))) / np.sqrt(2.0) * 1e6)


def cdpp(time: Floats, flux: Floats, *, window: int, savgol_window: int = 101, savgol_polyorder: int = 2,
         sigma: float = 5.0) -> float:
    """lightkurve's `estimate_cdpp(transit_duration=window, savgol_window, savgol_polyorder, sigma)` of a finite,
    time-sorted flux: flatten (Savitzky-Golay, 3 iterations of 3-sigma clipping, gaps split), clip outliers at
    `sigma`, normalise to ppm, std of the running mean over `window` cadences. Every time and flux must be finite
    (`measure` keeps those only): lightkurve's NaN-ignoring statistics are then the plain ones, which cost less."""
    flat = flux / _flatten_trend(time, flux, savgol_window, savgol_polyorder)
    kept = flat[~_sigma_clip_mask(flat, sigma)]
    ppm = kept / _median(kept) * 1e6
    w = min(window, ppm.size)
    cumsum = np.cumsum(np.insert(ppm, 0, 0))
    return float(np.std((cumsum[w:] - cumsum[:-w]) / float(w)))


def _flatten_trend(time: Floats, flux: Floats, window_length: int, polyorder: int, *, break_tolerance: int = 5,
                   niters: int = 3, sigma: float = 3.0) -> Floats:
    """The trend `LightCurve.flatten(window_length, polyorder)` divides by (its defaults: break_tolerance 5,
    niters 3, sigma 3), at every time, of a finite flux."""
    mask = np.abs(flux - _median(flux)) <= np.std(flux) * sigma
    trend = np.zeros_like(flux)
    for i in range(niters):
        tm, fm = time[mask], flux[mask]
        dt = tm[1:] - tm[:-1]
        with np.errstate(invalid="ignore"):
            cut = np.where(dt > break_tolerance * (_median(dt) if dt.size else np.nan))[0] + 1
        low = np.append([0], cut)
        high = np.append(cut, len(tm))
        segment_trend = np.zeros(len(tm))
        for lo, hi in zip(low, high, strict=True):
            if window_length > (hi - lo) or (hi - lo) < break_tolerance:
                segment_trend[lo:hi] = _median(fm[lo:hi])
            else:
                segment_trend[lo:hi] = savgol(fm[lo:hi], window_length, polyorder)
        residual = fm - segment_trend
        mask1 = np.abs(residual) < (np.std(residual) * sigma + 1e-14)
        # lightkurve interpolates the trend at every pass but keeps only the last one's; a pass that clips nothing
        # leaves the mask as it was, so every later pass would repeat it exactly: it is the last
        if i == niters - 1 or bool(mask1.all()):
            trend = _interp_extrapolate(tm[mask1], segment_trend[mask1], time)
            break
        mask[mask] &= mask1
    return trend


@lru_cache(maxsize=16)
def _savgol_matrices(window_length: int, polyorder: int) -> tuple[Floats, Floats, Floats]:
    """The centred smoothing coefficients (SciPy's `savgol_coeffs`, deriv 0: the least-squares polynomial's value
    at the window's centre as a weighted sum of the window), and the matrices giving the polynomial fitted to the
    first (last) window at its first (last) half-window positions (SciPy's "interp" edges, `np.polyfit`)."""
    half = window_length // 2
    positions = np.arange(window_length, dtype=np.float64)
    vander = np.vander(positions, polyorder + 1)
    fit = np.linalg.pinv(vander)  # window values -> polynomial coefficients (least squares)
    coeffs = (np.vander(np.array([float(half)]), polyorder + 1) @ fit)[0]
    first = np.vander(positions[:half], polyorder + 1) @ fit
    last = np.vander(positions[window_length - half:], polyorder + 1) @ fit
    return coeffs, first, last


def savgol(x: Floats, window_length: int, polyorder: int) -> Floats:
    """SciPy's `savgol_filter(x, window_length, polyorder)` (mode "interp"): the centred smoothing inside, and at
    each end the polynomial of `polyorder` fitted to the first (last) window, evaluated there."""
    coeffs, first, last = _savgol_matrices(window_length, polyorder)
    half = window_length // 2
    out = np.empty_like(x)
    out[half:x.size - half] = np.convolve(x, coeffs[::-1], mode="valid")
    out[:half] = first @ x[:window_length]
    out[x.size - half:] = last @ x[-window_length:]
    return out


def _interp_extrapolate(x: Floats, y: Floats, at: Floats) -> Floats:
    """SciPy's `interp1d(x, y, fill_value="extrapolate")(at)` of an increasing `x` (linear inside, NumPy's
    `interp`; the end segments extended outside)."""
    out = np.interp(at, x, y)
    for outside, a, b in ((at < x[0], 0, 1), (at > x[-1], -2, -1)):
        if outside.any():
            slope = (y[b] - y[a]) / (x[b] - x[a])
            out[outside] = slope * (at[outside] - x[a]) + y[a]
    return out


def _sigma_clip_mask(data: Floats, sigma: float, *, maxiters: int = 5) -> NDArray[np.bool_]:
    """astropy's `sigma_clip(data, sigma).mask` (median centre, standard deviation, `maxiters` 5): True where
    clipped (non-finite values included)."""
    finite = np.isfinite(data)
    kept = data[finite]
    lo = hi = float("nan")
    for _ in range(maxiters):
        if kept.size == 0:
            break
        centre, spread = _median(kept), float(np.std(kept))
        lo, hi = centre - spread * sigma, centre + spread * sigma
        inside = (kept >= lo) & (kept <= hi)
        changed = kept.size - int(np.count_nonzero(inside))
        kept = kept[inside]
        if changed == 0:
            break
    with np.errstate(invalid="ignore"):
        return ~finite | (data < lo) | (data > hi)
