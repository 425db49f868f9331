"""User-supplied text (file names, headers, messages that quote them) made safe to print on a terminal."""

from __future__ import annotations

import unicodedata


def printable(text: object) -> str:
    """`text` with every control, format, surrogate or private-use character (escape sequences, bidi overrides,
    undecodable file-name bytes) shown as a Python escape (\\x1b, \\u202e, \\udcff); anything else unchanged."""
    out = []
    for ch in str(text):
        if unicodedata.category(ch)[0] == "C":
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)
