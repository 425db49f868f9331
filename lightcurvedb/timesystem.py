"""Mission time systems as astropy time formats (TimeFromEpoch subclasses registered by name, e.g. "btjd")."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lightcurvedb.errors import TimeFormatConflict, TimeSystemError

if TYPE_CHECKING:  # astropy is imported where times are made: a command that makes none does not load it
    from astropy.time import Time, TimeFromEpoch

_LOCK = threading.Lock()
_REGISTERED: dict[str, tuple[MissionTimeSystem, type[TimeFromEpoch]]] = {}
_SCALES = ("tai", "tcb", "tcg", "tdb", "tt", "ut1", "utc", "local")


@dataclass(frozen=True)
class MissionTimeSystem:
    """A mission row's time system: times are offsets in `time_unit` from `time_epoch`."""

    time_format_name: str
    time_unit: str
    time_epoch: float | str
    time_epoch_scale: str
    time_epoch_format: str

    @classmethod
    def from_row(cls, row: Any) -> MissionTimeSystem:
        """Build from a mission record (attributes) or mapping with the mission table's column names."""
        def get(key: str) -> Any:
            return row[key] if isinstance(row, dict) else getattr(row, key)

        return cls(str(get("time_format_name")), str(get("time_unit")), get("time_epoch"),
                   str(get("time_epoch_scale")), str(get("time_epoch_format")))

    @property
    def unit_in_days(self) -> float:
        """The time unit as a number of days (astropy's TimeFromEpoch.unit)."""
        import astropy.units as u

        try:
            return float(u.Unit(self.time_unit).to(u.day))
        except (ValueError, u.UnitConversionError, TypeError) as exc:
            raise TimeSystemError(f"mission time unit {self.time_unit!r} is not a unit of time") from exc


def time_format(system: MissionTimeSystem) -> type[TimeFromEpoch]:
    """Return the astropy TimeFromEpoch subclass for `system`, creating and registering it on first use.

    After this, ``Time(x, format=system.time_format_name)`` works and converts to JD/ISO/other scales.
    Registering the same definition again returns the same class; a different definition under a name in use
    (or one of astropy's own formats) raises TimeFormatConflict.
    """
    from astropy.time import Time, TimeFromEpoch
    from astropy.time.formats import TIME_FORMATS

    name = system.time_format_name
    if not name.isidentifier() or name != name.lower():
        raise TimeSystemError(f"time format name {name!r} must be a lower-case identifier")
    if system.time_epoch_scale not in _SCALES:
        raise TimeSystemError(f"unknown astropy time scale {system.time_epoch_scale!r}")
    with _LOCK:
        known = _REGISTERED.get(name)
        if known is not None:
            if known[0] != system:
                raise TimeFormatConflict(f"time format {name!r} is already registered as {known[0]}, not {system}")
            return known[1]
        if name in TIME_FORMATS:
            existing: type[TimeFromEpoch] = TIME_FORMATS[name]
            if _same_definition(existing, system):
                _REGISTERED[name] = (system, existing)  # e.g. lightkurve's own TimeBTJD: identical, reuse it
                return existing
            raise TimeFormatConflict(f"{name!r} is already an astropy time format with another definition")
        if system.time_epoch_format not in TIME_FORMATS:
            raise TimeSystemError(f"unknown astropy time format {system.time_epoch_format!r} for the epoch")
        epoch = system.time_epoch
        try:
            Time(epoch, scale=system.time_epoch_scale, format=system.time_epoch_format)
        except Exception as exc:
            raise TimeSystemError(f"invalid epoch {epoch!r} ({system.time_epoch_format}, "
                                  f"{system.time_epoch_scale})") from exc
        attrs = {
            "name": name,
            "unit": system.unit_in_days,
            "epoch_val": epoch,
            "epoch_val2": None,
            "epoch_scale": system.time_epoch_scale,
            "epoch_format": system.time_epoch_format,
            "__doc__": f"Mission time {name!r}: {system.time_unit} since {epoch} "
                       f"({system.time_epoch_format}, {system.time_epoch_scale}).",
            "__module__": __name__,
        }
        cls = type(f"Time_{name}", (TimeFromEpoch,), attrs)  # class creation registers `name` with astropy
        _REGISTERED[name] = (system, cls)
        return cls


def _same_definition(cls: type[Any], system: MissionTimeSystem) -> bool:
    """True when an already registered astropy format is the same epoch-based time system."""
    from astropy.time import TimeFromEpoch

    if not (isinstance(cls, type) and issubclass(cls, TimeFromEpoch)):
        return False
    return (
        float(cls.unit) == system.unit_in_days
        and float(cls.epoch_val) == float(system.time_epoch)
        and float(cls.epoch_val2 or 0.0) == 0.0
        and cls.epoch_scale == system.time_epoch_scale
        and cls.epoch_format == system.time_epoch_format
    )


def mission_time(values: Any, system: MissionTimeSystem) -> Time:
    """An astropy Time of `values` in the mission's format; NaN values are masked.

    Same result as ``Time(values, format=name)`` (the tests compare jd1/jd2 bit for bit), but for an epoch in
    JD with a unit of one day it is built from (epoch, values) as a two-part JD and then given the mission's
    format, which skips TimeFromEpoch's per-element day splitting: ~0.15 ms instead of ~1 ms for 13,000 values.
    """
    from astropy.time import Time

    cls = time_format(system)
    data = np.asarray(values, dtype=np.float64)
    given: Any = np.ma.masked_invalid(data) if np.isnan(data).any() else data
    if system.unit_in_days == 1.0 and system.time_epoch_format == "jd":
        t = Time(float(system.time_epoch), given, format="jd", scale=system.time_epoch_scale)
        t.format = cls.name
        return t
    return Time(given, format=cls.name)


def register_mission(row: Any) -> type[TimeFromEpoch]:
    """Register the time format of a mission row (record or mapping); see `time_format`."""
    return time_format(MissionTimeSystem.from_row(row))


TESS = MissionTimeSystem("btjd", "d", 2457000.0, "tdb", "jd")
"""TESS Barycentric Julian Date: BJD(TDB) − 2457000 days (the mission row seeded for TESS)."""
