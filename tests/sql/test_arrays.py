"""Array integrity: 1-D, no NULL elements, lengths matching values / the observation's cadences."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg import errors as e

from ._schema import make_dataset, make_flags, make_times, make_world, one, refuse

Conn = psycopg.Connection[Any]
OBS = "INSERT INTO observation (instrument_id, cadence_reference) VALUES (%s, {})"


@pytest.mark.parametrize(
    "literal",
    ["'{{1,2},{3,4}}'", "'{1,NULL,3}'", "'{}'", "'[0:2]={1,2,3}'"],
    ids=["2-D", "NULL element", "empty", "lower bound 0"],
)
def test_cadence_reference_shape(raw_conn: Conn, literal: str) -> None:
    w = make_world(raw_conn)
    refuse(raw_conn, e.CheckViolation, "ck_observation_cadence_reference_shape", OBS.format(literal), (w.ccd,))


@pytest.mark.parametrize("literal", ["'{1,3,2}'", "'{1,1,2}'"])
def test_cadence_reference_strictly_increasing(raw_conn: Conn, literal: str) -> None:
    w = make_world(raw_conn)
    refuse(raw_conn, e.CheckViolation, "ck_observation_cadence_reference_increasing", OBS.format(literal), (w.ccd,))


def test_cadence_count_is_stored(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=13)
    assert one(raw_conn, "SELECT cadence_count FROM observation WHERE id = %s", (w.observation_id,)) == 13


DATASET = (
    'INSERT INTO dataset (processing_group_id, target_id, observation_id, "values", errors) VALUES (%s, %s, %s, {}, {})'
)


@pytest.mark.parametrize(
    ("values", "errors", "constraint"),
    [
        ("'{{1,2},{3,4}}'::float8[]", "'{1,2,3,4}'::float8[]", "ck_dataset_values_shape"),
        ("'{1,NULL,3,4}'::float8[]", "'{1,2,3,4}'::float8[]", "ck_dataset_values_shape"),
        ("'{1,2,3,4}'::float8[]", "'{1,NULL,3,4}'::float8[]", "ck_dataset_errors_shape"),
        ("'{1,2,3,4}'::float8[]", "'{{1,2},{3,4}}'::float8[]", "ck_dataset_errors_shape"),
        ("'{1,2,3,4}'::float8[]", "'{1,2,3}'::float8[]", "ck_dataset_errors_length"),
    ],
)
def test_dataset_array_checks(raw_conn: Conn, values: str, errors: str, constraint: str) -> None:
    w = make_world(raw_conn, cadences=4)
    refuse(
        raw_conn,
        e.CheckViolation,
        constraint,
        DATASET.format(values, errors),
        (w.group_id, w.target_id, w.observation_id),
    )


def test_dataset_nan_is_allowed(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=3)
    raw_conn.execute(
        DATASET.format("'{1,NaN,3}'::float8[]", "'{NaN,NaN,1}'::float8[]"), (w.group_id, w.target_id, w.observation_id)
    )


def test_dataset_length_must_match_observation(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=13)
    exc = refuse(
        raw_conn,
        e.CheckViolation,
        "ck_dataset_length_matches_observation",
        DATASET.format("array_fill(1::float8, ARRAY[12])", "array_fill(1::float8, ARRAY[12])"),
        (w.group_id, w.target_id, w.observation_id),
    )
    assert exc.diag.message_primary == (
        f"dataset values has 12 elements but observation {w.observation_id} has 13 cadences"
    )
    assert exc.diag.table_name == "dataset"
    ds = make_dataset(raw_conn, w.group_id, w.target_id, w.observation_id, 13)
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_dataset_length_matches_observation",
        'UPDATE dataset SET "values" = "values"[1:5], errors = errors[1:5] WHERE id = %s',
        (ds,),
    )


def test_times_shape_and_length(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=3)
    q = "INSERT INTO target_specific_time (target_id, observation_id, barycentric_julian_dates) VALUES (%s, %s, %s)"
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_target_specific_time_bjd_shape",
        q,
        (w.target_id, w.observation_id, [1.0, None, 2.0]),
    )
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_target_specific_time_bjd_shape",
        q,
        (w.target_id, w.observation_id, [[1.0], [2.0], [3.0]]),
    )
    exc = refuse(
        raw_conn,
        e.CheckViolation,
        "ck_target_specific_time_length_matches_observation",
        q,
        (w.target_id, w.observation_id, [1.0, 2.0]),
    )
    assert "has 2 elements but observation" in exc.diag.message_primary  # type: ignore[operator]
    make_times(raw_conn, w.target_id, w.observation_id, 3)


def test_flags_shape_and_length(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=3)
    q = "INSERT INTO quality_flag_array (target_id, observation_id, quality_flags) VALUES (%s, %s, %s)"
    refuse(raw_conn, e.CheckViolation, "ck_quality_flag_array_flags_shape", q, (None, w.observation_id, [1, None, 2]))
    refuse(raw_conn, e.CheckViolation, "ck_quality_flag_array_flags_shape", q, (None, w.observation_id, [[1, 2, 3]]))
    refuse(
        raw_conn,
        e.CheckViolation,
        "ck_quality_flag_array_length_matches_observation",
        q,
        (w.target_id, w.observation_id, [0, 0, 0, 0]),
    )
    make_flags(raw_conn, None, w.observation_id, 3)


def test_naxis_values(raw_conn: Conn) -> None:
    w = make_world(raw_conn)
    q = "INSERT INTO fits_frame (observation_id, cadence, bitpix, naxis, naxis_values) VALUES (%s, %s, 16, %s, %s)"
    refuse(raw_conn, e.CheckViolation, "ck_fits_frame_naxis_values_shape", q, (w.observation_id, 1, 2, [10, None]))
    refuse(raw_conn, e.CheckViolation, "ck_fits_frame_naxis_values_shape", q, (w.observation_id, 1, 2, [[10], [2]]))
    refuse(raw_conn, e.CheckViolation, "ck_fits_frame_naxis_values_length", q, (w.observation_id, 1, 3, [10, 2]))
    raw_conn.execute(q, (w.observation_id, 1, 2, [2048, 2048]))


def test_cadence_count_frozen_once_data_exists(raw_conn: Conn) -> None:
    w = make_world(raw_conn, cadences=4)
    q = "UPDATE observation SET cadence_reference = %s WHERE id = %s"
    raw_conn.execute(q, ([1, 2, 3], w.observation_id))  # no data yet: allowed
    make_flags(raw_conn, None, w.observation_id, 3)
    raw_conn.execute(q, ([5, 6, 7], w.observation_id))  # same count: allowed
    refuse(raw_conn, e.CheckViolation, "ck_observation_cadence_count_frozen", q, ([1, 2], w.observation_id))
