"""HATS publication: one row per target (TIC, ra, dec, Tmag) with its lightcurves as a nested column.

Written by the Dask workers as Parquet and HEALPix-partitioned by hats-import. Needs the `[scale]` extra.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import lightcurvedb
from lightcurvedb.errors import MissingDependency, NotFound, OutputFileError
from lightcurvedb.scale.dask import EXTRA, dsn_list, read_part, require_dask, spread
from lightcurvedb.scale.partitions import Partition, array_columns, check_processing_group, plan_target_parts
from lightcurvedb.scale.replicas import DEFAULT_MAX_LAG_SECONDS, usable
from lightcurvedb.tess.best.rule import is_best

NESTED = "lightcurve"
"""The nested column: one element per cadence of every lightcurve of the target, in time order."""
NESTED_FIELDS = ("time", "flux", "flux_err", "quality", "cadenceno", "sector", "product")
"""The nested fields a publication can have, in this order; sector and product always."""
DEFAULT_COLUMNS = ("time", "flux", "flux_err", "quality")
"""The arrays a publication nests when no `columns` are given."""
_ARROW_TYPES = {"time": ("float64", np.float64), "flux": ("float64", np.float64), "flux_err": ("float64", np.float64),
                "quality": ("int32", np.int32), "cadenceno": ("int64", np.int64)}
TARGETS_PER_PART = 500


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise MissingDependency(f"a HATS publication needs pyarrow (with hats): {EXTRA}") from exc
    return pyarrow


def _hats_import() -> tuple[Any, Any]:
    """hats-import's ImportArguments and pipeline_with_client."""
    try:
        from hats_import.catalog.arguments import ImportArguments
        from hats_import.pipeline import pipeline_with_client
    except ImportError as exc:
        raise MissingDependency(f"a HATS publication needs hats-import: {EXTRA}") from exc
    return ImportArguments, pipeline_with_client


CATALOG_PROPERTIES = ("hats.properties", "properties")
"""The properties file at the root of a HATS catalog (hats writes both; older catalogs have only `properties`)."""


def is_hats_catalog(path: Path) -> bool:
    """Whether `path` is a HATS catalog's directory: its properties file names a catalog type
    (`dataproduct_type=`, which HATS requires)."""
    for name in CATALOG_PROPERTIES:
        props = path / name
        if props.is_file():
            try:
                lines = props.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return False
            return any(line.replace(" ", "").startswith("dataproduct_type=") for line in lines)
    return False


def check_catalog_output(outdir: Path, *, overwrite: bool, hint: str = "overwrite=True") -> None:
    """Refuse, before any work, an existing output (unless `overwrite`, and then only a HATS catalog: nothing else
    is ever deleted) or a missing parent."""
    out = outdir.absolute()
    if not re.fullmatch(r"[A-Za-z0-9._-]+", out.name):
        raise OutputFileError(f"{out}: a HATS catalog's directory name may hold only letters, digits, '.', '_' "
                              f"and '-' (hats refuses {out.name!r})")
    if out.exists() or out.is_symlink():
        if not overwrite:
            raise OutputFileError(f"{out} exists; pass {hint} to replace it")
        if out.is_symlink() or not out.is_dir() or not is_hats_catalog(out):
            raise OutputFileError(f"{out} exists and is not a HATS catalog (no {CATALOG_PROPERTIES[0]} with a "
                                  f"dataproduct_type): {hint} replaces only a catalog; choose another directory")
    if not out.parent.is_dir():
        raise OutputFileError(f"cannot write {out}: directory {out.parent} does not exist")


def target_table(records: list[dict[str, Any]], columns: Iterable[str] | None = None) -> tuple[Any, int]:
    """(a pyarrow Table of one row per target with a stored position: tic, ra, dec, tmag and the nested
    lightcurve — the arrays of `columns` (default `DEFAULT_COLUMNS`), then sector and product —, the number of
    targets left out for want of a position)."""
    pa = _pyarrow()
    wanted = array_columns(DEFAULT_COLUMNS if columns is None else columns)
    fields = [f for f in NESTED_FIELDS if f in wanted or f in ("sector", "product")]
    by_target: dict[int, list[dict[str, Any]]] = {}
    for rec in records:
        by_target.setdefault(int(rec["target_id"]), []).append(rec)
    kept = [t for t, recs in by_target.items() if recs[0]["ra"] is not None and recs[0]["dec"] is not None]
    offsets = [0]
    pieces: dict[str, list[np.ndarray[Any, Any]]] = {name: [] for name in fields}
    for target in kept:
        for rec in by_target[target]:  # already in time order (read_target_part)
            n = int(rec["cadences"])
            for name in fields:
                if name in _ARROW_TYPES:
                    pieces[name].append(np.asarray(rec[name], dtype=_ARROW_TYPES[name][1]))
            pieces["sector"].append(np.full(n, rec["sector"], dtype=np.int32))
            pieces["product"].append(np.full(n, rec["product"], dtype=object))
        offsets.append(offsets[-1] + sum(int(r["cadences"]) for r in by_target[target]))
    flat = {name: (np.concatenate(parts) if parts else np.empty(0)) for name, parts in pieces.items()}
    arrow = {**{k: getattr(pa, t)() for k, (t, _) in _ARROW_TYPES.items()}, "sector": pa.int32(),
             "product": pa.string()}
    starts = pa.array(offsets, pa.int32())  # nested-pandas' layout: a struct of equally long lists per row
    nested = pa.StructArray.from_arrays([pa.ListArray.from_arrays(starts, pa.array(flat[f], arrow[f]))
                                         for f in fields], names=fields)
    first = [by_target[t][0] for t in kept]
    table = pa.table({
        "tic": pa.array([int(r["tic"]) for r in first], pa.int64()),
        "ra": pa.array([r["ra"] for r in first], pa.float64()),
        "dec": pa.array([r["dec"] for r in first], pa.float64()),
        "tmag": pa.array([r["tmag"] for r in first], pa.float64()),
        NESTED: nested,
    })
    return table, len(by_target) - len(kept)


