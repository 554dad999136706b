"""Design rule: ``core/``, ``config/``, ``api/``, ``index/``, ``ops/``, ``sandbox/`` and
``ui/logic/`` never import Textual, so the server starts fast and the pure layers stay usable
without a terminal (shared/design.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

#: Imported by name; every module of PURE_PACKAGES is imported too, as found on disk.
PURE_MODULES = [
    "flowtui.sandbox.app",
    "flowtui.sandbox.store",
    "flowtui.sandbox.query",
    "flowtui.ui.logic.browse",
    "flowtui.ui.logic.designer",
]
PURE_PACKAGES = [
    "flowtui.core",
    "flowtui.config",
    "flowtui.api",
    "flowtui.index",
    "flowtui.ops",
    "flowtui.sandbox",
    "flowtui.ui.logic",
]

PROBE = """
import importlib, importlib.util, json, pkgutil, sys
names = [a for a in sys.argv[1:] if not a.startswith("pkg:")]
for arg in sys.argv[1:]:
    if arg.startswith("pkg:") and importlib.util.find_spec(arg[4:]) is not None:
        package = importlib.import_module(arg[4:])
        names.append(package.__name__)
        names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
for name in names:
    importlib.import_module(name)
textual = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({"imported": names, "textual": textual}))
"""


def probe(*args: str) -> dict:
    """Import ``args`` in a fresh interpreter (this one may hold Textual already)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_pure_layers_never_import_textual():
    result = probe(*PURE_MODULES, *(f"pkg:{p}" for p in PURE_PACKAGES))
    assert set(PURE_MODULES) <= set(result["imported"])
    assert "flowtui.sandbox.server" in result["imported"]
    assert result["textual"] == [], f"Textual was imported: {result['textual']}"


@pytest.mark.slow
def test_the_probe_does_see_textual():
    """The check above is not vacuous: importing Textual is reported."""
    pytest.importorskip("textual")
    assert "textual" in probe("textual.app")["textual"]
