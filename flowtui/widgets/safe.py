"""Server text turned into renderables that are shown literally.

A plain ``str`` given to a Label or DataTable cell is parsed as markup ("Ada [admin]" would
lose "[admin]"); a ``rich.text.Text`` is not. Control characters become visible escapes
(:func:`flowtui.textsafe.printable`), and very long values are cut for cells so a 1 MB
string cannot make the UI crawl.
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from flowtui.textsafe import printable

CELL_LIMIT = 200


def display(value: Any) -> str:
    """A value as one line of plain text (no markup meaning, no control characters)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, int | float):
        return json.dumps(value)
    return printable(json.dumps(value, ensure_ascii=False))


def safe(value: Any, limit: int | None = CELL_LIMIT, style: str = "") -> Text:
    """``value`` as a ``Text`` shown exactly as sent (cut to ``limit`` characters)."""
    text = display(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style, no_wrap=True, end="")
