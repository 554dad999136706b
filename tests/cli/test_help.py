"""``flowtui --help`` and every subcommand's help are complete and agree with the README.

Subcommands are found by walking the argparse tree, so commands added later are covered
without touching this file: every option needs help text, every command and option must be
mentioned in the README, and every ``flowtui …`` command line in the README (or in a help
epilog's examples) must name commands and options that exist.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowtui.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SKIP = (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for name, child in subparsers(parser).items():
        yield from walk(child, (*path, name))


PARSERS = dict(walk(build_parser()))


def command(path: tuple[str, ...]) -> str:
    return " ".join(("flowtui", *path))


def mentioned(option: str, text: str = README) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings}


def test_the_tree_is_walked():
    assert {(), ("sandbox",), ("profile", "add"), ("login",), ("export",)} <= set(PARSERS)


@pytest.mark.parametrize("path", list(PARSERS), ids=command)
def test_every_option_and_command_has_help(path):
    parser = PARSERS[path]
    assert parser.description or not path or subparsers(parser), f"{command(path)}: no description"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            missing = [c.dest for c in action._choices_actions if not c.help]
            assert not missing, f"{command(path)}: commands without help: {missing}"
        elif not isinstance(action, SKIP):
            name = "/".join(action.option_strings) or action.dest
            assert action.help, f"{command(path)} {name}: no help text"
    parser.format_help()  # every %(default)s etc. expands


@pytest.mark.parametrize("path", [p for p in PARSERS if p], ids=command)
def test_the_readme_mentions_every_command_and_option(path):
    parser = PARSERS[path]
    if not subparsers(parser):
        assert command(path) in README, f"the README never shows `{command(path)}`"
    for action in parser._actions:
        if isinstance(action, SKIP):
            continue
        for option in action.option_strings:
            if option.startswith("--"):
                assert mentioned(option), f"the README does not mention {command(path)} {option}"


def test_the_readme_mentions_the_main_options():
    for option in {o for o in options(PARSERS[()]) if o.startswith("--")} - {"--help"}:
        assert mentioned(option), f"the README does not mention flowtui {option}"


# -- flowtui command lines in the README and in the help's examples -------------------------

CALL = re.compile(r"(?:^|[\s/|;(&$])flowtui((?:\s+[^\s#>|;&`)]+)*)")


def code_lines(text: str) -> Iterator[str]:
    """Lines of fenced code blocks (continuation lines joined) and inline code spans."""
    for block in re.findall(r"```[^\n]*\n(.*?)```", text, re.S):
        joined = re.sub(r"\n\s+(?=\[)", " ", block)  # a usage line wrapped before a "["
        yield from joined.splitlines()
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    yield from re.findall(r"`([^`\n]+)`", prose)


def calls(text: str) -> Iterator[tuple[str, list[str]]]:
    for line in code_lines(text):
        for match in CALL.finditer(line):
            words = [w.strip("[]") for w in match[1].split()]
            yield line.strip(), [w for w in words if w and w not in ("|", "…", "...")]


def check_call(line: str, words: list[str]) -> list[str]:
    problems = []
    path: tuple[str, ...] = ()
    for word in words:
        children = subparsers(PARSERS[path])
        if word in children:
            path = (*path, word)
        elif word.startswith("--"):
            option = word.split("=", 1)[0]
            if option not in options(PARSERS[path]):
                problems.append(f"{line!r}: {command(path)} has no option {option}")
    return problems


def test_every_flowtui_command_in_the_readme_exists():
    found = list(calls(README))
    assert len(found) > 15, found  # the extraction works
    problems = [p for line, words in found for p in check_call(line, words)]
    assert not problems, "\n".join(problems)


def test_every_example_in_the_help_exists():
    problems = []
    for parser in PARSERS.values():
        for line, words in calls(f"```\n{parser.epilog or ''}\n```"):
            problems += check_call(line, words)
    assert not problems, "\n".join(problems)


def test_the_checker_catches_a_wrong_option():
    assert check_call("x", ["sandbox", "--port", "1"]) == []
    assert check_call("x", ["sandbox", "--no-such"]) == [
        "'x': flowtui sandbox has no option --no-such"
    ]
    assert check_call("x", ["--demo", "profile", "add", "n", "--region"]) == []
    assert check_call("x", ["profile", "add", "--port"]) != []
