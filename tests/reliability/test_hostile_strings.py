"""Hostile strings in every free-text field: stored verbatim or refused with a typed error; no SQL built from input."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest

from lightcurvedb import bulk, errors
from lightcurvedb.queries import instruments, missions, processing
from lightcurvedb.records.frames import FitsFrameInsert

from ._corpus import BIG, HOSTILE_BAD, HOSTILE_OK, World, flush_tally, make_world, refused, tally

Conn = psycopg.Connection[Any]
PACKAGE = Path(__file__).resolve().parents[2] / "lightcurvedb"


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    flush_tally(__name__)


@pytest.fixture
def world(conn: Conn) -> World:
    return make_world(conn)


_n = iter(range(10**9))


def _uniq(s: str) -> str:
    """Unique per call (names are unique keys) while keeping the hostile part."""
    return f"{s}#{next(_n)}"


# field name -> (write the value, read it back)
def _fields(conn: Conn, w: World) -> dict[str, Callable[[str], str | None]]:
    def mission(name: str | None = None, description: str | None = None) -> Any:
        return missions.create_mission(conn, name=_uniq("m") if name is None else name, description=description,
                                       time_unit="d",
                                       time_epoch=0.0, time_epoch_scale="tdb", time_epoch_format="jd",
                                       time_format_name=_uniq("fmt"))

    def group(**kw: Any) -> Any:
        src = processing.get_or_create_photometric_source(conn, name=_uniq("s"))
        det = processing.get_or_create_detrending_method(conn, name=_uniq("d"))
        args = {"name": _uniq("g"), "description": None} | kw
        return processing.create_processing_group(conn, photometric_source_id=src.id,
                                                  detrending_method_id=det.id, **args)

    def frame_path(s: str) -> str | None:
        bulk.write(conn, "fits_frame", [FitsFrameInsert(observation_id=w.observation_id, cadence=next(_n), bitpix=16,
                                                        naxis=0, file_path=s)])
        row = conn.execute("SELECT file_path FROM fits_frame ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def flag_type(s: str) -> str | None:
        bulk.write(conn, "quality_flag_array", [(s, w.observation_id, None, np.zeros(12, np.int32))])
        row = conn.execute("SELECT type FROM quality_flag_array ORDER BY id DESC LIMIT 1").fetchone()
        conn.execute("DELETE FROM quality_flag_array")
        return row[0] if row else None

    return {
        "mission.name": lambda s: mission(name=s).name,
        "mission.description": lambda s: mission(description=s).description,
        "mission_catalog.name": lambda s: missions.create_catalog(conn, host_mission_id=w.mission_id, name=s).name,
        "mission_catalog.description": lambda s: missions.create_catalog(
            conn, host_mission_id=w.mission_id, name=_uniq("c"), description=s).description,
        "instrument.name": lambda s: instruments.create_instrument(conn, name=s, properties={}).name,
        "instrument.properties (value)": lambda s: instruments.create_instrument(
            conn, name=_uniq("i"), properties={"v": s}).properties["v"],
        "instrument.properties (key)": lambda s: next(iter(instruments.create_instrument(
            conn, name=_uniq("i"), properties={s: 1}).properties)),
        "photometric_source.name": lambda s: processing.get_or_create_photometric_source(conn, name=s).name,
        "detrending_method.name": lambda s: processing.get_or_create_detrending_method(conn, name=s).name,
        "processing_group.name": lambda s: group(name=s).name,
        "processing_group.description": lambda s: group(description=s).description,
        "fits_frame.file_path": frame_path,
        "quality_flag_array.type": flag_type,
    }


FIELDS = ["mission.name", "mission.description", "mission_catalog.name", "mission_catalog.description",
          "instrument.name", "instrument.properties (value)", "instrument.properties (key)",
          "photometric_source.name", "detrending_method.name", "processing_group.name",
          "processing_group.description", "fits_frame.file_path", "quality_flag_array.type"]
UNIQUE_NAMES = {"mission.name", "mission_catalog.name", "instrument.name", "photometric_source.name",
                "detrending_method.name", "processing_group.name"}
NOT_BLANK = UNIQUE_NAMES | {"quality_flag_array.type"}


@pytest.mark.parametrize("field", FIELDS)
def test_hostile_strings_are_stored_verbatim_or_refused(conn: Conn, world: World, field: str) -> None:
    write = _fields(conn, world)[field]
    for s in HOSTILE_OK:
        value = _uniq(s) if field in UNIQUE_NAMES else s
        with refused(conn, f"hostile text stored: {field}", allow_ok=True) as info:
            got = write(value)
        assert info["error"] is None, (field, s[:40], info["error"])
        assert got == value, (field, s[:40])
    for s in HOSTILE_BAD:
        expect = errors.InvalidJson if "properties" in field else errors.InvalidText
        with refused(conn, f"hostile text refused: {field}", expect=expect):
            write(s)
    # ~1 MB: a unique name does not fit its index (ValueTooLarge); other text is stored
    with refused(conn, f"1 MB text: {field}", allow_ok=True) as info:
        got = write(BIG)
    if info["error"] is None:
        assert got == BIG
    else:
        assert isinstance(info["error"], errors.ValueTooLarge), info["error"]


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": float("inf")}, {"x": [1, {"y": "\x00"}]},
                                 {"x": object()}, {"x": "\udcff"}])
def test_unstorable_json_is_refused(conn: Conn, bad: dict[str, Any]) -> None:
    with refused(conn, "hostile JSON refused", expect=errors.InvalidJson):
        instruments.create_instrument(conn, name=_uniq("i"), properties=bad)


def test_blank_names_are_refused(conn: Conn, world: World) -> None:
    fields = _fields(conn, world)
    for field in sorted(NOT_BLANK):
        for blank in ("", "   ", "\t\n"):
            with refused(conn, f"blank name refused: {field}", expect=errors.InvalidData) as info:
                fields[field](blank)
            assert info["error"].constraint.endswith("_not_blank")


# --- no SQL is built by formatting user input -----------------------------------------------------------

_EXECUTORS = {"execute", "executemany", "copy", "stream", "SQL", "one", "opt", "many", "scalar"}


def _is_constant_name(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id.isupper()


def _is_safe_sql_arg(node: ast.expr) -> bool:
    """A statement argument that cannot carry user input: a literal, a name (module constants such as _QUERY,
    LiteralString-typed), or psycopg.sql composition (sql.SQL(<literal>).format(<Identifier/Literal/...>))."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name | ast.Attribute):
        return True
    if isinstance(node, ast.JoinedStr):  # f-strings: only literal parts and UPPER_CASE module constants
        return all(isinstance(v, ast.Constant) or (isinstance(v, ast.FormattedValue) and _is_constant_name(v.value))
                   for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and any(
            isinstance(side, ast.Call) and _is_safe_sql_arg(side) for side in (node.left, node.right)):
        return True  # Composable + Composable (psycopg refuses Composable + str with a TypeError)
    if isinstance(node, ast.BinOp):  # "…" % x or "…" + x: only literals and UPPER_CASE constants
        return all(isinstance(side, ast.Constant) or _is_constant_name(side)
                   or (isinstance(side, ast.BinOp) and _is_safe_sql_arg(side)) for side in (node.left, node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func
        if func.attr == "format":
            # sql.SQL("...").format(...) is psycopg composition (values quoted by Identifier/Literal); a plain
            # str.format is not
            inner = func.value
            return (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute | ast.Name)
                    and (inner.func.attr if isinstance(inner.func, ast.Attribute) else inner.func.id) == "SQL"
                    and all(isinstance(a, ast.Constant) for a in inner.args))
        if func.attr in ("SQL", "Composed", "join"):
            return all(isinstance(a, ast.Constant | ast.List | ast.Tuple | ast.GeneratorExp | ast.ListComp)
                       or _is_safe_sql_arg(a) for a in node.args)
        if func.attr in ("Identifier", "Literal", "Placeholder"):
            return True
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("SQL", "Identifier"):
        return all(isinstance(a, ast.Constant) for a in node.args) or node.func.id == "Identifier"
    return False


def unsafe_sql_calls(source: str, filename: str = "<src>") -> list[str]:
    """Calls `*.execute(...)`-like whose statement is built by f-string/format/%/+ from non-literals."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else \
            node.func.id if isinstance(node.func, ast.Name) else ""
        if name not in _EXECUTORS:
            continue
        # the runtime's one/opt/many/scalar take (conn, statement, …)
        stmt = node.args[1] if name in ("one", "opt", "many", "scalar") and len(node.args) > 1 \
            else node.args[0]
        if name in ("one", "opt", "many", "scalar") and len(node.args) < 2:
            continue
        if not _is_safe_sql_arg(stmt):
            found.append(f"{filename}:{node.lineno}: {ast.unparse(stmt)[:100]}")
    return found


def test_no_sql_is_built_by_formatting_values() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    problems = [p for f in files for p in unsafe_sql_calls(f.read_text(encoding="utf-8"), str(f))]
    tally("source files scanned for SQL formatting", len(files))
    assert problems == [], "SQL built by string formatting:\n" + "\n".join(problems)


@pytest.mark.parametrize("planted", [
    'cur.execute(f"SELECT * FROM target WHERE name = {name}")',
    'conn.execute("SELECT * FROM target WHERE name = {}".format(name))',
    'conn.execute("SELECT * FROM target WHERE name = %s" % name)',
    'conn.execute("SELECT * FROM mission WHERE name = \'" + name + "\'")',
    'cur.copy(f"COPY {table} FROM STDIN")',
    'rt.one(conn, f"SELECT {col} FROM x", {}, row, "w")',
    'conn.execute(sql.SQL(f"SELECT {x}"))',
    'conn.execute("SELECT " + cols + " FROM x")',
    'conn.execute(query + " WHERE name = " + name)',
])
def test_the_scan_catches_planted_examples(planted: str) -> None:
    assert unsafe_sql_calls(planted), planted


@pytest.mark.parametrize("fine", [
    'conn.execute("SELECT * FROM target WHERE name = %s", [name])',
    'conn.execute(_QUERY, params)',
    'conn.execute(sql.SQL("SELECT * FROM {}").format(sql.Identifier(table)))',
    'rt.one(conn, _CREATE_TARGET, params, row, "create_target")',
    'cur.execute(f"SELECT 1")',
    'cur.execute(query + sql.SQL(" ON CONFLICT ({}) DO NOTHING").format(key))',
])
def test_the_scan_accepts_parameterised_sql(fine: str) -> None:
    assert unsafe_sql_calls(fine) == [], fine
