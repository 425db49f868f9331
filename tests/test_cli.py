"""The `lcdb` command line, run in-process as a user would type it."""

from __future__ import annotations

import pytest
from psycopg import conninfo

from lightcurvedb.cli import main


def test_migrate_then_status(empty_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dsn", empty_dsn, "db", "status"]) == 1
    assert "run `lcdb migrate`" in capsys.readouterr().out
    assert main(["--dsn", empty_dsn, "migrate"]) == 0
    assert "applied" in capsys.readouterr().out
    assert main(["--dsn", empty_dsn, "migrate"]) == 0
    assert "schema up to date" in capsys.readouterr().out
    assert main(["--dsn", empty_dsn, "db", "status"]) == 0
    assert "0 pending" in capsys.readouterr().out


def test_url_never_prints_the_password(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "s3cr3t-P@ss/word"
    monkeypatch.setenv(
        "LCDB_DSN", conninfo.make_conninfo(host="db.example", user="pipe", dbname="lc", password=secret)
    )
    assert main(["db", "url"]) == 0
    out = capsys.readouterr().out
    assert secret not in out
    assert out.strip() == "postgresql://pipe@db.example/lc"


def test_unreachable_server_is_reported_without_password(capsys: pytest.CaptureFixture[str]) -> None:
    dsn = conninfo.make_conninfo(host="127.0.0.1", port=1, user="x", dbname="y", password="hunter2hunter2")
    assert main(["--dsn", dsn, "db", "status"]) == 1
    captured = capsys.readouterr()
    assert "hunter2hunter2" not in captured.out + captured.err
    assert "cannot connect" in captured.err


def test_unreachable_server_on_migrate_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    dsn = conninfo.make_conninfo(host="127.0.0.1", port=1, user="x", dbname="y", password="hunter2hunter2")
    assert main(["--dsn", dsn, "migrate"]) == 2
    captured = capsys.readouterr()
    assert "cannot reach the database" in captured.err
    assert "Traceback" not in captured.err
    assert "hunter2hunter2" not in captured.out + captured.err
