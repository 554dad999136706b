"""Server text turned into renderables that are shown literally.

A plain ``str`` given to a Label or DataTable cell is parsed as markup ("Ada [admin]" would
lose "[admin]"); a ``rich.text.Text`` is not. Control characters become visible escapes
(:func:`flowtui.core.textsafe.printable`), and very long values are cut for cells so a 1 MB
string cannot make the UI crawl.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import textual
import textual.widget as textual_widget
from rich.segment import Segment
from rich.text import Text
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from flowtui.core.textsafe import neutral, printable

CELL_LIMIT = 200
#: How much of one store string a label, title or dialog shows (a 1 MB name is cut here).
TEXT_LIMIT = 2_000
#: How much a dialog body shows (it scrolls, or is cut by its height well before this).
BODY_LIMIT = 20_000


def display(value: Any, *, keep_newlines: bool = False) -> str:
    """A value as plain text (no markup meaning, no control characters): one line, or
    several with ``keep_newlines``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return printable(value, keep_newlines=keep_newlines)
    if isinstance(value, int | float):
        return json.dumps(value)
    try:
        return printable(json.dumps(value, ensure_ascii=False), keep_newlines=keep_newlines)
    except (TypeError, ValueError):  # not JSON (a malformed answer's leftovers): its repr
        return printable(repr(value), keep_newlines=keep_newlines)


def safe(
    value: Any,
    limit: int | None = CELL_LIMIT,
    style: str = "",
    *,
    wrap: bool = False,
    keep_newlines: bool = False,
) -> Text:
    """``value`` as a ``Text`` shown exactly as sent (cut to ``limit`` characters).

    The one road for store text to the screen: cells (one line, cut), and with ``wrap`` /
    ``keep_newlines`` labels, titles and dialog bodies. A ``Text`` is never parsed as
    markup, and :func:`display` turns control, bidi and zero-width characters into
    visible escapes.
    """
    if limit is not None and isinstance(value, str) and len(value) > limit:
        value = value[: limit + 1]  # a 1 MB value is not escaped whole for a short cell
    text = display(value, keep_newlines=keep_newlines)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style, no_wrap=not wrap, end="")


def literal(value: Any, style: str = "", *, limit: int | None = TEXT_LIMIT) -> Text:
    """Store text (a name, title, description, message) for a label or dialog: wrapped,
    newlines kept, cut at ``limit`` characters; see :func:`safe`."""
    return safe(value, limit, style, wrap=True, keep_newlines=True)


# -- the terminal guard ---------------------------------------------------------------------

#: What the guard was written against: Textual's own ``Widget.render_lines(self, crop)``
#: returning ``list[Strip]`` (Textual 8.2.8). Every widget draws through it.
EXPECTED_PARAMETERS = ("self", "crop")
EXPECTED_RETURN = "list[Strip]"

RenderLines = Callable[[Widget, Region], list[Strip]]


class TerminalGuardError(RuntimeError):
    """``Widget.render_lines`` is not the function the terminal guard expects to wrap."""


def _guard(strip: Strip) -> Strip:
    # Iterating a Strip yields its segments (public API); copy only when one needs cleaning.
    if not any(neutral(text) is not text for text, _, _ in strip):
        return strip
    cleaned = [Segment(neutral(text), style, control) for text, style, control in list(strip)]
    return Strip(cleaned, strip.cell_length)


def render_lines_problems(render_lines: object) -> list[str]:
    """Why ``render_lines`` is not Textual's own ``Widget.render_lines`` as the guard knows
    it (empty when it is): another module's function, a wrapper (``__wrapped__``), code from
    another file, or another signature."""
    if not callable(render_lines):
        return [f"it is {render_lines!r}, not a function"]
    problems = []
    module = getattr(render_lines, "__module__", None)
    qualname = getattr(render_lines, "__qualname__", None)
    if (module, qualname) != ("textual.widget", "Widget.render_lines"):
        problems.append(f"it is {module}.{qualname}, not textual.widget.Widget.render_lines")
    if hasattr(render_lines, "__wrapped__"):
        problems.append(f"it already wraps {render_lines.__wrapped__!r}")
    code = getattr(render_lines, "__code__", None)
    filename = getattr(code, "co_filename", None)
    if filename is None or Path(filename).resolve() != Path(textual_widget.__file__).resolve():
        problems.append(f"its code comes from {filename}, not {textual_widget.__file__}")
    try:
        signature = inspect.signature(render_lines)
    except (TypeError, ValueError):
        problems.append("it has no signature")
    else:
        parameters = tuple(signature.parameters)
        if parameters != EXPECTED_PARAMETERS:
            problems.append(f"it takes {parameters}, not {EXPECTED_PARAMETERS}")
        returns = signature.return_annotation
        if returns not in (EXPECTED_RETURN, list[Strip]):
            problems.append(f"it returns {returns!r}, not {EXPECTED_RETURN}")
    return problems


def _guarding(render_lines: RenderLines) -> RenderLines:
    """``render_lines`` with every line it returns passed through :func:`_guard`."""

    def guarded_render_lines(self: Widget, crop: Region) -> list[Strip]:
        return [_guard(strip) for strip in render_lines(self, crop)]

    guarded_render_lines.__wrapped__ = render_lines  # type: ignore[attr-defined]  # as functools.wraps
    guarded_render_lines.flowtui_terminal_guard = True  # type: ignore[attr-defined]  # the mark
    return guarded_render_lines


def is_guarded(render_lines: object) -> bool:
    """Whether ``render_lines`` is the terminal guard (installed by this module)."""
    return getattr(render_lines, "flowtui_terminal_guard", False) is True


def install_terminal_guard() -> None:
    """Make every widget's lines free of terminal controls before they are drawn.

    Screens show server text through :func:`safe` / :func:`display`, which make controls
    visible as escapes. This is the net under that rule: whatever text a widget renders
    (a toast, an input holding a server value, a title someone built with an f-string), no
    ESC, BEL, C1 control, bidi override or lone surrogate reaches the terminal or a
    screenshot. Every widget renders through ``Widget.render_lines`` (subclasses call it),
    which this wraps once per process.

    It wraps only what it was written against: when ``Widget.render_lines`` is not Textual's
    own function with the expected signature (a new Textual, or another patch got there
    first), it raises :class:`TerminalGuardError` rather than guard half the screen.
    """
    current = Widget.render_lines
    if is_guarded(current):
        return
    problems = render_lines_problems(current)
    if problems:
        raise TerminalGuardError(
            "flowtui's terminal guard cannot wrap textual.widget.Widget.render_lines "
            f"(Textual {textual.__version__}): " + "; ".join(problems) + ". Every widget draws "
            "through that function, so a guard around anything else would let control "
            "characters reach the terminal; see flowtui/ui/widgets/safe.py."
        )
    Widget.render_lines = _guarding(current)  # type: ignore[method-assign,assignment]  # the guard
