"""Every `lcdb` command against every kind of user error: one line on stderr, a non-zero exit, no traceback,
nothing written; `--debug` / LCDB_DEBUG=1 show the traceback instead."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import conninfo

from lightcurvedb.cli import main
from lightcurvedb.tess.synthetic import SAMPLE, write_sample

TIC = SAMPLE[0].tic_id
UNKNOWN_TIC = 424242424242
TABLES = ("target", "observation", "dataset", "target_specific_time", "quality_flag_array")

# every command that talks to a database, as a user would type it ({out} is a fresh output directory)
COMMANDS: dict[str, list[str]] = {
    "db status": ["db", "status"],
    "migrate": ["migrate"],
    "ingest": ["ingest", "{fits}"],
    "show": ["show", str(TIC)],
    "export": ["export", str(TIC), "-o", "{out}/x.ecsv"],
    "plot": ["plot", str(TIC), "-o", "{out}/x.png"],
    "demo": ["demo", "--out", "{out}/demo"],
}


def _run(capsys: pytest.CaptureFixture[str], dsn: str, argv: list[str], **fmt: str) -> tuple[int, str, str]:
    code = main(["--dsn", dsn, *(a.format(**fmt) for a in argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_line_error(code: int, out: str, err: str, *, secret: str | None = None) -> str:
    assert code != 0, (out, err)
    assert "Traceback" not in out + err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    if secret:
        assert secret not in out + err
    return lines[0]


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}  # type: ignore[index]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic sample's FITS files (SPOC layout)."""
    out = tmp_path_factory.mktemp("sample")
    write_sample(out)
    return out


@pytest.fixture
def loaded_dsn(fresh_dsn: str, sample: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A migrated database holding the synthetic sample."""
    assert main(["--dsn", fresh_dsn, "ingest", str(sample)]) == 0
    capsys.readouterr()
    return fresh_dsn


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_unreachable_server(command: str, tmp_path: Path, sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsn = conninfo.make_conninfo(host="127.0.0.1", port=1, user="u", dbname="d", password="hunter2hunter2",
                                 connect_timeout=3)
    code, out, err = _run(capsys, dsn, COMMANDS[command], out=str(tmp_path), fits=str(sample))
    if command == "db status":  # a status report, not an error: says it cannot connect
        assert code == 1 and "cannot connect" in err and "hunter2hunter2" not in out + err
        return
    line = _one_line_error(code, out, err, secret="hunter2hunter2")
    assert "cannot reach the database" in line


@pytest.mark.parametrize("command", ["show", "export", "plot"])
def test_missing_target(command: str, loaded_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [UNKNOWN_TIC if a == str(TIC) else a for a in map(str, COMMANDS[command])]
    code, out, err = _run(capsys, loaded_dsn, [str(a) for a in argv], out=str(tmp_path))
    assert str(UNKNOWN_TIC) in _one_line_error(code, out, err)
    assert list(tmp_path.iterdir()) == []


def test_bad_and_missing_files_are_listed_not_raised(fresh_dsn: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "not-fits.fits"
    bad.write_bytes(b"SIMPLE = nonsense" * 100)
    before = _counts(fresh_dsn)
    code, out, err = _run(capsys, fresh_dsn, ["ingest", str(bad), str(tmp_path / "missing.fits")])
    assert code == 1 and "Traceback" not in out + err
    assert "0 added, 0 skipped, 2 failed" in out
    assert f"failed: {bad}" in out and "missing.fits" in out
    assert _counts(fresh_dsn) == before


@pytest.mark.parametrize("command", ["ingest", "demo", "migrate"])
def test_reader_role_may_not_write(command: str, fresh_dsn: str, empty_dsn: str, sample: Path, tmp_path: Path,
                                   login_as: Callable[[str, str], str], capsys: pytest.CaptureFixture[str]) -> None:
    # migrate: the empty database has every migration pending; a reader may not apply them
    target = empty_dsn if command == "migrate" else fresh_dsn
    reader = login_as(target, "lcdb_reader")
    role = conninfo.conninfo_to_dict(reader)["user"]
    before = _counts(target) if command != "migrate" else {}
    code, out, err = _run(capsys, reader, COMMANDS[command], out=str(tmp_path), fits=str(sample))
    line = _one_line_error(code, out, err, secret=str(conninfo.conninfo_to_dict(reader)["password"]))
    assert f'role "{role}" may not' in line
    assert ("change the schema" if command == "migrate" else "write") in line
    if command == "migrate":
        with psycopg.connect(empty_dsn) as conn:
            assert conn.execute("SELECT to_regclass('mission')").fetchone() == (None,)
    else:
        assert _counts(target) == before


def test_reader_migrate_on_an_up_to_date_schema_says_so(fresh_dsn: str, login_as: Callable[[str, str], str],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, login_as(fresh_dsn, "lcdb_reader"), ["migrate"])
    assert code == 0 and "schema up to date" in out


@pytest.mark.parametrize("command", ["export", "plot"])
def test_output_paths(command: str, loaded_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "x.fits" if command == "export" else "x.png"
    missing_dir = tmp_path / "no" / "such" / name
    code, out, err = _run(capsys, loaded_dsn, [command, str(TIC), "-o", str(missing_dir)])
    assert "does not exist" in _one_line_error(code, out, err)
    assert not (tmp_path / "no").exists()

    target = tmp_path / name
    target.write_bytes(b"keep me")
    code, out, err = _run(capsys, loaded_dsn, [command, str(TIC), "-o", str(target)])
    assert "--overwrite" in _one_line_error(code, out, err)
    assert target.read_bytes() == b"keep me"
    code, out, err = _run(capsys, loaded_dsn, [command, str(TIC), "-o", str(target), "--overwrite"])
    assert code == 0, err
    assert target.read_bytes() != b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no partial file left behind

    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        code, out, err = _run(capsys, loaded_dsn, [command, str(TIC), "-o", str(locked / name)])
        assert "not writable" in _one_line_error(code, out, err)


def _limit_file_size() -> None:
    """In the child: files may not grow past 64 kB, and the write fails (EFBIG) instead of killing the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64_000, 64_000))


