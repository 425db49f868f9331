"""Record, the base of every generated record (frozen pydantic model), and its NumPy array field types."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationError

from lightcurvedb.errors import InvalidRecord

__all__ = ["BoolArray", "Float32Array", "Float64Array", "Int16Array", "Int32Array", "Int64Array", "Record"]

# --- NumPy array field types: 1-D ndarrays of one dtype, validated by pydantic -------------------------------


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


# --- Record ---------------------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    return bool(a == b)


class Record(BaseModel):
    """A frozen row; two records are equal when of the same class with equal fields (arrays elementwise).

    Two constructors:

    - ``XRecord(**fields)`` validates: types are checked and coerced, arrays must be 1-D and convert to the
      field's dtype without loss and are stored read-only; a refusal raises `lightcurvedb.errors.InvalidRecord`.
    - ``XRecord.model_construct(**fields)`` (pydantic's) is the fast path for trusted rows: values read from the
      database (already of the column's type) or built by bulk paths that checked them already. Nothing is
      validated or coerced and arrays are kept as given (not made read-only); omitted fields take their defaults.
      Equality and hashing are the same as for validated records (a validated and a constructed record with
      equal fields are equal). Never use it for user input.

    Generated subclasses inherit ``model_config`` (frozen, arbitrary types allowed) from here.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:  # a lightcurvedb error naming the fields; pydantic's is chained
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(record)'}: {err['msg']}" for err in exc.errors()
            )
            raise InvalidRecord(f"{type(self).__name__}: {problems}") from exc

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented if not isinstance(other, BaseModel) else False
        assert isinstance(other, BaseModel)
        return all(_same(getattr(self, name), getattr(other, name)) for name in type(self).model_fields)

    def __hash__(self) -> int:
        return hash((type(self), *(
            (v.dtype.str, v.tobytes()) if isinstance(v, np.ndarray) else repr(v) if isinstance(v, dict) else v
            for v in (getattr(self, name) for name in type(self).model_fields)
        )))
