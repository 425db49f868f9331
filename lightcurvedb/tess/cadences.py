"""Cadence numbers derived from times, for lightcurve files that carry none (TGLC files of the tglc package)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FFI_CADENCES_SECONDS: tuple[float, ...] = (1800.0, 600.0, 200.0)
"""TESS full-frame-image cadences: 30 min (sectors 1-26), 10 min (27-55), 200 s (from 56)."""
_TOLERANCE = 0.02  # relative: barycentric times step a little off the spacecraft's nominal cadence

DERIVED_CADENCE_RULE = (
    "cadence = round(t0 / D) + round((t - t0) / D), with t the row's time in BTJD seconds, t0 the first finite "
    "time of the file and D the TESS full-frame-image cadence (1800, 600 or 200 s) within 2% of the median step "
    "between finite times; a row without a time takes the previous row's cadence + 1"
)
"""The documented rule (stored with every derived grid): the same star's files of a sector get the same numbers,
whatever row they start at, because t0 / D moves by whole cadences between them."""


class CadenceDerivationError(ValueError):
    """The times cannot be turned into distinct cadence numbers by the rule (the message says why)."""


def derive_cadences(times: NDArray[np.float64]) -> tuple[NDArray[np.int64], float]:
    """Cadence numbers of `times` (BTJD days, NaN where unknown) by DERIVED_CADENCE_RULE, and the cadence D (s)."""
    finite = np.flatnonzero(np.isfinite(times))
    if finite.size < 2:
        raise CadenceDerivationError("fewer than two finite times: no cadence to derive the numbers from")
    seconds = times[finite] * 86400.0
    steps = np.diff(seconds)
    if not bool(np.all(steps > 0)):
        raise CadenceDerivationError("the finite times do not strictly increase")
    median = float(np.median(steps))
    cadence = next((c for c in FFI_CADENCES_SECONDS if abs(median - c) <= _TOLERANCE * c), None)
    if cadence is None:
        raise CadenceDerivationError(f"the median time step ({median:.1f} s) is no TESS full-frame-image cadence "
                                     f"({', '.join(f'{c:.0f}' for c in FFI_CADENCES_SECONDS)} s)")
    t0 = seconds[0]
    out = np.empty(times.shape[0], dtype=np.int64)
    out[finite] = int(np.rint(t0 / cadence)) + np.rint((seconds - t0) / cadence).astype(np.int64)
    for i in range(finite[0] - 1, -1, -1):  # rows before the first time count back from it
        out[i] = out[i + 1] - 1
    missing = np.flatnonzero(~np.isfinite(times))
    for i in missing[missing > finite[0]]:
        out[i] = out[i - 1] + 1
    if not bool(np.all(np.diff(out) > 0)):
        raise CadenceDerivationError("two rows fall on the same derived cadence (the times are not one per cadence)")
    return out, cadence
