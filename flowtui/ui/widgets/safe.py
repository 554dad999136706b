"""Server text turned into renderables that are shown literally.

A plain ``str`` given to a Label or DataTable cell is parsed as markup ("Ada [admin]" would
lose "[admin]"); a ``rich.text.Text`` is not. Control characters become visible escapes
(:func:`flowtui.core.textsafe.printable`), and very long values are cut for cells so a 1 MB
string cannot make the UI crawl.
"""

from __future__ import annotations

import json
from typing import Any

from rich.segment import Segment
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from flowtui.core.textsafe import neutral, printable

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
    if limit is not None and isinstance(value, str) and len(value) > limit:
        value = value[: limit + 1]  # a 1 MB value is not escaped whole for a short cell
    text = display(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style, no_wrap=True, end="")


# -- the terminal guard ---------------------------------------------------------------------


def _guard(strip: Strip) -> Strip:
    segments = strip._segments
    if not any(neutral(text) is not text for text, _, _ in segments):
        return strip
    cleaned = [Segment(neutral(text), style, control) for text, style, control in segments]
    return Strip(cleaned, strip.cell_length)


_render_lines = Widget.render_lines


def _guarded_render_lines(self: Widget, crop: Region) -> list[Strip]:
    return [_guard(strip) for strip in _render_lines(self, crop)]


def install_terminal_guard() -> None:
    """Make every widget's lines free of terminal controls before they are drawn.

    Screens show server text through :func:`safe` / :func:`display`, which make controls
    visible as escapes. This is the net under that rule: whatever text a widget renders
    (a toast, an input holding a server value, a title someone built with an f-string), no
    ESC, BEL, C1 control, bidi override or lone surrogate reaches the terminal or a
    screenshot. Every widget renders through ``Widget.render_lines`` (subclasses call it),
    which this wraps once per process.
    """
    if Widget.render_lines is not _guarded_render_lines:
        Widget.render_lines = _guarded_render_lines  # type: ignore[method-assign]
