"""Reading TOML safely and editing it in place, for config.toml and the credentials file.

Reading uses the standard library's ``tomllib`` after :func:`nesting_line` has bounded how
deeply the text nests: ``tomllib`` recurses once per level (a value nested 100,000 deep is a
RecursionError) and a key of 100,000 dotted parts takes it minutes and gigabytes. Writing uses
``tomlkit``, which edits the parsed document in place so that a person's comments, blank
lines and key order survive a change (:func:`editable`, :func:`dumps`). Nothing here imports
Textual, and nothing here puts a file's text in an error message (the credentials file holds
secrets).
"""

from __future__ import annotations

import copy
import re
import tomllib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tomlkit.toml_document import TOMLDocument

__all__ = [
    "MAX_DEPTH",
    "TomlEditError",
    "dumps",
    "editable",
    "loads",
    "nesting_line",
    "plain",
]

#: How deeply a config or credentials file may nest tables, arrays and dotted keys. flowtui's
#: own files nest four levels at most; tomlkit refuses more than 100 itself.
MAX_DEPTH = 64

# Everything that can open or close a level, start a string or a comment, or end a line.
_INTERESTING = re.compile(r"""[#"'\[\]{}.,\n]""")
_HEADER_START = re.compile(r"[ \t]*\[")


class TomlEditError(Exception):
    """tomlkit could not parse or write a document that tomllib accepted (no file text)."""


# The four TOML strings; an unterminated one runs to the end of its line (or of the text):
# tomllib reports that error itself, with its position.
_STRINGS = {
    '"""': re.compile(r'"""(?:[^"\\]++|\\.|"{1,2}+(?!"))*+(?:"{3,5}|\Z)', re.S),
    "'''": re.compile(r"'''(?:[^']++|'{1,2}+(?!'))*+(?:'{3,5}|\Z)", re.S),
    '"': re.compile(r'"(?:[^"\\\n]++|\\[^\n])*+"?'),
    "'": re.compile(r"'[^'\n]*+'?"),
}


def _skip_string(text: str, start: int) -> int:
    """The index just after the TOML string that starts at ``start`` (a quote character)."""
    quote = text[start]
    kind = quote * 3 if text.startswith(quote * 3, start) else quote
    found = _STRINGS[kind].match(text, start)
    return found.end() if found else len(text)


def nesting_line(text: str, limit: int = MAX_DEPTH) -> int | None:
    """The line (from 1) where ``text`` first nests deeper than ``limit`` levels, else ``None``.

    A level is a table header's dotted part, an array or inline table, or a dotted key's
    part, counted cumulatively (``[a.b]`` then ``c.d = [[1]]`` is six deep). Strings and
    comments are skipped. The count never falls below the real depth (a float's dot may add
    one), so any text it accepts is safe to hand to tomllib and tomlkit. Linear in the text.
    """
    stack: list[int] = []  # the depth each open array / inline table stands at
    header = 0  # the depth of the current [table] (or [[array of tables]])
    dots = 0  # dotted parts of the key (or value) being read at this level
    line = 1
    line_start = 0
    pos = 0
    while True:
        found = _INTERESTING.search(text, pos)
        if found is None:
            return None
        pos = found.start()
        char = text[pos]
        if char == "\n":
            line += 1
            line_start = pos + 1
            if not stack:
                dots = 0
            pos += 1
        elif char == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        elif char in "\"'":
            end = _skip_string(text, pos)
            line += text.count("\n", pos, end)
            if text.rfind("\n", pos, end) >= 0:
                line_start = text.rfind("\n", pos, end) + 1
            pos = end
        elif char == "[" and not stack and _HEADER_START.fullmatch(text, line_start, pos + 1):
            pos, header = _header(text, pos)
            dots = 0
            if header > limit:
                return line
        elif char in "[{":
            depth = (stack[-1] if stack else header) + dots + 1
            if depth > limit:
                return line
            stack.append(depth)
            dots = 0
            pos += 1
        elif char in "]}":
            if stack:
                stack.pop()
            dots = 0
            pos += 1
        elif char == ",":
            dots = 0
            pos += 1
        else:  # "."
            dots += 1
            if (stack[-1] if stack else header) + dots > limit:
                return line
            pos += 1


