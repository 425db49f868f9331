"""Lightcurve assembly (gaps, NaN times, missing observations, flags) and alignment to a cadence grid."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
from astropy.time import Time
from astropy.timeseries import TimeSeries

from lightcurvedb import errors
from lightcurvedb.bulk import write
from lightcurvedb.lightcurve import align, load_lightcurves
from lightcurvedb.records.times_flags import QualityFlagArrayInsert, TargetSpecificTimeInsert
from tests.bulk.conftest import make_world

GRID = np.array([10, 11, 12, 20, 21, 30], dtype=np.int64)  # gaps between 12-20 and 21-30


def test_assembly_with_gaps_nan_times_missing_observations(conn: psycopg.Connection[Any]) -> None:
    w = make_world(conn, targets=2, observations=3, grid=GRID)
    t, other = w.targets
    o1, o2, o3 = w.observations
    n = GRID.size
    # target t: datasets in o1 and o3 (none in o2); times only in o1, with a NaN; flags per target + obs-wide
    write(conn, "dataset", [(w.group, t, o, np.arange(n) + 100.0 * i, np.full(n, 0.1)) for i, o in ((1, o1), (3, o3))]
          + [(w.group, other, o2, np.zeros(n), np.zeros(n))])
    times = 1325.0 + np.arange(n) / 720.0
    times[2] = np.nan
    write(conn, "target_specific_time", [TargetSpecificTimeInsert(target_id=t, observation_id=o1,
                                                                  barycentric_julian_dates=times)])
    write(conn, "quality_flag_array", [
        QualityFlagArrayInsert(observation_id=o1, quality_flags=np.full(n, 2, dtype=np.int32)),
        QualityFlagArrayInsert(observation_id=o1, quality_flags=np.array([1, 0, 0, 0, 0, 4], dtype=np.int32),
                               target_id=t)])
    lc = load_lightcurves(conn, t)
    assert len(lc) == 2 * n
    np.testing.assert_array_equal(lc.cadence, np.concatenate([GRID, GRID + 20_000]))
    np.testing.assert_array_equal(lc.observation_id, [o1] * n + [o3] * n)
    np.testing.assert_array_equal(lc.values["SPOC PDC"], np.concatenate([np.arange(n) + 100.0, np.arange(n) + 300.0]))
    np.testing.assert_array_equal(lc.errors["SPOC PDC"], np.full(2 * n, 0.1))
    np.testing.assert_array_equal(lc.quality, [3, 2, 2, 2, 2, 6] + [0] * n)
    assert lc.flags.keys() == {"base_quality_flag"}
    assert np.isnan(lc.time[2]) and np.isnan(lc.time[n:]).all()
    assert lc.time[0] == 1325.0
    assert [(s.observation_id, s.start, s.stop, s.groups, s.flag_types) for s in lc.observations] == [
        (o1, 0, n, ("SPOC PDC",), ("base_quality_flag",)), (o3, n, 2 * n, ("SPOC PDC",), ())]

    ts = load_lightcurves(conn, t).to_timeseries()
    assert isinstance(ts, TimeSeries)
    assert ts.time.format == "btjd" and ts.time.scale == "tdb"
    assert ts.time.mask.tolist() == [False, False, True, False, False, False] + [True] * n
    assert ts.time[0].jd == 2458325.0
    np.testing.assert_array_equal(np.asarray(ts["SPOC PDC"]), lc.values["SPOC PDC"])
    np.testing.assert_array_equal(np.asarray(ts["quality"]), lc.quality)
    assert isinstance(ts.time[1], Time)


def test_processing_group_filter_and_unknown_target(conn: psycopg.Connection[Any]) -> None:
    w = make_world(conn, targets=1, observations=1, grid=GRID)
    t, o = w.targets[0], w.observations[0]
    write(conn, "dataset", [(w.group, t, o, np.ones(GRID.size), np.ones(GRID.size)),
                            (w.other_group, t, o, np.zeros(GRID.size), np.ones(GRID.size))])
    both = load_lightcurves(conn, t)
    assert len(both) == GRID.size and both.group_ids == {"SPOC PDC": w.group, "SPOC SAP": w.other_group}
    assert (both.values["SPOC PDC"] == 1).all() and (both.values["SPOC SAP"] == 0).all()
    only = load_lightcurves(conn, t, processing_group_id=w.other_group)
    assert len(only) == GRID.size and only.values.keys() == {"SPOC SAP"} and (only.values["SPOC SAP"] == 0).all()
    assert only.group_ids == {"SPOC SAP": w.other_group}
    empty = load_lightcurves(conn, 10**12)
    assert len(empty) == 0 and empty.time_system is None
    assert len(empty.to_timeseries()) == 0


def test_updated_grid_is_not_served_from_cache(conn: psycopg.Connection[Any]) -> None:
    w = make_world(conn, targets=1, observations=1, grid=GRID)
    t, o = w.targets[0], w.observations[0]
    write(conn, "dataset", [(w.group, t, o, np.ones(GRID.size), np.ones(GRID.size))])
    assert load_lightcurves(conn, t).cadence.tolist() == GRID.tolist()
    conn.execute("UPDATE observation SET cadence_reference = %s WHERE id = %s", [(GRID + 1).tolist(), o])
    assert load_lightcurves(conn, t).cadence.tolist() == (GRID + 1).tolist()


def test_align_places_values_and_fills() -> None:
    out = align([21, 10, 30], [2.0, 1.0, 3.0], GRID)
    np.testing.assert_array_equal(out, [1.0, np.nan, np.nan, np.nan, 2.0, 3.0])
    flags = align([11], np.array([7], dtype=np.int32), GRID, fill=0)
    assert flags.dtype == np.int32 and flags.tolist() == [0, 7, 0, 0, 0, 0]
    assert np.isnan(align([], [], GRID)).all()


def test_align_refuses_missing_cadence() -> None:
    with pytest.raises(errors.CadenceNotInGrid) as info:
        align([10, 13, 99], [1.0, 2.0, 3.0], GRID)
    assert info.value.cadences == [13, 99]
    assert isinstance(info.value, errors.LightcurveDBError)


def test_align_refuses_duplicates() -> None:
    with pytest.raises(errors.DuplicateCadence) as info:
        align([10, 11, 10], [1.0, 2.0, 3.0], GRID)
    assert info.value.cadences == [10]
    with pytest.raises(errors.DuplicateCadence):
        align([10], [1.0], [10, 10, 11])
    with pytest.raises(ValueError, match="equal length"):
        align([10, 11], [1.0], GRID)


def test_updated_observation_flags_are_not_served_from_cache(conn: psycopg.Connection[Any]) -> None:
    w = make_world(conn, targets=1, observations=1, grid=GRID)
    t, o = w.targets[0], w.observations[0]
    write(conn, "dataset", [(w.group, t, o, np.ones(GRID.size), np.ones(GRID.size))])
    write(conn, "quality_flag_array", [("base_quality_flag", o, None, np.full(GRID.size, 2, dtype=np.int32))])
    assert load_lightcurves(conn, t).quality.tolist() == [2] * GRID.size
    conn.execute("UPDATE quality_flag_array SET quality_flags = %s WHERE target_id IS NULL", [[8] * GRID.size])
    assert load_lightcurves(conn, t).quality.tolist() == [8] * GRID.size
