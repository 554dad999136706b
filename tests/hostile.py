"""One catalogue of hostile strings, shared by every test that feeds a store's text to flowtui.

Each entry is the raw text a hostile (or merely careless) store might send, and the *probe*:
what a screen shows of it when it is displayed literally (markup unparsed, control characters
as visible escapes). A probe that appears on screen proves that string was shown there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    name: str
    text: str
    #: What the screen shows of ``text`` (a part of its literal, escaped form).
    probe: str
    #: Whether a SQLite TEXT column (names, emails, slugs) can hold it: lone surrogates can
    #: only live inside JSON values (custom fields, entry values, enum options).
    in_text_columns: bool = True


CATALOGUE: list[Hostile] = [
    Hostile("rich markup", "[bold red]alarm[/]", "[bold red]alarm[/]"),
    Hostile("rich link", "[link=https://evil.test]click[/link]", "[link=https://evil.test]"),
    Hostile("textual variables", "$accent [b]$text[/b] [@click=app.quit]q[/]", "$accent [b]"),
    Hostile("ansi colour", "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
    Hostile("screen clear", "\x1b[2J\x1b[Hcleared", "\\x1b[2J\\x1b[Hcleared"),
    Hostile("window title", "\x1b]0;pwned\x07title", "\\x1b]0;pwned\\x07title"),
    Hostile(
        "osc 8 hyperlink",
        "\x1b]8;;https://evil.test\x1b\\link\x1b]8;;\x1b\\",
        "\\x1b]8;;https://evil.test",
    ),
    Hostile("osc 52 clipboard", "\x1b]52;c;cm0gLXJmIH4=\x07clip", "\\x1b]52;c;cm0gLXJmIH4="),
    Hostile("c1 csi", "\x9b31mc1\x9b0m", "\\x9b31mc1"),
    Hostile("bidi override", "invoice\u202efdp.exe", "invoice\\u202efdp.exe"),
    Hostile("bidi isolates", "\u2066a\u2067b\u2068c\u2069", "\\u2066a\\u2067b"),
    Hostile("zero width", "ze\u200bro\ufeffwidth", "ze\\u200bro\\ufeffwidth"),
    Hostile("lone surrogates", "lone\ud800sur\udfffrogate", "lone\\ud800sur", False),
    Hostile("one megabyte", "M" * MEGABYTE, "M" * 40),
]

BY_NAME = {h.name: h for h in CATALOGUE}

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: What the toolkit itself never writes: OSC / DCS / APC / PM / SOS strings, BEL, C1
#: controls, a screen clear, lone surrogates.
_NEVER = re.compile(
    "\x1b[\\]PX^_]|\x1b\\[2J|[\x07\x80-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def segment_problems(texts: list[str]) -> list[str]:
    """Control characters in the text of rendered segments. Segment text is what widgets
    drew; the toolkit's own escape sequences (colours, cursor moves) are added around it
    only when written out, so any control character here came from data."""
    return sorted({repr(m.group()) for t in texts for m in _CONTROL.finditer(t)})


def output_problems(written: str) -> list[str]:
    """Sequences in the text written to the terminal that the toolkit never writes itself,
    and whether it can be encoded as UTF-8 at all."""
    problems = sorted({repr(m.group()) for m in _NEVER.finditer(written)})
    try:
        written.encode("utf-8")
    except UnicodeEncodeError as exc:
        problems.append(f"cannot be encoded: {exc}")
    return problems
