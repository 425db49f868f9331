"""Where the database is: DSN resolution (argument > LCDB_DSN > config file > embedded default)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import platformdirs
from psycopg import conninfo

from lightcurvedb.errors import ConfigurationError

ENV_DSN = "LCDB_DSN"
ENV_CONFIG = "LCDB_CONFIG"
ENV_HOME = "LCDB_HOME"

DsnSource = Literal["argument", "environment", "config", "embedded"]

_CONNECTION_KEYS = ("host", "port", "dbname", "user", "password", "sslmode", "application_name")


@dataclass(frozen=True)
class EmbeddedSettings:
    """Settings of the embedded PostgreSQL server (the `[embedded]` table of the config file)."""

    home: Path | None = None
    tcp_port: int | None = None
    auto_migrate: bool = True


@dataclass(frozen=True)
class Config:
    """The parsed user configuration file (all fields optional)."""

    path: Path | None = None
    dsn: str | None = None
    embedded: EmbeddedSettings = field(default_factory=EmbeddedSettings)


@dataclass(frozen=True)
class ResolvedDsn:
    """A DSN and where it came from (the argument, $LCDB_DSN, the config file, or the started embedded server)."""

    dsn: str
    source: DsnSource


def config_path() -> Path:
    """The user config file: `$LCDB_CONFIG`, else `<user config dir>/lightcurvedb/config.toml`."""
    explicit = os.environ.get(ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser()
    return Path(platformdirs.user_config_dir("lightcurvedb")) / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """Read the config file; a missing file is an empty configuration, a broken one an error."""
    path = path if path is not None else config_path()
    if not path.is_file():
        return Config(path=None)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigurationError(f"cannot read config file {path}: {e}") from e
    return Config(path=path, dsn=_dsn_from_table(raw.get("database", {}), path), embedded=_embedded(raw, path))


def _dsn_from_table(table: Any, path: Path) -> str | None:
    """Build a DSN from `[database]`: either `dsn = "..."` or separate keys (password never in a URL)."""
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [database] must be a table")
    unknown = set(table) - {"dsn", *_CONNECTION_KEYS}
    if unknown:
        raise ConfigurationError(f"{path}: unknown key(s) in [database]: {', '.join(sorted(unknown))}")
    parts = {k: str(v) for k, v in table.items() if k != "dsn"}
    base = table.get("dsn")
    if base is not None and not isinstance(base, str):
        raise ConfigurationError(f"{path}: [database] dsn must be a string")
    if base is None and not parts:
        return None
    try:
        return conninfo.make_conninfo(base or "", **parts)
    except Exception as e:  # psycopg raises ProgrammingError for a malformed conninfo
        raise ConfigurationError(f"{path}: invalid [database] settings: {redact(str(e))}") from None


def _embedded(raw: dict[str, Any], path: Path) -> EmbeddedSettings:
    table = raw.get("embedded", {})
    if not isinstance(table, dict):
        raise ConfigurationError(f"{path}: [embedded] must be a table")
    unknown = set(table) - {"home", "tcp_port", "auto_migrate"}
    if unknown:
        raise ConfigurationError(f"{path}: unknown key(s) in [embedded]: {', '.join(sorted(unknown))}")
    home = table.get("home")
    port = table.get("tcp_port")
    if port is not None and (not isinstance(port, int) or not 1 <= port <= 65535):
        raise ConfigurationError(f"{path}: [embedded] tcp_port must be an integer in 1..65535")
    auto = table.get("auto_migrate", True)
    if not isinstance(auto, bool):
        raise ConfigurationError(f"{path}: [embedded] auto_migrate must be true or false")
    return EmbeddedSettings(home=Path(home).expanduser() if home else None, tcp_port=port, auto_migrate=auto)


def resolve_dsn(dsn: str | None = None, *, config: Config | None = None) -> ResolvedDsn | None:
    """Apply the documented precedence: argument > LCDB_DSN > config file; None means the embedded default."""
    if dsn:
        return ResolvedDsn(_checked(dsn, "the dsn argument"), "argument")
    env = os.environ.get(ENV_DSN)
    if env:
        return ResolvedDsn(_checked(env, ENV_DSN), "environment")
    config = config if config is not None else load_config()
    if config.dsn:
        return ResolvedDsn(_checked(config.dsn, str(config.path)), "config")
    return None


def _checked(dsn: str, origin: str) -> str:
    try:
        conninfo.conninfo_to_dict(dsn)
    except Exception:
        raise ConfigurationError(f"invalid PostgreSQL connection string in {origin}: {redact(dsn)}") from None
    return dsn


def redact(dsn: str) -> str:
    """A DSN for humans: as a `postgresql://` URL with the password removed (never printed)."""
    try:
        params = conninfo.conninfo_to_dict(dsn)
    except Exception:
        return "<unparseable connection string>"
    return to_url(params)


def scrub(text: str, dsn: str | None) -> str:
    """Remove the DSN's password from a message (e.g. a server or libpq error) before showing it."""
    if not dsn:
        return text
    try:
        password = conninfo.conninfo_to_dict(dsn).get("password")
    except Exception:
        return text
    if password:
        text = text.replace(str(password), "********")
    return text


def to_url(params: dict[str, Any], *, scheme: str = "postgresql", with_password: bool = False) -> str:
    """Format connection parameters as a URL, every part percent-escaped; the password only if asked for.

    The one URL formatter: `redact` shows it to humans (no password), `migrate` hands it to yoyo
    (`postgresql+psycopg`, with the password). A socket directory or a host list goes into the query string, and
    so does a database name that would need escaping in the path (yoyo does not unescape the path).
    """
    params = {k: v for k, v in params.items() if v is not None}
    auth = ""
    if params.get("user"):
        auth = quote(str(params["user"]), safe="")
        if with_password and params.get("password"):
            auth += ":" + quote(str(params["password"]), safe="")
        auth += "@"
    host = str(params.get("host") or "")
    query: dict[str, str] = {}
    netloc = ""
    if host.startswith("/") or "," in host:
        query["host"] = host
        if params.get("port"):
            query["port"] = str(params["port"])
    elif host:
        netloc = f"[{host}]" if ":" in host else quote(host, safe="")
        if params.get("port"):
            netloc += f":{params['port']}"
    db = str(params.get("dbname") or "")
    if quote(db, safe="") != db:
        query["dbname"] = db
        db = ""
    skip = {"user", "password", "host", "port", "dbname"}
    query.update({k: str(v) for k, v in params.items() if k not in skip})
    qs = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in query.items())
    return f"{scheme}://{auth}{netloc}/{db}" + (f"?{qs}" if qs else "")
