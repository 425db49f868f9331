"""Helpers of the bad-input, bad-FITS, hostile-string and security tests: a world of reference rows made through
the generated queries, row-count snapshots, FITS mutations, hostile strings and a tally of inputs tried."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from astropy.io import fits

from lightcurvedb.errors import LightcurveDBError
from lightcurvedb.queries import instruments, missions, observations, processing, targets

Conn = psycopg.Connection[Any]
CADENCES = np.arange(1000, 1012, dtype=np.int64)

# --- tally: inputs tried per category (written to $LCDB_RELIABILITY_FIGURES as JSON lines when set) ---------

TALLY: Counter[str] = Counter()


def tally(category: str, n: int = 1) -> None:
    TALLY[category] += n


def flush_tally(module: str) -> None:
    out = os.environ.get("LCDB_RELIABILITY_FIGURES")
    if out and TALLY:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"module": module, **TALLY}) + "\n")
    TALLY.clear()


# --- the database side -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    mission_id: Any
    catalog_id: Any
    target_id: int
    instrument_id: int
    group_id: int
    observation_id: int


def make_world(conn: Conn) -> World:
    """Mission, catalog, a target, an instrument, a processing group and a TESS observation (CADENCES)."""
    m = missions.create_mission(conn, name="TESS", description=None, time_unit="d", time_epoch=2457000.0,
                                time_epoch_scale="tdb", time_epoch_format="jd", time_format_name="btjd")
    tic = missions.create_catalog(conn, host_mission_id=m.id, name="TIC")
    t = targets.create_target(conn, catalog_id=tic.id, name=261136679)
    ins = instruments.create_instrument(conn, name="TESS", properties={})
    g = processing.get_or_create_processing_group(conn, source_name="SAP", method_name="none", name="SPOC SAP")
    o = observations.create_tess_observation(conn, instrument_id=ins.id, cadence_reference=CADENCES, sector=1)
    return World(m.id, tic.id, t.id, ins.id, g.id, o.id)


def row_counts(conn: Conn) -> dict[str, int]:
    """Row count of every table (partitions included) of the schema `public`, and the number of tables."""
    tables = [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1").fetchall()]
    counts = {"#tables": len(tables)}
    for t in tables:
        row = conn.execute(psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(t))).fetchone()
        counts[t] = int(row[0]) if row else -1
    return counts


@contextmanager
def refused(conn: Conn, category: str, *, expect: type[BaseException] = LightcurveDBError,
            allow_ok: bool = False) -> Iterator[dict[str, Any]]:
    """Run the body in a savepoint; assert it raises a typed lightcurvedb error and changes no row count.

    With ``allow_ok`` the body may also succeed (the caller then checks what was stored). The dict yielded
    gets ``error`` (the exception or None).
    """
    tally(category)
    before = row_counts(conn)
    info: dict[str, Any] = {"error": None}
    try:
        with conn.transaction():
            yield info
    except LightcurveDBError as exc:
        info["error"] = exc
    except Exception as exc:
        pytest.fail(f"{category}: untyped {type(exc).__module__}.{type(exc).__name__}: {exc!s:.300}")
    err = info["error"]
    if err is not None:
        assert isinstance(err, expect), f"{category}: {type(err).__name__} is not a {expect.__name__}: {err}"
        assert str(err), f"{category}: the error names no problem"
        assert row_counts(conn) == before, f"{category}: rows changed although the write was refused"
        return
    if not allow_ok:
        pytest.fail(f"{category}: accepted (expected a typed {expect.__name__})")


# --- FITS files ----------------------------------------------------------------------------------------


def spoc_hdul(n: int = 40, *, tic: Any = 25155310, sector: int = 3, seed: int = 1) -> fits.HDUList:
    """A small valid SPOC 2-min lightcurve (n cadences): SPOC's layout, ORIGIN and TIMEDEL."""
    rng = np.random.default_rng(seed)
    cad = np.arange(5000, 5000 + n, dtype=np.int32)
    time = 1400.0 + (cad - 5000) * (2.0 / 1440.0)
    flux = (1000 + rng.normal(0, 1, n)).astype(np.float32)
    cols = [
        fits.Column("TIME", "D", array=time), fits.Column("TIMECORR", "E", array=np.zeros(n, np.float32)),
        fits.Column("CADENCENO", "J", array=cad),
        fits.Column("SAP_FLUX", "E", array=flux), fits.Column("SAP_FLUX_ERR", "E", array=np.ones(n, np.float32)),
        fits.Column("PDCSAP_FLUX", "E", array=flux), fits.Column("PDCSAP_FLUX_ERR", "E",
                                                                 array=np.ones(n, np.float32)),
        fits.Column("QUALITY", "J", array=np.zeros(n, np.int32)),
    ]
    primary = fits.PrimaryHDU()
    for k, v in (("ORIGIN", "NASA/Ames"), ("TELESCOP", "TESS"), ("TICID", tic), ("SECTOR", sector), ("CAMERA", 1),
                 ("CCD", 2), ("OBJECT", "TIC x")):
        primary.header[k] = v
    table = fits.BinTableHDU.from_columns(cols, name="LIGHTCURVE")
    for k, v in (("TIMESYS", "TDB"), ("BJDREFI", 2457000), ("BJDREFF", 0.0), ("TIMEUNIT", "d"),
                 ("TIMEDEL", 2.0 / 1440.0)):
        table.header[k] = v
    return fits.HDUList([primary, table])


def table_with(hdul: fits.HDUList, change: Callable[[dict[str, fits.Column]], None]) -> fits.HDUList:
    """A copy of `hdul` whose LIGHTCURVE columns went through `change` (a dict name -> Column, edited in place)."""
    old = hdul["LIGHTCURVE"]
    cols = {c.name: c for c in old.columns}
    change(cols)
    table = fits.BinTableHDU.from_columns(list(cols.values()), header=old.header.copy(), name="LIGHTCURVE")
    return fits.HDUList([hdul[0].copy(), table])


def write(hdul: fits.HDUList, path: Path) -> Path:
    hdul.writeto(path, overwrite=True, output_verify="silentfix")
    return path


# --- hostile strings -------------------------------------------------------------------------------------

HOSTILE_OK = [
    "O'Brien", 'say "hi"', "'); DROP TABLE dataset; --", "x\\'; SELECT pg_sleep(10); --", "%s %(name)s {0} {}",
    "$1 $$ $tag$", "\\x00 literally", "back\\slash", "tab\tnew\nline\rcr", "\u202eRTL override\u202c",
    "مرحبا بالعالم", "שלום", "🔭✨🌌 emoji 👩\u200d🚀", "e\u0301 combining", "\ufeffBOM", "\U0010fffd plane 16",
    " leading and trailing ", "a" * 5000, "ünïcödé " * 200,
]
"""Strings PostgreSQL text stores: each must read back equal."""

HOSTILE_BAD = ["NUL\x00inside", "\x00", "lone \udc80 surrogate", "\ud83d half an emoji"]
"""Strings PostgreSQL text cannot hold: each must be refused with InvalidText before anything is sent."""

BIG = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(350_000))  # ~1 MB of UTF-8, incompressible-ish
"""A ~1 MB name: too large for a unique index (refused, ValueTooLarge), fine in a description."""
