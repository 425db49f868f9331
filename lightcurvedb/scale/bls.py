"""Box Least Squares transit searches (astropy) of lightcurve records, stored once per dataset and parameters."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib import metadata
from typing import Any

import numpy as np
import psycopg
from astropy.timeseries import BoxLeastSquares

import lightcurvedb
from lightcurvedb.errors import InvalidInput
from lightcurvedb.queries import periodograms
from lightcurvedb.tess.quality import QualityBitmask, bitmask_for, good_cadences, parse_bitmask

METHOD = "bls"
MIN_POINTS = 20
"""Fewer usable cadences than this: no search (the result is stored with no peak, so it is not tried again)."""


@dataclass(frozen=True)
class BlsParameters:
    """What a search is run with (stored with each result as its key): the period range and trial durations in
    days, the period grid's frequency factor (astropy's `autoperiod`), the objective, and the quality mask."""

    min_period: float = 0.5
    max_period: float = 13.0
    durations: tuple[float, ...] = field(default=(0.04, 0.06, 0.08, 0.12, 0.16, 0.2))
    frequency_factor: float = 1.0
    objective: str = "likelihood"
    quality_bitmask: QualityBitmask = "default"

    def __post_init__(self) -> None:
        parse_bitmask(self.quality_bitmask)
        if not (np.isfinite(self.min_period) and np.isfinite(self.max_period)
                and 0 < self.min_period < self.max_period):
            raise InvalidInput(f"the period range must be 0 < min-period < max-period, got {self.min_period} .. "
                               f"{self.max_period} d")
        if not self.durations or min(self.durations) <= 0 or max(self.durations) >= self.min_period:
            raise InvalidInput(f"durations {self.durations} must be positive and shorter than min-period "
                               f"{self.min_period} d")
        if self.objective not in ("likelihood", "snr"):
            raise InvalidInput(f"objective {self.objective!r} is not 'likelihood' or 'snr'")
        if not self.frequency_factor > 0:
            raise InvalidInput(f"frequency factor {self.frequency_factor} must be positive")

    def as_json(self) -> dict[str, Any]:
        """The parameters as a JSON object (the results' key)."""
        out = asdict(self)
        out["durations"] = list(self.durations)
        return json.loads(json.dumps(out, sort_keys=True))  # type: ignore[no-any-return]


def code_version() -> str:
    """The versions that decide a result: lightcurvedb, astropy and NumPy."""
    return (f"lightcurvedb {metadata.version('tess-lightcurvedb')}; astropy {metadata.version('astropy')}; "
            f"numpy {np.__version__}")


def search(record: dict[str, Any], params: BlsParameters) -> dict[str, float]:
    """The best BLS peak of one lightcurve record: its cadences with a finite time and flux that the quality mask
    keeps, flux divided by its median (flux_err too, when every one is finite and positive). Keys: period, epoch,
    duration, depth, depth_snr, power (NaN when fewer than MIN_POINTS cadences or under two minimum periods of
    data) and n_points."""
    time = np.asarray(record["time"], dtype=np.float64)
    flux = np.asarray(record["flux"], dtype=np.float64)
    bits = bitmask_for(params.quality_bitmask, product=record.get("product"), sector=int(record["sector"]))
    keep = np.isfinite(time) & np.isfinite(flux) & good_cadences(record["quality"], bits)
    t, f = time[keep], flux[keep]
    none = dict.fromkeys(("period", "epoch", "duration", "depth", "depth_snr", "power"), float("nan"))
    if t.size < MIN_POINTS or np.ptp(t) < 2 * params.min_period:
        return {**none, "n_points": float(t.size)}
    median = np.median(f)
    y = f / median
    err = np.asarray(record["flux_err"], dtype=np.float64)[keep] / abs(median)
    dy = err if bool(np.all(np.isfinite(err) & (err > 0))) else None
    model = BoxLeastSquares(t, y, dy=dy)
    periods = model.autoperiod(np.array(params.durations), minimum_period=params.min_period,
                               maximum_period=min(params.max_period, np.ptp(t) / 2),
                               frequency_factor=params.frequency_factor)
    result = model.power(periods, np.array(params.durations), objective=params.objective)
    best = int(np.argmax(result.power))
    return {"period": float(result.period[best]), "epoch": float(result.transit_time[best]),
            "duration": float(result.duration[best]), "depth": float(result.depth[best]),
            "depth_snr": float(result.depth_snr[best]), "power": float(result.power[best]),
            "n_points": float(t.size)}


def search_partition(records: list[dict[str, Any]], *, dsn: str, params: BlsParameters,
                     version: str) -> list[dict[str, int]]:
    """The task run per partition: skip the records whose dataset already has a result under these parameters and
    code version, search the others, store their results in one statement (a retried task stores nothing twice).
    Returns one summary: searched, stored, skipped."""
    if not records:
        return [{"searched": 0, "stored": 0, "skipped": 0}]
    key: dict[str, Any] = {"method": METHOD, "parameters": params.as_json(), "code_version": version}
    observation_id = int(records[0]["observation_id"])
    ids = np.array([r["dataset_id"] for r in records], dtype=np.int64)
    with lightcurvedb.connect(dsn) as conn:
        stored = {int(r.dataset_id) for r in periodograms.list_stored_periodogram_datasets(
            conn, observation_id=observation_id, dataset_ids=ids, **key)}
    todo = [r for r in records if int(r["dataset_id"]) not in stored]
    if not todo:
        return [{"searched": 0, "stored": 0, "skipped": len(records)}]
    found = [search(r, params) for r in todo]
    with lightcurvedb.connect(dsn) as conn, conn.transaction():
        new = store_results(conn, todo, found, **key)
    return [{"searched": len(todo), "stored": new, "skipped": len(records) - len(todo)}]


def store_results(conn: psycopg.Connection[Any], records: list[dict[str, Any]], found: list[dict[str, float]], *,
                  method: str, parameters: dict[str, Any], code_version: str) -> int:
    """Store one result per record (its dataset, observation and release); returns how many were new."""
    def column(name: str) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.array([f[name] for f in found], dtype=np.float64)

    return periodograms.store_periodogram_results(
        conn, method=method, parameters=parameters, code_version=code_version,
        dataset_ids=np.array([r["dataset_id"] for r in records], dtype=np.int64),
        observation_ids=np.array([r["observation_id"] for r in records], dtype=np.int64),
        release_ids=np.array([r["release_id"] or 0 for r in records], dtype=np.int64),
        periods=column("period"), epochs=column("epoch"), durations=column("duration"), depths=column("depth"),
        depth_snrs=column("depth_snr"), powers=column("power"),
        n_points=np.array([f["n_points"] for f in found], dtype=np.int32))


def searcher(*, dsn: str, params: BlsParameters) -> Any:
    """The per-partition task of a search storing into `dsn` (a primary): `search_partition` with its key bound."""
    return partial(search_partition, dsn=dsn, params=params, version=code_version())
