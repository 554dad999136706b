"""The README's two set-up commands are the first thing a newcomer runs: keep them true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block, "the README must open with a sh code block"
    assert text.index("```sh") < 40, "the set-up commands must come first"
    return [line for line in block[1].splitlines() if line.strip()]


def test_readme_opens_with_exactly_two_commands():
    commands = setup_commands()
    assert len(commands) == 2
    assert "pip install -e ." in commands[0]
    assert "'.[test]'" in commands[1] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert setup_commands()[1] in ci
    assert ".venv/bin/ruff check ." in ci
    assert ".venv/bin/ruff format --check ." in ci


def test_readme_demo_command_uses_existing_subcommand():
    from flowtui.cli import build_parser

    demo = setup_commands()[0].split("&&")[-1].split()
    assert demo[0].endswith("flowtui")
    build_parser().parse_args(demo[1:])  # exits non-zero on an unknown flag
