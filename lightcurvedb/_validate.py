"""Checks of values PostgreSQL cannot store as given: refused before anything is sent, with typed errors."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from psycopg.types.json import Json, Jsonb

from lightcurvedb.errors import InvalidJson, InvalidText


def _shown(value: str) -> str:
    return repr(value[:40]) + ("…" if len(value) > 40 else "")


def check_text(value: str, what: str) -> str:
    """Return `value`, or raise InvalidText if PostgreSQL text cannot hold it (NUL, lone surrogates)."""
    if "\x00" in value:
        raise InvalidText(f"{what}: text cannot contain NUL (\\x00) characters: {_shown(value)} "
                          f"(NUL at index {value.index(chr(0))})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidText(f"{what}: text is not valid Unicode ({exc.reason} at index {exc.start}): "
                          f"{_shown(value)}") from None
    return value


def _check_json_value(value: Any, where: str) -> None:
    if isinstance(value, str):
        try:
            check_text(value, where)
        except InvalidText as exc:
            raise InvalidJson(str(exc)) from None
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidJson(f"{where}: JSON has no {value!r} (jsonb refuses NaN and Infinity)")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                continue  # json.dumps turns int/float/bool keys into their text; checked below
            _check_json_value(k, f"{where} key")
            _check_json_value(v, f"{where}[{k[:40]!r}]")
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            _check_json_value(v, f"{where}[{i}]")


def check_json(value: Any, what: str) -> None:
    """Raise InvalidJson unless `value` serialises to JSON that jsonb stores (no NaN/Infinity, NUL, surrogates)."""
    _check_json_value(value, what)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidJson(f"{what}: not storable as JSON ({exc})") from None


def check_value(value: Any, what: str) -> None:
    """Check one query parameter: text (NUL, surrogates) and JSON wrappers (Json/Jsonb)."""
    if isinstance(value, str):
        check_text(value, what)
    elif isinstance(value, Json | Jsonb):
        check_json(value.obj, what)


def check_params(params: Mapping[str, Any]) -> None:
    """Check every parameter of a query (see `check_value`)."""
    for name, value in params.items():
        check_value(value, name)

