"""Compressed arrays (0020.compressed_arrays): placeholder arrays cost a few hundred bytes and read back bit for bit
(NaN payloads, dtype and length), on every partition, old and new."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg

from lightcurvedb import bulk
from lightcurvedb.lightcurve import load_lightcurves
from lightcurvedb.queries import instruments, missions, observations, processing, targets

CADENCES = 20_076  # a SPOC 2-min sector
ARRAY_COLUMNS = {("dataset", "values"), ("dataset", "errors"), ("dataset", "values_f4"), ("dataset", "errors_f4"),
                 ("target_specific_time", "barycentric_julian_dates"), ("quality_flag_array", "quality_flags")}


def _storage(conn: psycopg.Connection[Any]) -> set[tuple[str, str, str, str]]:
    """(table, column, storage, compression) of the array columns of the data tables and all their partitions."""
    return set(conn.execute(
        "SELECT coalesce(p.relname, c.relname), a.attname, a.attstorage::text, a.attcompression::text "
        "FROM pg_attribute AS a JOIN pg_class AS c ON c.oid = a.attrelid "
        "LEFT JOIN pg_inherits AS h ON h.inhrelid = c.oid LEFT JOIN pg_class AS p ON p.oid = h.inhparent "
        "WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped "
        "AND coalesce(p.relname, c.relname) IN ('dataset', 'target_specific_time', 'quality_flag_array') "
        "AND a.atttypid IN ('float8[]'::regtype, 'real[]'::regtype, 'int4[]'::regtype)").fetchall())


def _observation(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    mission = missions.create_mission(conn, name="TESS", description=None, time_unit="d", time_epoch=2457000.0,
                                      time_epoch_scale="tdb", time_epoch_format="jd", time_format_name="btjd")
    tic = missions.create_catalog(conn, host_mission_id=mission.id, name="TIC")
    target = targets.create_target(conn, catalog_id=tic.id, name=358108509)
    ccd = instruments.create_instrument(conn, name="CCD", properties={})
    obs = observations.create_tess_observation(conn, instrument_id=ccd.id, cadence_reference=np.arange(CADENCES),
                                               sector=1)
    return target.id, obs.id


def test_every_array_column_of_every_partition_is_compressed(conn: psycopg.Connection[Any]) -> None:
    _observation(conn)  # a partition created after the migration
    found = _storage(conn)
    assert {(t, c) for t, c, _, _ in found} == ARRAY_COLUMNS
    assert {(s, m) for _, _, s, m in found} <= {("x", "l"), ("x", "p")}
    assert len({m for _, _, _, m in found}) == 1  # one method: the server's best


def test_placeholder_arrays_cost_a_few_hundred_bytes_and_read_back_bit_for_bit(conn: psycopg.Connection[Any]) -> None:
    target, obs = _observation(conn)
    payload_nan = np.full(CADENCES, 0x7FF8_0000_0000_0123, np.uint64).view(np.float64)  # a NaN with a payload
    constant_f4 = np.full(CADENCES, np.float32(1.25))
    rng = np.random.default_rng(7)
    noisy = rng.normal(1000.0, 3.0, CADENCES)
    rows = {"placeholder": (payload_nan, payload_nan), "constant": (constant_f4, constant_f4),
            "flux": (noisy, np.abs(noisy) * 1e-3)}
    groups = {name: processing.get_or_create_processing_group(conn, source_name=name, method_name="none",
                                                              name=name).id for name in rows}
    bulk.write(conn, "dataset", [{"processing_group_id": groups[n], "target_id": target, "observation_id": obs,
                                  "values": v, "errors": e} for n, (v, e) in rows.items()])
    stored = dict(conn.execute(
        "SELECT g.name, coalesce(pg_column_size(d.values), 0) + coalesce(pg_column_size(d.values_f4), 0) "
        "FROM dataset AS d JOIN processing_group AS g ON g.id = d.processing_group_id").fetchall())
    assert stored["placeholder"] < 2_000 and stored["constant"] < 2_000, stored
    assert stored["flux"] > 0.9 * CADENCES * 8, stored  # noise does not compress: stored as it is
    back = load_lightcurves(conn, target)  # the package's read: every bit, the dtype and the length
    for name, (values, errors) in rows.items():
        for got, want in ((back.values[name], values), (back.errors[name], errors)):
            assert got.dtype == want.dtype and got.shape == want.shape, name
            assert got.tobytes() == want.tobytes(), name
