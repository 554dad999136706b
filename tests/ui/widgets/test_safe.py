"""The terminal guard wraps only the ``Widget.render_lines`` it was written against, and
fails loudly (at install, so at app start) when that function is not Textual's own."""

from __future__ import annotations

import functools
import re

import pytest
from rich.segment import Segment
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from flowtui.ui.widgets import safe as S


def textual_own() -> S.RenderLines:
    """Textual's own ``Widget.render_lines``, whether or not the guard is installed."""
    current = Widget.render_lines
    return current.__wrapped__ if S.is_guarded(current) else current  # type: ignore[attr-defined]


@pytest.fixture
def pristine(monkeypatch: pytest.MonkeyPatch) -> S.RenderLines:
    """Textual's own function back in place for the test (restored afterwards)."""
    own = textual_own()
    monkeypatch.setattr(Widget, "render_lines", own)
    return own


def test_textual_own_render_lines_is_what_the_guard_expects(pristine: S.RenderLines) -> None:
    assert S.render_lines_problems(pristine) == []


def test_install_wraps_textual_own_once(pristine: S.RenderLines) -> None:
    S.install_terminal_guard()
    guarded = Widget.render_lines
    assert S.is_guarded(guarded)
    assert guarded.__wrapped__ is pristine  # type: ignore[attr-defined]
    S.install_terminal_guard()  # a second app in the same process: nothing more
    assert Widget.render_lines is guarded


def test_install_refuses_a_render_lines_someone_else_wrapped(
    pristine: S.RenderLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    @functools.wraps(pristine)
    def patched(self: Widget, crop: Region) -> list[Strip]:
        return pristine(self, crop)

    monkeypatch.setattr(Widget, "render_lines", patched)
    with pytest.raises(S.TerminalGuardError, match="already wraps") as caught:
        S.install_terminal_guard()
    assert "textual.widget.Widget.render_lines" in str(caught.value)
    assert Widget.render_lines is patched  # nothing installed over it


def test_install_refuses_another_function(
    pristine: S.RenderLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    def render_lines(self: Widget, crop: Region) -> list[Strip]:
        return pristine(self, crop)

    monkeypatch.setattr(Widget, "render_lines", render_lines)
    with pytest.raises(
        S.TerminalGuardError, match=re.escape("not textual.widget.Widget.render_lines")
    ):
        S.install_terminal_guard()
    assert Widget.render_lines is render_lines


def test_install_refuses_another_signature(
    pristine: S.RenderLines, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A future Textual whose render_lines takes other arguments (same name, same module)."""

    def render_lines(self: Widget, crop: Region, extra: int = 0) -> list[Strip]:
        return pristine(self, crop)

    render_lines.__module__ = "textual.widget"
    render_lines.__qualname__ = "Widget.render_lines"
    monkeypatch.setattr(Widget, "render_lines", render_lines)
    problems = S.render_lines_problems(render_lines)
    assert any("takes ('self', 'crop', 'extra')" in p for p in problems)
    with pytest.raises(S.TerminalGuardError, match="takes"):
        S.install_terminal_guard()


def test_the_guard_reads_strips_and_copies_only_what_needs_cleaning() -> None:
    clean = Strip([Segment("plain "), Segment("text")])
    assert S._guard(clean) is clean
    dirty = Strip([Segment("ok "), Segment("\x1b[2Jgone\x07")])
    cleaned = S._guard(dirty)
    assert cleaned is not dirty
    text = "".join(segment.text for segment in cleaned)
    assert "\x1b" not in text and "\x07" not in text
    assert cleaned.cell_length == dirty.cell_length


# -- the one road for store text --------------------------------------------------------------


def test_literal_shows_store_text_as_sent_with_controls_visible():
    from tests.hostile import CATALOGUE

    for h in CATALOGUE:
        text = S.literal(h.text)
        assert text.spans == []  # no markup was parsed: no style, no @click meta
        assert h.probe in text.plain or len(h.text) > S.TEXT_LIMIT, h.name
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text.plain)
    action = S.literal("[bold red]MARK[/] [@click=app.quit]q[/]")
    assert action.plain == "[bold red]MARK[/] [@click=app.quit]q[/]"
    assert S.literal("two\nlines\x1b").plain == "two\nlines\\x1b"  # newlines kept, ESC shown
    assert len(S.literal("M" * 1_048_576).plain) == S.TEXT_LIMIT
    assert S.literal({"a": ["[b]"]}).plain == '{"a": ["[b]"]}'  # an object: as JSON
    assert S.display(object.__new__(object)).startswith("<object object")  # never raises
