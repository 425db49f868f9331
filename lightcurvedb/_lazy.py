"""Module attributes imported on first use (PEP 562): a package's public names without their heavy imports."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def attributes(module: str, names: dict[str, str],
               namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `module` whose `names` (name -> the module defining it) are imported on
    first access, then kept in its `namespace`."""
    def getattr_(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(names))

    return getattr_, dir_
