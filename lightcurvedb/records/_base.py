"""Record: the base of every generated record (frozen pydantic model; equality understands ndarray fields)."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from lightcurvedb.errors import InvalidRecord


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f")))
    return bool(a == b)


class Record(BaseModel):
    """A frozen row; two records are equal when of the same class with equal fields (arrays elementwise)."""

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
