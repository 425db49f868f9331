"""Hypothesis strategies for the adapter tests: every handled dtype, extremes, odd memory layouts."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

# dtype code → (PostgreSQL array type, loaded dtype)
DTYPES: dict[str, tuple[str, str]] = {
    "f4": ("float4[]", "f4"),
    "f8": ("float8[]", "f8"),
    "i2": ("int2[]", "i2"),
    "i4": ("int4[]", "i4"),
    "i8": ("int8[]", "i8"),
    "?": ("bool[]", "?"),
}

LAYOUTS = ("plain", "swapped", "strided", "reversed", "swapped-strided")


def extremes(code: str) -> NDArray[Any]:
    """The values most likely to break a codec: NaN, ±inf, ±0, min/max, subnormals."""
    dtype = np.dtype(code)
    if dtype.kind == "f":
        info = np.finfo(dtype)
        values = [np.nan, np.inf, -np.inf, 0.0, -0.0, info.min, info.max, info.tiny, info.smallest_subnormal]
        return np.array(values, dtype=dtype)
    if dtype.kind == "i":
        iinfo = np.iinfo(dtype)
        return np.array([iinfo.min, iinfo.max, 0, -1, 1, iinfo.min + 1, iinfo.max - 1], dtype=dtype)
    return np.array([True, False, True], dtype=dtype)


def relayout(arr: NDArray[Any], layout: str) -> NDArray[Any]:
    """The same values in another byte order and/or a non-contiguous view."""
    if "swapped" in layout:
        arr = arr.astype(arr.dtype.newbyteorder())
    if "strided" in layout:
        wide = np.empty(arr.shape[0] * 3, dtype=arr.dtype)
        wide[::3] = arr
        arr = wide[::3]
    if layout == "reversed":
        arr = arr[::-1].copy()[::-1]
    return arr


def arrays(code: str, max_len: int = 40) -> st.SearchStrategy[NDArray[Any]]:
    """1-D arrays of `code`, empty included, full value range (NaN and ±inf for floats)."""
    return hnp.arrays(np.dtype(code), st.integers(0, max_len))


def same(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Exact equality: NaN equals NaN, -0.0 differs from 0.0."""
    if a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True) and np.array_equal(np.signbit(a), np.signbit(b)))
    return bool(np.array_equal(a, b))