def _header(text: str, start: int) -> tuple[int, int]:
    """Read the table header at ``start`` (its ``[``): the index after it and its depth."""
    pos = start + 1
    depth = 1
    if text.startswith("[", pos):  # [[array of tables]]: one more level for the array
        pos += 1
        depth += 1
    while pos < len(text):
        char = text[pos]
        if char in "\"'":
            pos = _skip_string(text, pos)
            continue
        if char in "]\n":
            break
        if char == ".":
            depth += 1
        pos += 1
    return pos, depth


# What this process last read or wrote of config.toml, by text: the next change of an
# unchanged file starts from its document instead of parsing it again (tomlkit's parser is
# slow: 100 profiles take it tens of milliseconds), and reading it again costs a copy. Each
# document is handed out once, as edits change it; parsed data is handed out as copies.
# Never for the credentials file: its documents hold secrets, which are never kept.
_WRITTEN: dict[str, TOMLDocument] = {}
_READ: dict[str, dict[str, Any]] = {}
_KEEP_MAX = 4


def _keep(cache: dict[str, Any], text: str, value: Any) -> None:
    """Remember ``value`` for ``text`` in ``cache``, forgetting the oldest beyond a few."""
    cache.pop(text, None)
    while len(cache) >= _KEEP_MAX:
        del cache[next(iter(cache))]
    cache[text] = value


def loads(text: str, *, keep: bool = False) -> dict[str, Any]:
    """``tomllib.loads(text)``; call :func:`nesting_line` first. With ``keep`` the result is
    remembered for this text (see above) and every caller gets its own copy."""
    if keep and text in _READ:
        return copy.deepcopy(_READ[text])
    data = tomllib.loads(text)
    if keep:
        _keep(_READ, text, copy.deepcopy(data))
    return data


def editable(text: str) -> TOMLDocument:
    """``text`` (already accepted by tomllib) as a tomlkit document to edit in place."""
    # Imported on the first edit: reading needs only tomllib (start-up, issue 14).
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    kept = _WRITTEN.pop(text, None)
    if kept is not None:
        return kept
    try:
        return tomlkit.parse(text)
    except (TOMLKitError, ValueError, RecursionError):
        # Not chained and not quoted: the parser's error can carry the file's text.
        pass
    raise TomlEditError("the file cannot be edited in place")


def dumps(doc: TOMLDocument, *, like: str = "", keep: bool = False) -> str:
    """The text of an edited document, checked: it must read back as the data it holds.

    tomlkit keeps the layout it parsed, and a few layouts (a table spread over dotted keys
    and a header, say) cannot take every edit; then the text would mean something else. In
    that case the data is written afresh, in tomlkit's own layout: the file's comments go,
    its data never does. The text ends as ``like`` (the file before the change) did: a new
    last table's blank line is not left behind. With ``keep`` the document is kept for the
    next :func:`editable` of this text (never for a file that holds secrets).
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    written: str | None = None
    read: dict[str, Any] | None = None
    try:
        text = tomlkit.dumps(doc)
        data = doc.unwrap()
        read = _reads_as(text, data)
        faithful = read is not None
        if not faithful:
            text = tomlkit.dumps(data)
            read = _reads_as(text, data)
        if read is not None:
            written = text
    except (TOMLKitError, TypeError, ValueError, RecursionError):
        pass
    if written is None or read is None:
        raise TomlEditError("the changed file cannot be written as TOML")
    text = written
    if text.endswith("\n\n") and not like.endswith("\n\n"):
        text = text.rstrip("\n") + "\n"  # the same data
    if keep:
        _keep(_READ, text, read)
        if faithful:
            _keep(_WRITTEN, text, doc)
    return text


def _reads_as(text: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """What ``text`` parses to (with tomllib, as flowtui reads) if that is exactly ``data``."""
    try:
        read = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return read if read == data else None


def plain(value: Any) -> Any:
    """A tomlkit item as plain Python data (dicts, lists, str, bool, ...)."""
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value
