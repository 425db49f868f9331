"""The "Usage examples" of the README run as tests (in order, sharing one rolled-back transaction)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Usage examples", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


EXAMPLES = _examples()


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_usage_example(conn: psycopg.Connection[Any], index: int, capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, Any] = {"conn": conn}
    for i, code in enumerate(EXAMPLES[: index + 1]):
        exec(compile(code, f"{README.name}#example{i + 1}", "exec"), namespace)  # noqa: S102
