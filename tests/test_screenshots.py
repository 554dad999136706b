"""screenshots/*.svg are what scripts/screenshots.py makes now, and every screen has one.

Each scenario is regenerated into a temporary folder and compared byte for byte with the
committed picture (in two halves, so the two test workers share them). A screen class of
flowtui that no picture shows fails too, unless it is listed in ``NOT_PICTURED`` with why.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
from pathlib import Path

import pytest
from textual.screen import Screen

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "screenshots"


def _load_script():
    spec = importlib.util.spec_from_file_location(
        "flowtui_screenshots_script", ROOT / "scripts" / "screenshots.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


script = _load_script()
NAMES = [s.name for s in script.SCENARIOS]
STALE = f"screenshots are stale: run {script.COMMAND}"

#: Screens no picture shows, and why.
NOT_PICTURED = {
    "SplashScreen": "shown only for the moment it takes to connect",
    "MessageDialog": "only for a store's refusal with several messages and no form to show "
    "them on; tests/ui covers it",
    "ConflictScreen": "it shows the time of the other change, which differs on every run; "
    "tests/ui/test_customer_editor.py has its snapshot",
    "ResumeDialog": "offered only after a bulk edit was interrupted; tests/ui/test_bulk_edit.py "
    "drives it",
}


#: Two halves, one per test worker; each half runs its logged-in scenarios in one app.
HALVES = [NAMES[0::2], NAMES[1::2]]


@pytest.mark.parametrize("names", HALVES, ids=["first-half", "second-half"])
async def test_screenshots_are_current(names, tmp_path):
    await script.generate(tmp_path, names)
    problems = []
    for name in names:
        kept = SHOTS / f"{name}.svg"
        if not kept.exists():
            problems.append(f"screenshots/{name}.svg does not exist yet")
        elif (tmp_path / f"{name}.svg").read_bytes() != kept.read_bytes():
            problems.append(f"screenshots/{name}.svg differs from what the app shows now")
    if problems:
        pytest.fail(f"{STALE} ({'; '.join(problems)})")


def test_every_screenshot_has_a_scenario():
    orphans = sorted(p.stem for p in SHOTS.glob("*.svg") if p.stem not in NAMES)
    assert not orphans, f"{STALE}: no scenario makes {', '.join(orphans)} (delete them?)"


def test_stale_lists_what_differs(tmp_path):
    """The script's own --check compares the same way."""
    (tmp_path / "customers.svg").write_text("old")
    (tmp_path / "brand-new.svg").write_text("new")
    problems = script.stale(tmp_path, SHOTS)
    assert "customers.svg: differs" in problems
    assert "brand-new.svg: missing from screenshots/" in problems
    assert "flows.svg: no scenario makes it any more" in problems


def flowtui_screens() -> set[str]:
    """Class names of the screens flowtui defines that are used as they are (not bases)."""
    import flowtui.ui.app
    import flowtui.ui.screens

    found: dict[str, type] = {}
    modules = [flowtui.ui.app] + [
        importlib.import_module(f"flowtui.ui.screens.{m.name}")
        for m in pkgutil.iter_modules(flowtui.ui.screens.__path__)
    ]
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__.startswith("flowtui."):
                found[cls.__name__] = cls
    bases = {b.__name__ for cls in found.values() for b in cls.__mro__[1:]}
    return {name for name in found if name not in bases}


def test_every_screen_is_pictured():
    pictured = {name for s in script.SCENARIOS for name in (s.screen, *s.below)}
    missing = flowtui_screens() - pictured - set(NOT_PICTURED)
    assert not missing, (
        f"no screenshot shows {', '.join(sorted(missing))}: add a scenario to "
        "scripts/screenshots.py (see its docstring), then run it"
    )


def test_the_readme_shows_every_screenshot():
    readme = (ROOT / "README.md").read_text()
    missing = [n for n in NAMES if f"screenshots/{n}.svg" not in readme]
    assert not missing, f"README's Screenshots list lacks {', '.join(missing)}"
