"""Record: validated vs. unvalidated (model_construct) construction, array-aware equality and hashing."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pydantic
import pytest

from lightcurvedb.errors import InvalidRecord
from lightcurvedb.record import Record
from lightcurvedb.records.datasets import DatasetRecord
from lightcurvedb.records.observations import ObservationRecord, TessObservationRecord


def _dataset(**over: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": 1, "processing_group_id": 2, "target_id": 3, "observation_id": 4,
                              "values": np.array([1.0, np.nan, 3.0]), "errors": np.array([0.1, 0.2, 0.3]),
                              "release_id": None, "values_f4": None, "errors_f4": None}
    fields.update(over)
    return fields


def test_generated_records_inherit_the_config_of_record() -> None:
    records = Path(__file__).resolve().parents[1] / "lightcurvedb" / "records"
    sources = [p.read_text() for p in records.glob("*.py") if p.name != "__init__.py"]
    assert sources and not any("model_config" in s for s in sources)  # set once, on Record
    assert issubclass(DatasetRecord, Record)
    assert DatasetRecord.model_config.get("frozen") is True
    assert DatasetRecord.model_config.get("arbitrary_types_allowed") is True
    with pytest.raises(pydantic.ValidationError):
        DatasetRecord(**_dataset()).target_id = 9  # type: ignore[misc]


def test_constructed_equals_validated_and_hashes_alike() -> None:
    validated = DatasetRecord(**_dataset())
    constructed = DatasetRecord.model_construct(**_dataset())
    assert constructed == validated and validated == constructed
    assert hash(constructed) == hash(validated)
    assert len({validated, constructed}) == 1


def test_constructed_records_differ_by_field_and_array_values() -> None:
    base = DatasetRecord.model_construct(**_dataset())
    assert base != DatasetRecord.model_construct(**_dataset(target_id=99))
    assert base != DatasetRecord.model_construct(**_dataset(values=np.array([1.0, np.nan, 4.0])))
    # same numbers, another dtype: not equal (a float32 array is not the float64 column's value)
    assert base != DatasetRecord.model_construct(**_dataset(values=np.array([1.0, np.nan, 3.0], dtype=np.float32)))
    assert hash(base) != hash(DatasetRecord.model_construct(**_dataset(values=np.array([1.0, np.nan, 4.0]))))


def test_constructed_subtype_record_compares_with_its_class() -> None:
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    common: dict[str, Any] = {"id": 5, "type": "tess_observation", "instrument_id": 1,
                              "cadence_reference": np.arange(1, 4, dtype=np.int64), "cadence_count": 3,
                              "created_on": now}
    tess = {**common, "sector": 10, "orbit_number": None, "spacecraft_quaternion": None,
            "cosmic_ray_mitigation": None}
    assert TessObservationRecord.model_construct(**tess) == TessObservationRecord(**tess)
    assert TessObservationRecord.model_construct(**tess) != ObservationRecord.model_construct(**common)
    assert ObservationRecord.model_construct(**common) == ObservationRecord(**common)
    assert hash(ObservationRecord.model_construct(**common)) == hash(ObservationRecord(**common))


def test_constructed_records_are_frozen_and_unvalidated() -> None:
    constructed = DatasetRecord.model_construct(**_dataset(values=[1, 2, 3]))
    assert constructed.values == [1, 2, 3]  # kept as given: the fast path does not coerce (trusted rows only)
    with pytest.raises(pydantic.ValidationError):
        constructed.id = 2  # type: ignore[misc]
    with pytest.raises(InvalidRecord, match="values"):
        DatasetRecord(**_dataset(values=np.zeros((2, 2))))
