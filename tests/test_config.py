"""DSN resolution precedence, the config file, and password redaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from psycopg import conninfo
from yoyo.connections import parse_uri

from lightcurvedb.config import ResolvedDsn, load_config, redact, resolve_dsn
from lightcurvedb.errors import ConfigurationError
from lightcurvedb.migrate import yoyo_url


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("LCDB_DSN", raising=False)
    cfg = tmp_path / "config.toml"
    monkeypatch.setenv("LCDB_CONFIG", str(cfg))
    return cfg


def _dsn(resolved: ResolvedDsn | None) -> str:
    assert resolved is not None
    return resolved.dsn


def test_argument_beats_environment_and_config(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolated_env.write_text('[database]\ndsn = "host=cfghost dbname=cfg"\n')
    monkeypatch.setenv("LCDB_DSN", "host=envhost dbname=env")
    resolved = resolve_dsn("host=arghost dbname=arg")
    assert resolved is not None
    assert (resolved.source, resolved.dsn) == ("argument", "host=arghost dbname=arg")


def test_environment_beats_config(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolated_env.write_text('[database]\ndsn = "host=cfghost dbname=cfg"\n')
    monkeypatch.setenv("LCDB_DSN", "host=envhost dbname=env")
    resolved = resolve_dsn()
    assert resolved is not None and resolved.source == "environment"
    assert conninfo.conninfo_to_dict(resolved.dsn)["host"] == "envhost"


def test_config_file_beats_embedded(isolated_env: Path) -> None:
    isolated_env.write_text('[database]\nhost = "db.example"\nport = 6543\ndbname = "lc"\nuser = "pipe"\n')
    resolved = resolve_dsn()
    assert resolved is not None and resolved.source == "config"
    params = conninfo.conninfo_to_dict(_dsn(resolved))
    assert params == {"host": "db.example", "port": "6543", "dbname": "lc", "user": "pipe"}


def test_nothing_configured_means_embedded(isolated_env: Path) -> None:
    assert resolve_dsn() is None


def test_config_password_with_url_metacharacters_survives(isolated_env: Path) -> None:
    isolated_env.write_text("[database]\nhost = \"h\"\nuser = \"u\"\npassword = \"p@ss:w/rd?#'\\\\\"\n")
    params = conninfo.conninfo_to_dict(_dsn(resolve_dsn()))
    assert params["password"] == "p@ss:w/rd?#'\\"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[database\n", "cannot read config file"),
        ('[database]\nhots = "x"\n', "unknown key(s) in [database]: hots"),
        ("[embedded]\ntcp_port = 70000\n", "tcp_port"),
        ("[embedded]\nauto_migrate = 'yes'\n", "auto_migrate"),
        ("database = 3\n", "[database] must be a table"),
    ],
)
def test_bad_config_file_is_a_typed_error(isolated_env: Path, text: str, fragment: str) -> None:
    isolated_env.write_text(text)
    with pytest.raises(ConfigurationError, match=None) as info:
        load_config()
    assert fragment in str(info.value)
    assert str(isolated_env) in str(info.value)


def test_invalid_environment_dsn_is_reported_without_its_password(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LCDB_DSN", "host=x password=hunter2 = broken")
    with pytest.raises(ConfigurationError) as info:
        resolve_dsn()
    assert "hunter2" not in str(info.value)
    assert "LCDB_DSN" in str(info.value)


passwords = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), min_size=1)


@settings(max_examples=100, deadline=None)
@given(password=passwords, user=st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True))
@example(password="post", user="a")  # the scheme holds it: once a false alarm
@example(password="s3cr3t-pass", user="a")
def test_redact_never_shows_the_password(password: str, user: str) -> None:
    dsn = conninfo.make_conninfo(host="db.example", port=5432, user=user, dbname="lc", password=password)
    shown = redact(dsn)
    params = conninfo.conninfo_to_dict(shown)
    assert "password" not in params
    assert params["user"] == user
    assert params["host"] == "db.example"
    # the password's text may occur in what is shown anyway ("post" in "postgresql://"): not a leak
    bare = redact(conninfo.make_conninfo(host="db.example", port=5432, user=user, dbname="lc"))
    if len(password) >= 4 and password not in bare:
        assert password not in shown


@settings(max_examples=100, deadline=None)
@given(password=passwords, dbname=st.from_regex(r"[A-Za-z_][A-Za-z0-9_ -]{0,12}", fullmatch=True))
def test_yoyo_url_escapes_every_part(password: str, dbname: str) -> None:
    dsn = conninfo.make_conninfo(host="db.example", port=5433, user="u@x", dbname=dbname, password=password)
    uri = parse_uri(yoyo_url(dsn))
    effective_db = uri.args.get("dbname", uri.database)  # yoyo lets query args override the path
    assert (uri.username, uri.password, uri.hostname, uri.port, effective_db) == (
        "u@x", password, "db.example", 5433, dbname
    )


def test_yoyo_url_keeps_a_socket_directory() -> None:
    dsn = conninfo.make_conninfo(host="/var/run/some dir", port=5432, user="postgres", dbname="lightcurvedb")
    uri = parse_uri(yoyo_url(dsn))
    assert uri.hostname is None
    assert uri.args["host"] == "/var/run/some dir"
    assert uri.database == "lightcurvedb"