@pytest.mark.parametrize("command", ["export", "plot"])
def test_a_failing_write_leaves_nothing(command: str, loaded_dsn: str, tmp_path: Path) -> None:
    """A write that fails part-way (here: a file-size limit, as a full disk would) is one line, no partial file."""
    name = "x.ecsv" if command == "export" else "x.pdf"
    proc = subprocess.run(
        [sys.executable, "-m", "lightcurvedb", "--dsn", loaded_dsn, command, str(TIC), "-o", str(tmp_path / name)],
        capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    line = _one_line_error(proc.returncode, proc.stdout, proc.stderr)
    assert f"cannot write {tmp_path / name}" in line and "too large" in line.lower()
    assert list(tmp_path.iterdir()) == []


def test_debug_shows_the_traceback(loaded_dsn: str, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from lightcurvedb.errors import NotFound

    with pytest.raises(NotFound):
        main(["--debug", "--dsn", loaded_dsn, "show", str(UNKNOWN_TIC)])
    monkeypatch.setenv("LCDB_DEBUG", "1")
    with pytest.raises(NotFound):
        main(["--dsn", loaded_dsn, "show", str(UNKNOWN_TIC)])
    monkeypatch.setenv("LCDB_DEBUG", "0")
    assert main(["--dsn", loaded_dsn, "show", str(UNKNOWN_TIC)]) == 2
    capsys.readouterr()


@pytest.mark.parametrize(("argv", "words"), [
    (["search", "--ra", "400", "--dec", "0", "--radius", "5"], "0 <= x < 360"),
    (["search", "--ra", "-1", "--dec", "0", "--radius", "5"], "0 <= x < 360"),
    (["search", "--ra", "10", "--dec", "95", "--radius", "5"], "-90 <= x <= 90"),
    (["search", "--ra", "10", "--dec", "0", "--radius", "abc"], "a radius in arcseconds"),
    (["search", "--ra", "10", "--dec", "0", "--radius", "5", "--tmag-max", "abc"], "a magnitude"),
    (["search", "--ra", "10", "--dec", "0", "--radius", "5", "--limit", "99999999999999999999"], "a number of targets"),
    (["search", "--tic", "99999999999999999999", "--radius", "5"], "a TIC id"),
    (["coverage", "--ra", "400", "--dec", "0"], "0 <= x < 360"),
    (["ingest", "--jobs", "0", "x.fits"], "worker processes"),
    (["ingest", "--jobs", "-1", "x.fits"], "worker processes"),
    (["ingest", "--jobs", "100000", "x.fits"], "worker processes"),
    (["bls", "--workers", "100000"], "worker processes"),
    (["bls", "--workers", "0"], "worker processes"),
    (["bls", "--release", "0"], "a release number"),
    (["bls", "--min-period", "nan"], "a period in days"),
    (["publish", "hats", "out", "--release", "0"], "a release number"),
    (["export", str(TIC), "-o", "x.ecsv", "--sector", "1,,2"], "no empty item"),
    (["export", str(TIC), "-o", "x.ecsv", "--sector", "1,"], "no empty item"),
    (["export", str(TIC), "-o", "x.ecsv", "--sector", "0"], "sectors"),
    (["show", "99999999999999999999"], "a TIC id"),
])
def test_numbers_are_range_checked_where_they_are_parsed(argv: list[str], words: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and words in err.strip().splitlines()[-1], err


def test_output_names_are_checked_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No database is needed to refuse an output: a plot with a suffix matplotlib cannot write or none at all, an
    export to a directory; nothing is left behind."""
    for argv, words in ((["plot", str(TIC), "-o", str(tmp_path / "a.txt")], "suffix .txt; an image needs one of"),
                        (["plot", str(TIC), "-o", str(tmp_path / "b")], "no suffix; an image needs one of"),
                        (["export", str(TIC), "-o", str(tmp_path)], "is a directory; give a file name")):
        assert main(["--dsn", "postgresql://nobody@127.0.0.1:1/none", *argv]) == 2
        assert words in _one_line_error(2, "", capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "words"), [
    (["publish", "hats", "{out}/my cat", "--workers", "1"], "may hold only letters, digits"),
    (["publish", "hats", "{out}/cat", "--flux", "nosuch", "--workers", "1"], "no stored lightcurve has the processing"),
    (["bls", "--flux", "nosuch", "--workers", "1"], "no stored lightcurve has the processing group 'nosuch'"),
    (["bls", "--scheduler", "not a url"], "is not a scheduler address"),
])
def test_cluster_commands_refuse_before_any_work(fresh_dsn: str, tmp_path: Path, argv: list[str], words: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("distributed")
    code, out, err = _run(capsys, fresh_dsn, argv, out=str(tmp_path))
    assert words in _one_line_error(code, out, err)
    assert list(tmp_path.iterdir()) == []


def test_a_readers_bls_is_refused_in_one_line_without_worker_tracebacks(
        fresh_dsn: str, sample: Path, login_as: Callable[[str, str], str], capfd: pytest.CaptureFixture[str]) -> None:
    """The workers' own logs (written to the inherited stderr) stay quiet: only the command's refusal is shown."""
    pytest.importorskip("distributed")
    assert main(["--dsn", fresh_dsn, "ingest", str(sample)]) == 0
    reader = login_as(fresh_dsn, "lcdb_reader")
    capfd.readouterr()
    assert main(["--dsn", reader, "bls", "--workers", "1", "--max-period", "2"]) == 2
    captured = capfd.readouterr()
    assert "may not store period search results" in _one_line_error(2, captured.out, captured.err)


def test_ingest_of_nothing_says_so(fresh_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    for jobs in ("1", "2"):
        code, out, err = _run(capsys, fresh_dsn, ["ingest", "--jobs", jobs, str(tmp_path / "empty")])
        assert "no lightcurve files to ingest" in _one_line_error(code, out, err)
