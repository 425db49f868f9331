"""Mission time systems as astropy formats: btjd round trips exactly through JD (TDB), ISO, other units."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest
from astropy.time import Time
from hypothesis import given, settings
from hypothesis import strategies as st

from lightcurvedb import errors
from lightcurvedb.queries import missions
from lightcurvedb.timesystem import TESS, MissionTimeSystem, register_mission, time_format


def test_btjd_to_jd_exact_in_tdb() -> None:
    time_format(TESS)
    t = Time(1325.5, format="btjd")
    assert t.scale == "tdb"
    assert t.jd == 2458325.5
    assert t.tdb.jd == 2458325.5
    assert t.iso == "2018-07-26 00:00:00.000"


def test_jd_to_btjd_round_trip() -> None:
    time_format(TESS)
    values = np.array([0.0, 1325.5, 1325.293_456_789, 2500.000_001])
    back = Time(Time(values, format="btjd").jd1, Time(values, format="btjd").jd2, format="jd", scale="tdb")
    np.testing.assert_allclose(back.btjd, values, rtol=0, atol=1e-9)
    assert Time(2458325.5, format="jd", scale="tdb").btjd == 1325.5
    utc = Time("2018-07-25 23:58:50.816", scale="utc")  # TDB - UTC was 69.18 s in 2018
    assert abs(utc.btjd - 1325.5) < 1e-7


def test_same_definition_returns_same_class_and_conflicts_are_typed() -> None:
    cls = time_format(TESS)
    assert register_mission({"time_format_name": "btjd", "time_unit": "d", "time_epoch": 2457000.0,
                             "time_epoch_scale": "tdb", "time_epoch_format": "jd"}) is cls
    with pytest.raises(errors.TimeFormatConflict):
        time_format(MissionTimeSystem("btjd", "d", 2400000.5, "tdb", "jd"))
    with pytest.raises(errors.TimeFormatConflict):
        time_format(MissionTimeSystem("mjd", "d", 2400000.5, "utc", "jd"))
    with pytest.raises(errors.TimeSystemError):
        time_format(MissionTimeSystem("lcdbtest_bad_unit", "m", 0.0, "tdb", "jd"))
    with pytest.raises(errors.TimeSystemError):
        time_format(MissionTimeSystem("lcdbtest_bad_scale", "d", 0.0, "nope", "jd"))


def test_seconds_unit_and_iso_epoch() -> None:
    time_format(MissionTimeSystem("lcdbtest_seconds", "s", "2000-01-01 12:00:00", "tt", "iso"))
    t = Time(86400.0, format="lcdbtest_seconds")
    assert t.scale == "tt"
    assert t.tt.jd == 2451546.0


def test_from_database_mission_row(conn: psycopg.Connection[Any]) -> None:
    conn.execute("INSERT INTO mission (name, time_unit, time_epoch, time_epoch_scale, time_epoch_format, "
                 "time_format_name) VALUES ('TESS', 'd', 2457000, 'tdb', 'jd', 'btjd')")
    cls = register_mission(missions.get_mission_by_name(conn, name="TESS"))
    assert cls.name == "btjd"
    assert Time(1.0, format="btjd").jd == 2457001.0
    with pytest.raises(errors.NotFound):
        missions.get_mission_by_name(conn, name="Kepler")


def test_an_identical_format_registered_by_another_library_is_reused() -> None:
    from astropy.time import TimeFromEpoch

    class ForeignBtjd(TimeFromEpoch):  # what lightkurve does for its own "btjd"
        name = "lcdbtest_foreign_btjd"
        unit = 1.0
        epoch_val = 2457000
        epoch_val2 = None
        epoch_scale = "tdb"
        epoch_format = "jd"

    same = MissionTimeSystem("lcdbtest_foreign_btjd", "d", 2457000.0, "tdb", "jd")
    assert time_format(same) is ForeignBtjd
    assert Time(1.5, format="lcdbtest_foreign_btjd").jd == 2457001.5

    class ForeignOther(TimeFromEpoch):
        name = "lcdbtest_foreign_other"
        unit = 1.0
        epoch_val = 2400000.5
        epoch_val2 = None
        epoch_scale = "utc"
        epoch_format = "jd"

    with pytest.raises(errors.TimeFormatConflict, match="another definition"):
        time_format(MissionTimeSystem("lcdbtest_foreign_other", "d", 2457000.0, "tdb", "jd"))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.floats(-1e7, 1e7, allow_nan=False), st.floats(-1.0, 1.0, allow_nan=False),
                                 st.just(float("nan")), st.sampled_from([0.5, -0.5, 1.5, -1325.5, 1e-300])),
                       min_size=1, max_size=40))
def test_mission_time_fast_path_is_bit_identical_to_astropy(values: list[float]) -> None:
    from lightcurvedb.timesystem import mission_time

    data = np.array(values, dtype=np.float64)
    fast = mission_time(data, TESS)
    slow = Time(np.ma.masked_invalid(data), format="btjd")
    assert fast.format == "btjd"
    assert fast.scale == "tdb"
    assert np.array_equal(np.broadcast_to(np.asarray(fast.mask, dtype=bool), data.shape), np.isnan(data))
    ok = ~np.isnan(data)
    assert np.array_equal(np.asarray(fast.jd1)[ok], np.asarray(slow.jd1)[ok])
    assert np.array_equal(np.asarray(fast.jd2)[ok], np.asarray(slow.jd2)[ok])
    assert np.array_equal(np.asarray(fast.value)[ok], data[ok])


def test_mission_time_general_unit_uses_astropy() -> None:
    from lightcurvedb.timesystem import mission_time

    hours = MissionTimeSystem("lcdbtest_hours", "h", 2457000.0, "tdb", "jd")
    t = mission_time(np.array([0.0, 24.0, np.nan]), hours)
    assert t.format == "lcdbtest_hours"
    assert t.jd[1] == 2457001.0
    assert bool(t.mask[2])
