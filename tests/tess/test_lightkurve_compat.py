"""Exports open in lightkurve, and lightkurve's own `btjd` format coexists with ours in one process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lightcurvedb
from lightcurvedb.tess import ingest_paths
from lightcurvedb.tess.export import write_lightcurves
from lightcurvedb.tess.synthetic import SAMPLE
from lightcurvedb.tess.tic import load_tic

lk = pytest.importorskip("lightkurve", reason="lightkurve is part of the [dev] extra")


def test_exported_fits_opens_in_lightkurve(module_dsn: str, synthetic_dir: Path, tmp_path: Path) -> None:
    summary = ingest_paths(module_dsn, [synthetic_dir])
    assert not summary.failed
    tic = SAMPLE[0].tic_id
    with lightcurvedb.connect(module_dsn) as conn:
        lcs = load_tic(conn, tic)
    ts = lcs.timeseries()
    out = tmp_path / f"tic{tic}.fits"
    write_lightcurves(lcs, out)

    lc = lk.read(str(out), quality_bitmask="none")  # keep flagged cadences: compare everything
    assert type(lc).__name__ == "TessLightCurve"
    assert lc.time.format == "btjd"
    assert lc.time.scale == "tdb"
    assert int(lc.meta["TICID"]) == tic
    # lightkurve drops cadences whose TIME is NaN; everything else must be ours, bit for bit
    known = ~np.asarray(ts["time"].mask, dtype=bool)
    assert len(lc) == int(known.sum())
    assert np.array_equal(lc.flux.value, np.asarray(ts["flux"], dtype=np.float64)[known], equal_nan=True)
    assert np.array_equal(np.asarray(lc.quality), np.asarray(ts["quality"])[known])
    assert np.array_equal(lc.time.btjd, np.asarray(ts["time"].btjd)[known])
