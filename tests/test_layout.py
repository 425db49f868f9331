"""The package's layout: no import cycle among lightcurvedb's modules, a one-line summary on every module, and the
public import paths kept (`lightcurvedb.sky`'s names, the stable alias `lightcurvedb.dask`).

The import graph is read from the source (ast), not from an interpreter: every import statement counts, at module
level, inside a function or under `if TYPE_CHECKING:`, absolute or relative. Importing `a.b.c` runs the packages
`a` and `a.b` first, so it depends on them too, except on the packages the importer is itself inside (Python has
started those before it).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from codegen.packages import find_cycle, import_graph, modules

PACKAGE = Path(__file__).resolve().parents[1] / "lightcurvedb"
SKY_NAMES = ("Coverage", "HEALPIX_ORDER", "LoadedPositions", "SectorCoverage", "TIC", "cone_ranges", "cone_search",
             "coverage", "healpix_cells", "load_positions", "neighbours", "position_of", "radius_degrees",
             "record_header_position")
"""The public names of the former module `lightcurvedb/sky.py`, which the package `lightcurvedb.sky` exports."""

def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGE)
    assert {"lightcurvedb.sky.positions", "lightcurvedb.tess.ingest", "lightcurvedb.scale.dask"} <= set(graph)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_cycle_check_sees_relative_function_level_and_type_checking_imports(tmp_path: Path) -> None:
    package = _write(tmp_path, {
        "pkg/__init__.py": '"""P."""\n',
        "pkg/a.py": '"""A."""\nfrom . import b\n',
        "pkg/b.py": '"""B."""\ndef f():\n    from pkg.sub.c import x\n',
        "pkg/sub/__init__.py": '"""S."""\n',
        "pkg/sub/c.py": '"""C."""\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..a import y\n',
    })
    assert find_cycle(import_graph(package)) == ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"]


def test_a_package_importing_its_own_modules_is_no_cycle(tmp_path: Path) -> None:
    package = _write(tmp_path, {
        "pkg/__init__.py": '"""P."""\nfrom pkg.sub import m\n',
        "pkg/sub/__init__.py": '"""S."""\nfrom pkg.sub.m import f\n',
        "pkg/sub/m.py": '"""M."""\nfrom pkg.sub import other\nimport pkg.sub.other\n',
        "pkg/sub/other.py": '"""O."""\n',
        "pkg/user.py": '"""U."""\nfrom pkg.sub import m\n',
    })
    graph = import_graph(package)
    assert graph["pkg.user"] == {"pkg.sub", "pkg.sub.m"} and graph["pkg.sub.m"] == {"pkg.sub.other"}
    assert find_cycle(graph) is None


def test_every_module_has_a_one_line_summary() -> None:
    """A docstring whose first line says what the module is, alone (a blank line before any more)."""
    missing = []
    for name, (path, _) in modules(PACKAGE).items():
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
        lines = (doc or "").splitlines()
        if not lines or not lines[0].strip() or (len(lines) > 1 and lines[1].strip()):
            missing.append(name)
    assert missing == []


def test_sky_exports_the_names_of_the_former_module() -> None:
    from lightcurvedb import sky

    assert sorted(sky.__all__) == sorted(SKY_NAMES)
    for name in SKY_NAMES:
        value = getattr(sky, name)
        assert not isinstance(value, type(sky)), f"lightcurvedb.sky.{name} is a module"


def _defined_names(path: Path) -> set[str]:
    """The public names a module's source defines at top level."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return {n for n in names if not n.startswith("_")}


def test_lightcurvedb_dask_is_a_thin_alias_of_scale_dask() -> None:
    alias = importlib.import_module("lightcurvedb.dask")
    moved = importlib.import_module("lightcurvedb.scale.dask")
    assert sorted(alias.__all__) == sorted(_defined_names(PACKAGE / "scale" / "dask.py"))
    assert all(getattr(alias, name) is getattr(moved, name) for name in alias.__all__)
    body = ast.parse((PACKAGE / "dask.py").read_text(encoding="utf-8")).body
    logic = [node for node in body[1:] if not isinstance(node, ast.ImportFrom)
             and not (isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"])]
    assert logic == []


@pytest.mark.parametrize("module", ["lightcurvedb.commands", "lightcurvedb.tess.commands", "lightcurvedb.tess.demo",
                                    "lightcurvedb.sky.commands", "lightcurvedb.scale.commands"])
def test_each_commands_module_registers_its_commands(module: str) -> None:
    assert callable(importlib.import_module(module).register)
