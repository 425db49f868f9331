"""Sphinx configuration of the lightcurvedb documentation: `python -m sphinx -W docs docs/_build/html`."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "lightcurvedb"
author = "the lightcurvedb developers"
copyright = "2026, the lightcurvedb developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinxcontrib.mermaid",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# the API reference: every public module, from its docstrings and type hints
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True, "ignore-module-all": True}
"""Each object on the page of the module that defines it (a package's __all__ re-exports are not repeated)."""

html_theme = "furo"
html_title = "lightcurvedb"
html_static_path: list[str] = []
nitpicky = False