def write_target_part(dsns: Sequence[str], part: tuple[Partition, ...], processing_group: str | None,
                      path: str, columns: Iterable[str] | None = None) -> dict[str, int]:
    """The task per target part: read its lightcurves, write one Parquet file of its targets; returns counts."""
    pa = _pyarrow()
    records = read_part(dsns, part, processing_group, columns)
    table, unplaced = target_table(records, columns)
    if table.num_rows:
        pa.parquet.write_table(table, path, compression="zstd")
    return {"targets": int(table.num_rows), "unplaced": unplaced, "lightcurves": len(records),
            "cadences": int(sum(int(r["cadences"]) for r in records)),
            "written": int(table.num_rows > 0)}


def publish_hats(dsn_or_dsns: str | Sequence[str], outdir: str | Path, *, client: Any,
                 sectors: Iterable[int] | None = None, product: str | None = None, release: int | None = None,
                 processing_group: str | None = None, columns: Iterable[str] | None = None,
                 overwrite: bool = False, targets_per_part: int = TARGETS_PER_PART, progress: Any = None,
                 max_lag_seconds: float = DEFAULT_MAX_LAG_SECONDS) -> dict[str, int]:
    """Write the selected lightcurves as a HATS catalog in `outdir`: one row per target with a stored position
    (tic, ra, dec, tmag) and a nested `lightcurve` column (time BTJD, flux, flux_err, quality, sector, product;
    each product's flux, as `lcdb export`; `columns` chooses the arrays among time, flux, flux_err, quality,
    cadenceno, and only those are read),
    HEALPix-partitioned by hats-import on `client`'s cluster. The workers
    read the lightcurves (spread over the given primary and standbys) and write Parquet parts under `outdir`'s
    parent, which every worker must see. An existing `outdir` is refused unless `overwrite`; the catalog is built
    beside it and moved into place at the end. `progress` (a rich Progress) shows the read. Returns counts:
    targets, unplaced (left out: no position), lightcurves, cadences."""
    wanted = sorted(array_columns(DEFAULT_COLUMNS if columns is None else columns))  # refused before any work
    dask = require_dask()
    import_arguments, pipeline_with_client = _hats_import()
    out = Path(outdir).absolute()
    check_catalog_output(out, overwrite=overwrite)
    servers = usable(dsn_list(dsn_or_dsns), max_lag_seconds=max_lag_seconds)
    with lightcurvedb.connect(servers[0]) as conn:
        if not is_best(processing_group):  # "best": each release's best group (lcdb best)
            check_processing_group(conn, processing_group)
        parts = plan_target_parts(conn, sectors=sectors, product=product, release=release,
                                  part_size=targets_per_part)
    staging = out.parent / f".lcdb-partial-{secrets.token_hex(4)}-{out.name}"
    inputs = staging / "input"
    inputs.mkdir(parents=True)
    try:
        paths = [str(inputs / f"part-{i:06d}.parquet") for i in range(len(parts))]
        tasks = [dask.delayed(write_target_part, pure=False)(spread(servers, i), part, processing_group, path, wanted,
                                                             dask_key_name=f"lcdb-hats-part-{i}")
                 for i, (part, path) in enumerate(zip(parts, paths, strict=True))]
        futures = client.compute(tasks)
        totals = {"targets": 0, "unplaced": 0, "lightcurves": 0, "cadences": 0}
        task = progress.add_task("reading lightcurves", total=len(futures)) if progress is not None else None
        written = []
        for future, path in zip(futures, paths, strict=True):
            summary = future.result()
            for key in totals:
                totals[key] += summary[key]
            if summary["written"]:
                written.append(path)
            if progress is not None:
                progress.advance(task)
        if not written:
            raise NotFound(f"none of the {totals['lightcurves']} selected lightcurve(s) has a target with a stored "
                           "position (lcdb positions FILE loads a target list)")
        args = import_arguments(
            output_path=str(staging), output_artifact_name=out.name, input_file_list=written,
            file_reader="parquet", ra_column="ra", dec_column="dec", sort_columns="tic", catalog_type="object",
            tmp_dir=str(staging / "tmp"), resume=False, progress_bar=progress is not None,
            simple_progress_bar=True)
        pipeline_with_client(args, client)
        if out.exists():
            check_catalog_output(out, overwrite=overwrite)  # still a catalog (it may have changed meanwhile)
            shutil.rmtree(out)
        os.replace(staging / out.name, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return totals
