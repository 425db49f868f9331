"""The embedded PostgreSQL server: socket only, concurrent starts, permissions, stop."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from lightcurvedb import embedded
from lightcurvedb.config import EmbeddedSettings
from lightcurvedb.errors import EmbeddedServerError

pytestmark = pytest.mark.slow


@pytest.fixture
def home() -> Iterator[Path]:
    """An embedded-server home of this test's own; the server is stopped and removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="lcdb-emb-"))
    base.chmod(0o755)
    path = base / "home"
    try:
        yield path
    finally:
        lay = embedded.layout(EmbeddedSettings(), home=path)
        if (lay.data / "PG_VERSION").exists():
            embedded.stop(lay)
        shutil.rmtree(base, ignore_errors=True)


def _postmasters(data: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and str(data) in cmdline:
            found.append(proc)
    return found


def test_start_listens_on_a_private_unix_socket_only(home: Path) -> None:
    lay = embedded.start(embedded.layout(EmbeddedSettings(), home=home))
    with psycopg.connect(lay.dsn(), autocommit=True) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
        assert conn.execute("SELECT current_database()").fetchone() == ("lightcurvedb",)
        assert int(conn.execute("SHOW server_version_num").fetchone()[0]) >= 180000  # type: ignore[index]
    for private in (lay.data, lay.socket_dir):
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert embedded.is_running(lay)
    assert embedded.stop(lay) is True
    assert embedded.stop(lay) is False
    assert not embedded.is_running(lay)


def test_two_processes_starting_at_once_end_with_one_healthy_server(home: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from lightcurvedb import embedded; "
        "from lightcurvedb.config import EmbeddedSettings; "
        "embedded.start(embedded.layout(EmbeddedSettings(), home=Path(sys.argv[1])))"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(home)]) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    lay = embedded.layout(EmbeddedSettings(), home=home)
    assert len(_postmasters(lay.data)) == 1
    with psycopg.connect(lay.dsn(), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_restart_after_kill_9(home: Path) -> None:
    lay = embedded.start(embedded.layout(EmbeddedSettings(), home=home))
    (postmaster,) = _postmasters(lay.data)
    postmaster.kill()
    postmaster.wait(timeout=30)
    embedded.start(lay)
    with psycopg.connect(lay.dsn(), autocommit=True) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def _modes_of_parents(*paths: Path) -> dict[Path, tuple[int, int, int]]:
    modes = {}
    for path in paths:
        for parent in [path, *path.parents]:
            if parent.exists():
                st = parent.stat()
                modes[parent] = (st.st_mode, st.st_uid, st.st_gid)
    return modes


@pytest.mark.skipif(os.geteuid() != 0, reason="only root starts the server as a service user")
def test_start_as_root_changes_no_permission_outside_its_home(home: Path) -> None:
    wheel = embedded._wheel_install()
    watched = [home.parent, wheel / "bin", wheel / "lib", Path(sys.prefix), Path.home()]
    before = _modes_of_parents(*watched)
    lay = embedded.start(embedded.layout(EmbeddedSettings(), home=home))
    assert _modes_of_parents(*watched) == before
    assert lay.run_as == embedded.SERVICE_USER
    import pwd

    assert pwd.getpwuid(lay.data.stat().st_uid).pw_name == embedded.SERVICE_USER


@pytest.mark.skipif(os.geteuid() != 0, reason="only root starts the server as a service user")
def test_root_refuses_a_home_the_service_user_cannot_enter(home: Path) -> None:
    closed = home.parent / "closed"
    closed.mkdir(mode=0o700)
    closed.chmod(0o700)
    with pytest.raises(EmbeddedServerError, match="will not change permissions"):
        embedded.start(embedded.layout(EmbeddedSettings(), home=closed / "home"))
    assert stat.S_IMODE(closed.stat().st_mode) == 0o700


def test_tcp_port_only_when_configured(home: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lay = embedded.start(embedded.layout(EmbeddedSettings(tcp_port=port), home=home))
    with psycopg.connect(lay.dsn(), autocommit=True) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)


def test_connect_with_nothing_configured_starts_and_migrates_the_embedded_default(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import lightcurvedb
    from lightcurvedb import migrate

    monkeypatch.delenv("LCDB_DSN", raising=False)
    monkeypatch.setenv("LCDB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("LCDB_HOME", str(home))
    with lightcurvedb.connect() as conn:
        assert migrate.pending_ids(conn) == []
        assert conn.execute("SELECT current_database()").fetchone() == ("lightcurvedb",)
    lay = embedded.layout(EmbeddedSettings(), home=home)
    assert embedded.is_running(lay)


def test_readme_main_command_end_to_end(home: Path, tmp_path: Path) -> None:
    """`lcdb db start && lcdb migrate && lcdb db status`, as typed in a shell, with nothing configured."""
    env = {k: v for k, v in os.environ.items() if k not in ("LCDB_DSN", "LCDB_TEST_DSN")}
    env.update(LCDB_HOME=str(home), LCDB_CONFIG=str(tmp_path / "absent.toml"))
    lcdb = [sys.executable, "-m", "lightcurvedb"]
    for args in (["db", "start"], ["migrate"], ["db", "status"], ["db", "url"]):
        done = subprocess.run([*lcdb, *args], env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
    assert "0 pending" in subprocess.run(
        [*lcdb, "db", "status"], env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    stopped = subprocess.run([*lcdb, "db", "stop"], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert stopped.stdout.strip() == "stopped"


def test_lcdb_migrate_on_a_new_embedded_server_reports_what_it_applied(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lightcurvedb import migrate
    from lightcurvedb.cli import main

    monkeypatch.delenv("LCDB_DSN", raising=False)
    monkeypatch.setenv("LCDB_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("LCDB_HOME", str(home))
    assert main(["migrate"]) == 0
    out = capsys.readouterr().out
    assert f"applied {len(migrate.package_migration_ids())} migration(s)" in out
