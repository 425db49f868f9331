"""`lcdb` imports only what a command runs: `--help` builds every parser without NumPy, astropy, psycopg or Dask,
and `lcdb show` loads no cluster, plotting or HATS library. Each check runs in a fresh interpreter, since this
test process has long imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

import pytest

from lightcurvedb.tess.synthetic import SAMPLE

CLUSTER_AND_PLOTS = ("dask", "distributed", "lightkurve", "matplotlib", "hats", "lsdb")
"""Never imported by `lcdb --help` nor `lcdb show`."""
SKY = ("lightcurvedb.sky.angles", "lightcurvedb.sky.healpix", "lightcurvedb.sky.positions", "lightcurvedb.sky.search",
       "lightcurvedb.sky.sectors", "lightcurvedb.sky.target_list")
"""The sky's modules but its commands (which `lcdb` registers: the package itself is always imported)."""
SCALE = ("lightcurvedb.dask", "lightcurvedb.scale.bls", "lightcurvedb.scale.dask", "lightcurvedb.scale.partitions",
         "lightcurvedb.scale.publish", "lightcurvedb.scale.replicas")
"""The cluster's modules but its commands."""
NOT_FOR_HELP = (*CLUSTER_AND_PLOTS, *SKY, *SCALE, "astropy", "numpy", "psycopg", "psycopg_pool", "cdshealpix",
                "rich.progress", "pydantic", "yoyo", "lightcurvedb.connection", "lightcurvedb.tess.tic",
                "lightcurvedb.tess.ingest")
"""Not imported by building the parsers (`lcdb --help`, `lcdb CMD --help`)."""
NOT_FOR_SHOW = (*CLUSTER_AND_PLOTS, *SKY, *SCALE, "cdshealpix", "lightcurvedb.tess.plot", "lightcurvedb.tess.ingest",
                "lightcurvedb.tess.fits_reader", "lightcurvedb.tess.lightkurve_collection")
"""Not imported by `lcdb show TIC` (it reads and prints a table)."""

_PROBE = """
import json, sys
from lightcurvedb.cli import main
try:
    code = main({argv!r})
except SystemExit as exc:
    code = exc.code
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def _run_in_fresh_process(argv: list[str]) -> tuple[int, set[str], str]:
    """Exit code of `lightcurvedb.cli.main(argv)` in a new interpreter, the modules it had imported, its stderr."""
    proc = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return int(result["code"]), set(result["modules"]), proc.stderr


def _loaded(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """Those of `names` present in `modules`, a package counting as present when any of its submodules is."""
    return [n for n in names if n in modules or any(m.startswith(n + ".") for m in modules)]


@pytest.mark.parametrize("argv", [["--help"], ["bls", "--help"], ["publish", "hats", "--help"], ["export", "--help"],
                                  ["search", "--help"], ["demo", "--help"]])
def test_help_imports_nothing_heavy(argv: list[str]) -> None:
    code, modules, err = _run_in_fresh_process(argv)
    assert code == 0, err
    assert _loaded(modules, NOT_FOR_HELP) == []


@pytest.fixture(scope="module")
def shown_dsn(clone_db: Callable[[str], AbstractContextManager[str]],
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A database holding the synthetic sample's first target (its files written here), and that target's TIC."""
    from lightcurvedb.tess import ingest_paths
    from lightcurvedb.tess.synthetic import write_sample

    star = SAMPLE[0]
    files = write_sample(tmp_path_factory.mktemp("cli_imports"), sample=(star,))
    with clone_db("lcdb_cli_imports") as dsn:
        summary = ingest_paths(dsn, files)
        assert summary.failed == [], [(r.path.name, r.error) for r in summary.failed]
        yield dsn, star.tic_id


def test_show_imports_no_cluster_or_plotting_library(shown_dsn: tuple[str, int]) -> None:
    dsn, tic = shown_dsn
    code, modules, err = _run_in_fresh_process(["--dsn", dsn, "show", str(tic)])
    assert code == 0, err
    assert _loaded(modules, NOT_FOR_SHOW) == []


def test_bls_parser_defaults_are_the_searchs() -> None:
    """`lcdb bls` spells its period defaults without importing the search; they stay BlsParameters' own."""
    from lightcurvedb.scale import commands as scale_commands
    from lightcurvedb.scale.bls import BlsParameters

    defaults = BlsParameters()
    assert defaults.min_period == scale_commands.MIN_PERIOD
    assert defaults.max_period == scale_commands.MAX_PERIOD


def test_lazy_package_names_still_resolve() -> None:
    """`lightcurvedb.connect`/`pool` and the names of `lightcurvedb.tess` load on first use, as before."""
    import lightcurvedb
    import lightcurvedb.tess as tess
    from lightcurvedb import connection
    from lightcurvedb import tess as tess_package
    from lightcurvedb.tess import fits_reader, ingest, lightkurve_collection

    assert lightcurvedb.connect is connection.connect and lightcurvedb.pool is connection.pool
    assert tess_package is tess
    assert tess.read_lightcurve is fits_reader.read_lightcurve
    assert tess.ingest_paths is ingest.ingest_paths and tess.IngestSummary is ingest.IngestSummary
    assert tess.to_lightkurve is lightkurve_collection.to_lightkurve
    assert {"connect", "pool"} <= set(dir(lightcurvedb)) and set(tess.__all__) <= set(dir(tess))
    for module, name in ((lightcurvedb, "no_such_name"), (tess, "no_such_name")):
        with pytest.raises(AttributeError, match=name):
            getattr(module, name)
    star: dict[str, object] = {}
    exec("from lightcurvedb.tess import *", star)  # noqa: S102 - the star import of the public names
    assert set(tess.__all__) <= set(star)


def test_a_fresh_import_of_the_package_loads_no_driver() -> None:
    """`import lightcurvedb` opens no connection and imports no psycopg until `connect` is used."""
    code = ("import sys, lightcurvedb; assert 'psycopg' not in sys.modules; "
            "lightcurvedb.connect; assert 'psycopg' in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def test_main_reports_lightcurvedb_psycopg_and_os_errors_only() -> None:
    """`main` catches Exception and reports the same three kinds as before (psycopg's looked up lazily); any other
    error keeps its traceback."""
    import psycopg

    from lightcurvedb.cli import _reported
    from lightcurvedb.errors import InvalidInput

    assert _reported(InvalidInput("x")) and _reported(FileNotFoundError(2, "x"))
    assert _reported(psycopg.OperationalError())
    assert not _reported(ValueError("x")) and not _reported(RuntimeError("x"))
