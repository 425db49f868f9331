"""NumPy array field types of the generated records: 1-D ndarrays of one dtype, validated by pydantic."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BeforeValidator, PlainSerializer


def _coerce(dtype: np.dtype[Any]) -> Any:
    """A validator: accept a 1-D ndarray (or sequence) whose values fit `dtype` exactly; return it as `dtype`."""

    def check(value: Any) -> npt.NDArray[Any]:
        if isinstance(value, np.ma.MaskedArray):  # np.asarray would silently keep the values under the mask
            if np.any(np.ma.getmaskarray(value)):
                raise ValueError("a masked array with masked elements cannot be stored (PostgreSQL arrays "
                                 "here hold no NULLs); fill the masked values first (arr.filled(...))")
            value = np.ma.getdata(value)
        arr = np.asarray(value)
        if arr.ndim != 1:
            raise ValueError(f"expected a 1-D array, got {arr.ndim} dimension(s)")
        if arr.dtype == dtype:
            return arr
        if arr.dtype.kind not in "biuf" or (arr.size and not np.can_cast(arr.dtype, dtype, casting="same_kind")):
            raise ValueError(f"expected a {dtype} array, got dtype {arr.dtype}")
        converted = arr.astype(dtype)
        if arr.size and not np.array_equal(converted, arr, equal_nan=arr.dtype.kind == "f"):
            raise ValueError(f"array of dtype {arr.dtype} does not convert to {dtype} without loss")
        return converted

    return check


def _readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Frozen records hold read-only arrays (a view: the caller's array stays writable)."""
    if arr.flags.writeable:
        arr = arr.view()
        arr.flags.writeable = False
    return arr


_READONLY = AfterValidator(_readonly)
_AS_LIST = PlainSerializer(lambda a: a.tolist(), when_used="json")


Float32Array = Annotated[
    npt.NDArray[np.float32], BeforeValidator(_coerce(np.dtype("float32"))), _READONLY, _AS_LIST
]
"""A 1-D float32 array (PostgreSQL real[])."""
Float64Array = Annotated[
    npt.NDArray[np.float64], BeforeValidator(_coerce(np.dtype("float64"))), _READONLY, _AS_LIST
]
"""A 1-D float64 array (PostgreSQL double precision[])."""
Int16Array = Annotated[
    npt.NDArray[np.int16], BeforeValidator(_coerce(np.dtype("int16"))), _READONLY, _AS_LIST
]
"""A 1-D int16 array (PostgreSQL smallint[])."""
Int32Array = Annotated[
    npt.NDArray[np.int32], BeforeValidator(_coerce(np.dtype("int32"))), _READONLY, _AS_LIST
]
"""A 1-D int32 array (PostgreSQL integer[])."""
Int64Array = Annotated[
    npt.NDArray[np.int64], BeforeValidator(_coerce(np.dtype("int64"))), _READONLY, _AS_LIST
]
"""A 1-D int64 array (PostgreSQL bigint[])."""
BoolArray = Annotated[
    npt.NDArray[np.bool_], BeforeValidator(_coerce(np.dtype("bool"))), _READONLY, _AS_LIST
]
"""A 1-D bool array (PostgreSQL boolean[])."""

__all__ = ["BoolArray", "Float32Array", "Float64Array", "Int16Array", "Int32Array", "Int64Array"]
