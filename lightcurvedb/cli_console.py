"""The console `lcdb` commands print to: rich on stdout, with tables left unwrapped when stdout is not a terminal."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def console_for_stdout() -> Console:
    """A rich console on stdout (imports rich when called: building the parsers does not)."""
    from rich.console import Console

    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=260)  # pipes and logs: no wrapped tables
    return console
