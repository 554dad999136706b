"""Bounding TOML nesting before parsing, and tomlkit's in-place edits read back exactly
(:mod:`flowtui.config._toml`)."""

from __future__ import annotations

import time
import tomllib

import pytest
import tomlkit

from flowtui.config._toml import MAX_DEPTH, TomlEditError, dumps, editable, nesting_line

DEEP = 100_000


def keys(n: int, part: str = "a") -> str:
    return ".".join([part] * n)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a = " + "[" * DEEP + "]" * DEEP, 1),
        ("x = 1\na = " + "{b = " * DEEP + "1" + "}" * DEEP, 2),
        ("[" + keys(DEEP) + "]\n", 1),
        ("[[" + keys(DEEP) + "]]\n", 1),
        (keys(DEEP) + " = 1\n", 1),
        ("a = [\n" + "[\n" * DEEP, 2 + MAX_DEPTH - 1),  # arrays may span lines
        # Unterminated strings end at their line: they cannot hide a deep value.
        ('a = "open\nb = ' + "[" * DEEP, 2),
        ("a = 'open\nb = " + "[" * DEEP, 2),
        ('a = """x\n' + "[" * 100 + '"""""\nb = ' + "[" * DEEP, 3),
        # Cumulative: a header's parts, a dotted key's parts and arrays add up.
        ("[" + keys(30) + "]\n" + keys(30, "b") + " = " + "[" * 6 + "1" + "]" * 6, 2),
    ],
)
def test_deep_text_is_found_without_parsing_it(text: str, line: int) -> None:
    started = time.monotonic()
    assert nesting_line(text) == line
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "text",
    [
        "",
        'a = "[[[[[[" # [[[[[[[[[[[[\n' * 3,
        'a = """\n' + "[" * 200 + '"""""\nb = 1.5\n',
        "a = '''" + "[" * 200 + "'''\n",
        'a = "\\"[[[[" \nb = 2\n',
        "a = [" + "[1.5, 2.5, 1979-05-27T00:32:00.999999-07:00]," * 500 + "]\n",
        "[" + keys(30) + "]\n" + keys(30, "b") + " = " + "[" * 5 + "1" + "]" * 5,
        '["a.b".' + ".".join(['"x.y.z"'] * (MAX_DEPTH - 1)) + "]\n",
        "[profiles.shop]\nbase_url = 'https://x.y'\nrate_limit = 20.0\n"
        "[settings.keymap]\na.b.c = { d = [1, 2] }\n",
    ],
)
def test_ordinary_text_passes(text: str) -> None:
    assert nesting_line(text) is None


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH])
def test_anything_it_accepts_both_parsers_read(depth: int) -> None:
    for text in (
        "a = " + "[" * depth + "]" * depth,
        "a = " + "{b = " * (depth - 1) + "{}" + "}" * (depth - 1),
        "[" + keys(depth) + "]\n",
        keys(depth + 1) + " = 1\n",
    ):
        assert nesting_line(text) is None, text[:40]
        tomllib.loads(text)
        dumps(editable(text))


def test_one_level_more_is_refused() -> None:
    assert nesting_line("a = " + "[" * (MAX_DEPTH + 1)) == 1
    assert nesting_line("[" + keys(MAX_DEPTH + 1) + "]") == 1
    assert nesting_line(keys(MAX_DEPTH + 2) + " = 1") == 1


def test_large_flat_text_is_scanned_quickly() -> None:
    texts = ['a = "' + "x" * 5_000_000 + '"\n', "# " + "[" * 5_000_000, 'k = "v"\n' * 200_000]
    for text in texts:
        started = time.monotonic()
        assert nesting_line(text) is None
        assert time.monotonic() - started < 3


def test_dumps_falls_back_to_a_fresh_layout_rather_than_change_the_meaning() -> None:
    # tomlkit cannot add a [profiles.new] table between a table's dotted keys without
    # moving them under it: the checked dumps keeps the data, in tomlkit's own layout.
    doc = editable(
        'profiles.shop.base_url = "x"  # dotted\nprofiles.shop.client_id = "y"\n[other]\nz = 1\n'
    )
    doc["profiles"]["new"] = {"base_url": "n"}  # type: ignore[index]
    doc["profiles"]["shop"]["client_id"] = "changed"  # type: ignore[index]
    assert tomllib.loads(dumps(doc)) == {
        "profiles": {"shop": {"base_url": "x", "client_id": "changed"}, "new": {"base_url": "n"}},
        "other": {"z": 1},
    }


def test_editable_refuses_what_tomlkit_cannot_read_without_quoting_it() -> None:
    with pytest.raises(TomlEditError) as info:
        editable('secret = "MARKER-x" = broken')
    assert "MARKER" not in str(info.value) and info.value.__cause__ is None
    assert info.value.__context__ is None


def test_dumps_of_a_plain_document() -> None:
    doc = tomlkit.document()
    doc["a"] = 1
    assert dumps(doc) == "a = 1\n"
