"""Untrusted text made safe to show in a terminal.

Everything a store sends is data. Before it reaches a terminal, control characters (which
could move the cursor, change the title, clear the screen or open hyperlinks) and the bidi
controls that reorder text are replaced by visible escapes such as ``\\x1b`` or ``\\u202e``.
Rich/Textual markup is not this module's business: screens wrap text in ``rich.text.Text``
so it is never parsed as markup. No Textual import here.
"""

from __future__ import annotations

import re

# C0 and C1 controls and DEL, bidi embedding/override/isolate controls and marks, line and
# paragraph separators, invisible zero-width characters (space, word joiner, BOM), and lone
# surrogates (which cannot be encoded for the terminal). Zero-width joiners stay: emoji and
# some scripts need them.
_INVISIBLE = "\u061c\u200b\u200e\u200f\u2060\ufeff"
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
    + _INVISIBLE
    + "]"
)
_UNSAFE_WITH_LINES = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff" + _INVISIBLE + "]"
)
#: What must never reach a terminal at all, whoever forgot to escape it (see :func:`neutral`).
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every character that could drive a terminal shown as an escape.

    Tabs are kept; newlines are kept only with ``keep_newlines`` (multi-line views).
    """
    pattern = _UNSAFE if keep_newlines else _UNSAFE_WITH_LINES
    if keep_newlines:
        return pattern.sub(_escape, text)
    return pattern.sub(lambda m: "\t" if m.group() == "\t" else _escape(m), text)


def _drop(match: re.Match[str]) -> str:
    return "\ufffd" if "\ud800" <= match.group() <= "\udfff" else ""


def neutral(text: str) -> str:
    """``text`` with everything that could drive a terminal removed (lone surrogates become
    U+FFFD). Cell widths are unchanged: controls take no cell, a surrogate one, as U+FFFD.
    The last line of defence under :func:`printable`, for text about to be written out."""
    if _TERMINAL_UNSAFE.search(text) is None:
        return text
    return _TERMINAL_UNSAFE.sub(_drop, text)
