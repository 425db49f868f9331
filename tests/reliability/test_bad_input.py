"""A hypothesis-generated corpus of bad input through the public write paths: typed error, nothing written."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightcurvedb import bulk, errors
from lightcurvedb.queries import datasets, observations, targets
from lightcurvedb.records.datasets import DatasetInsert
from lightcurvedb.records.times_flags import QualityFlagArrayInsert, TargetSpecificTimeInsert

from ._corpus import CADENCES, World, flush_tally, make_world, refused, row_counts, tally

N = CADENCES.size
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    flush_tally(__name__)


@pytest.fixture
def world(conn: psycopg.Connection[Any]) -> World:
    return make_world(conn)


# --- strategies: arrays that must not be stored as a lightcurve of N cadences --------------------------------

def _float(n: int) -> st.SearchStrategy[np.ndarray]:
    return st.lists(st.floats(allow_nan=True, width=64), min_size=n, max_size=n).map(np.array)


wrong_length = st.integers(0, 3 * N).filter(lambda n: n != N).flatmap(_float)
two_d = st.sampled_from([(N, 2), (2, N), (1, N), (N, 1), (3, 4)]).map(lambda s: np.ones(s))
zero_d = st.floats(allow_nan=True).map(np.float64).map(np.asarray)
bad_dtype = st.sampled_from([
    np.arange(N, dtype=np.int64), np.ones(N, dtype=np.complex128), np.array(["1.0"] * N),
    np.array([1.0] * N, dtype=object), np.ones(N, dtype=np.uint64), np.array([b"x"] * N),
])
with_nulls = st.integers(0, N - 1).map(lambda i: [None if j == i else 1.0 for j in range(N)])
masked = st.integers(0, N - 1).map(lambda i: np.ma.masked_array(np.ones(N), mask=[j == i for j in range(N)]))
bad_array = st.one_of(wrong_length, two_d, zero_d, bad_dtype, with_nulls, masked)
BAD_ARRAY_KINDS = ("wrong length", "2-D", "0-D", "wrong dtype", "NULL elements", "masked elements")

bad_id = st.one_of(st.just(None), st.integers(-(2**63), -1), st.integers(10**12, 2**63 - 1),
                   st.integers(2**63, 2**70), st.just(1.5), st.just("7"))


def _kind(arr: Any) -> str:
    if isinstance(arr, list):
        return "NULL elements"
    if isinstance(arr, np.ma.MaskedArray):
        return "masked elements"
    a = np.asarray(arr)
    if a.ndim != 1:
        return f"{a.ndim}-D"
    if a.dtype != np.float64:
        return "wrong dtype"
    return "wrong length"


# --- datasets -------------------------------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_bad_datasets_are_refused_by_bulk_write(conn: psycopg.Connection[Any], world: World,
                                                data: st.DataObject) -> None:
    good = np.ones(N)
    which = data.draw(st.sampled_from(["values", "errors", "both", "processing_group_id", "target_id",
                                       "observation_id"]))
    rec: dict[str, Any] = {"processing_group_id": world.group_id, "target_id": world.target_id,
                           "observation_id": world.observation_id, "values": good, "errors": good}
    if which in ("values", "errors", "both"):
        for col in (("values", "errors") if which == "both" else (which,)):
            rec[col] = data.draw(bad_array)
        label = f"bulk.write dataset: {_kind(rec['values'] if which != 'errors' else rec['errors'])}"
    else:
        rec[which] = data.draw(bad_id)
        label = f"bulk.write dataset: bad {which}"
    mode = data.draw(st.sampled_from(["insert", "skip", "replace"]))
    with refused(conn, label):
        bulk.write(conn, "dataset", [rec], mode=mode)


@SETTINGS
@given(arr=bad_array, which=st.sampled_from(["values", "errors"]))
def test_bad_datasets_are_refused_as_insert_records(conn: psycopg.Connection[Any], world: World, arr: Any,
                                                    which: str) -> None:
    """Generated `DatasetInsert` records: a bad record is refused at construction (InvalidRecord) or by the writer."""
    rec = {"processing_group_id": world.group_id, "target_id": world.target_id,
           "observation_id": world.observation_id, "values": np.ones(N), "errors": np.ones(N), which: arr}
    a = arr if isinstance(arr, list | np.ma.MaskedArray) else np.asarray(arr)
    if isinstance(a, np.ndarray) and a.shape == (N,) and a.dtype.kind in "iu":
        # by design the generated records convert integers exactly (1 -> 1.0): stored, and read back equal
        with refused(conn, "DatasetInsert: integer array (exact conversion, stored)", allow_ok=True) as info:
            bulk.write(conn, "dataset", [DatasetInsert(**rec)])
        assert info["error"] is None
        got = datasets.get_dataset(conn, processing_group_id=world.group_id, target_id=world.target_id,
                                   observation_id=world.observation_id)
        assert np.array_equal(getattr(got, which), a.astype(np.float64))
        conn.execute("DELETE FROM dataset WHERE id = %s", [got.id])
        return
    with refused(conn, f"DatasetInsert: {_kind(arr)}"):
        bulk.write(conn, "dataset", [DatasetInsert(**rec)])


def test_a_good_dataset_after_a_bad_one_in_the_same_call_writes_nothing(conn: psycopg.Connection[Any],
                                                                        world: World) -> None:
    """Half a batch is never written: the bad record anywhere in the call refuses the whole call."""
    good = (world.group_id, world.target_id, world.observation_id, np.ones(N), np.ones(N))
    for position in range(3):
        rows: list[Any] = [good]
        bad = (world.group_id, world.target_id, world.observation_id, np.ones(N - 1), np.ones(N - 1))
        rows.insert(position, bad)
        with refused(conn, "bulk.write dataset: good and bad in one call"):
            bulk.write(conn, "dataset", rows, batch_size=1)
    assert conn.execute("SELECT count(*) FROM dataset").fetchone() == (0,)


# --- times and flags --------------------------------------------------------------------------------------

@SETTINGS
@given(arr=bad_array, path=st.sampled_from(["bulk", "records"]))
def test_bad_target_times_are_refused(conn: psycopg.Connection[Any], world: World, arr: Any, path: str) -> None:
    a = arr if isinstance(arr, list | np.ma.MaskedArray) else np.asarray(arr)
    exact = path == "records" and isinstance(a, np.ndarray) and a.shape == (N,) and a.dtype.kind in "iu"
    label = "target times (records): integer array (exact conversion, stored)" if exact else \
        f"target times ({path}): {_kind(arr)}"
    with refused(conn, label, allow_ok=exact):
        if path == "bulk":
            bulk.write(conn, "target_specific_time", [(world.target_id, world.observation_id, arr)])
        else:
            bulk.write(conn, "target_specific_time", [TargetSpecificTimeInsert(
                target_id=world.target_id, observation_id=world.observation_id, barycentric_julian_dates=arr)])
    if exact:
        conn.execute("DELETE FROM target_specific_time")


bad_flags = st.one_of(
    st.integers(0, 3 * N).filter(lambda n: n != N).map(lambda n: np.zeros(n, dtype=np.int32)),
    two_d.map(lambda a: a.astype(np.int32)),
    st.sampled_from([np.ones(N), np.full(N, 2**40), np.full(N, -(2**40)), np.full(N, 2**31, dtype=np.uint32),
                     np.array(["0"] * N), np.ones(N, dtype=np.complex64)]),
    st.integers(0, N - 1).map(lambda i: [None if j == i else 0 for j in range(N)]),
    masked.map(lambda a: a.astype(np.int32)),
)


@SETTINGS
@given(arr=bad_flags, path=st.sampled_from(["bulk", "records"]), observation_wide=st.booleans())
def test_bad_quality_flags_are_refused(conn: psycopg.Connection[Any], world: World, arr: Any, path: str,
                                       observation_wide: bool) -> None:
    target = None if observation_wide else world.target_id
    with refused(conn, f"quality flags ({path}): {_kind(arr)}"):
        if path == "bulk":
            bulk.write(conn, "quality_flag_array", [("base_quality_flag", world.observation_id, target, arr)])
        else:
            bulk.write(conn, "quality_flag_array", [QualityFlagArrayInsert(
                type="base_quality_flag", observation_id=world.observation_id, target_id=target,
                quality_flags=arr)])


# --- observations: cadence grids ---------------------------------------------------------------------------

bad_grid = st.one_of(
    st.lists(st.integers(0, 50), min_size=2, max_size=30).filter(
        lambda xs: any(b <= a for a, b in itertools.pairwise(xs))).map(lambda xs: np.array(xs, np.int64)),
    st.just(np.array([], dtype=np.int64)),
    st.integers(1, 20).map(lambda n: np.concatenate([np.arange(n), [np.nan], np.arange(n + 1, n + 3)])),
    st.just(np.array([np.nan, np.nan])), st.just(np.array([1.0, np.inf])), st.just(np.array([1e30, 2e30])),
    st.just(np.arange(6, dtype=np.int64).reshape(2, 3)),
    st.just([1, None, 3]), st.just(np.array(["1", "2"])), st.just(np.array([1.5, 2.5])),
    st.just(np.array([0.4, 2.6])),
)


def _grid_kind(grid: Any) -> str:
    if isinstance(grid, list):
        return "NULL elements"
    a = np.asarray(grid)
    if a.ndim != 1:
        return "2-D"
    if a.size == 0:
        return "empty"
    if a.dtype.kind == "f":
        return "NaN/inf" if not np.all(np.isfinite(a)) else "non-integer or out of range floats"
    if a.dtype.kind in "US":
        return "strings"
    return "non-monotonic or duplicate"


@SETTINGS
@given(grid=bad_grid, sector=st.sampled_from([1, 0, -3]))
def test_bad_cadence_grids_are_refused(conn: psycopg.Connection[Any], world: World, grid: Any,
                                       sector: int) -> None:
    kind = _grid_kind(grid)
    if sector != 1:
        kind += " (and bad sector)"
    with refused(conn, f"create_tess_observation: {kind}"):
        observations.create_tess_observation(conn, instrument_id=world.instrument_id, cadence_reference=grid,
                                             sector=sector)


def test_a_float_cadence_grid_is_not_rounded_silently(conn: psycopg.Connection[Any], world: World) -> None:
    # PostgreSQL's assignment cast would round float8[] into bigint[]; generated functions refuse it first
    with refused(conn, "create_tess_observation: non-integer floats") as info:
        observations.create_tess_observation(conn, instrument_id=world.instrument_id,
                                             cadence_reference=np.array([0.4, 2.6]), sector=1)
    assert isinstance(info["error"], errors.ArrayDtypeError)


# --- targets: TIC ids --------------------------------------------------------------------------------------

@SETTINGS
@given(name=st.one_of(st.integers(-(2**63), 0), st.integers(2**63, 2**80), st.just(-1), st.just(0)))
def test_bad_tic_ids_are_refused(conn: psycopg.Connection[Any], world: World, name: int) -> None:
    kind = "zero/negative" if name <= 0 else "beyond bigint"
    with refused(conn, f"create_target: TIC {kind}") as info:
        targets.create_target(conn, catalog_id=world.catalog_id, name=name)
    error = info["error"]
    assert isinstance(error, errors.ValueOutOfRange) or (
        isinstance(error, errors.InvalidData) and error.constraint == "ck_target_name_positive")


@pytest.mark.parametrize("call", ["create_target", "get_or_create_target"])
def test_unknown_references_are_refused(conn: psycopg.Connection[Any], world: World, call: str) -> None:
    import uuid

    with refused(conn, f"{call}: unknown catalog", expect=errors.UnknownReference) as info:
        getattr(targets, call)(conn, catalog_id=uuid.uuid4(), name=42)
    assert info["error"].constraint == "fk_target_catalog"
    with refused(conn, "create_tess_observation: unknown instrument", expect=errors.UnknownReference) as info:
        observations.create_tess_observation(conn, instrument_id=10**12, cadence_reference=CADENCES, sector=1)
    assert info["error"].constraint == "fk_observation_instrument"
    for col, constraint in (("processing_group_id", "fk_dataset_processing_group"), ("target_id", "fk_dataset_target"),
                            ("observation_id", "fk_dataset_observation")):
        rec: dict[str, Any] = {"processing_group_id": world.group_id, "target_id": world.target_id,
                               "observation_id": world.observation_id, "values": np.ones(N), "errors": np.ones(N)}
        rec[col] = 10**12
        with refused(conn, f"bulk.write dataset: unknown {col}", expect=errors.UnknownReference) as info:
            bulk.write(conn, "dataset", [rec])
        assert info["error"].constraint == constraint
        with refused(conn, f"DatasetInsert: unknown {col}", expect=errors.UnknownReference) as info:
            bulk.write(conn, "dataset", [DatasetInsert(**rec)])
        assert info["error"].constraint == constraint


def test_the_valid_record_is_accepted(conn: psycopg.Connection[Any], world: World) -> None:
    """Control: the corpus's base record is stored (the refusals above are about the bad part only)."""
    before = row_counts(conn)
    bulk.write(conn, "dataset", [DatasetInsert(processing_group_id=world.group_id, target_id=world.target_id,
                                               observation_id=world.observation_id, values=np.ones(N),
                                               errors=np.ones(N))])
    part = f"dataset_o{world.observation_id}"
    assert row_counts(conn)[part] == before[part] + 1
    tally("controls (valid input stored)")
