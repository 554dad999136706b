"""The README's reference parts stay true to the code: every configuration setting, every
environment variable, every binding id and every module of the architecture picture.

Each is found in the code, not listed here, so a new setting, variable, key or module fails
this test until the README describes it.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

from textual.binding import Binding

import flowtui
from flowtui.config.profiles import Profile

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SOURCES = {p: p.read_text() for p in (ROOT / "flowtui").rglob("*.py")}


def section(heading: str) -> str:
    assert f"\n## {heading}\n" in README, f"README has no section {heading!r}"
    return README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_every_profile_setting_is_in_the_configuration_reference():
    config = section("Configuration")
    missing = [
        f.name
        for f in dataclasses.fields(Profile)
        if f.name != "name" and not re.search(rf"^{f.name} = ", config, re.M)
    ]
    assert not missing, f"the README's config.toml example lacks {missing}"
    assert re.search(r"^default_profile = ", config, re.M)


def test_every_settings_table_is_in_the_configuration_reference():
    config = section("Configuration")
    used = set()
    for text in SOURCES.values():
        used |= set(re.findall(r"settings\(\)\.get\(\s*[\"'](\w+)[\"']", text))
    assert used, "no [settings] key found in the code: has the way they are read changed?"
    missing = [key for key in sorted(used) if f"[settings.{key}]" not in config]
    assert not missing, f"the README's configuration reference lacks [settings.{missing}]"


def test_every_environment_variable_is_in_the_readme():
    used = set()
    for text in SOURCES.values():
        used |= set(re.findall(r"\b((?:FLOWTUI|EPCC)_[A-Z_]*[A-Z])\b", text))
    missing = sorted(v for v in used if f"`{v}`" not in README)
    assert not missing, f"the README does not explain {missing}"


def bindings() -> dict[str, str]:
    """Binding id -> the class defining it, over every flowtui module that imports Textual."""
    found: dict[str, str] = {}
    names = [m.name for m in pkgutil.walk_packages(flowtui.__path__, "flowtui.")]
    for name in names:
        if ".sandbox" in name or name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not cls.__module__.startswith("flowtui."):
                continue
            for binding in cls.__dict__.get("BINDINGS", []):
                if isinstance(binding, Binding):
                    found.setdefault(str(binding.id), cls.__name__)
    return found


def test_every_binding_has_an_id_listed_in_the_readme():
    found = bindings()
    assert "None" not in found, f"a binding of {found.get('None')} has no id"
    assert len(found) > 40
    missing = sorted(i for i in found if f"`{i}`" not in README)
    assert not missing, f"the README's binding-id list lacks {missing}"


def test_the_architecture_picture_names_every_module():
    picture = section("Architecture")
    missing = []
    for path in sorted((ROOT / "flowtui").rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py") or path.name.startswith("_"):
            continue
        if not re.search(rf"(?<![\w/]){re.escape(path.name)}(?!\w)", picture):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"the README's architecture section does not show {missing}"
    for folder in ("api", "config", "screens", "widgets", "sandbox"):
        assert f"{folder}/" in picture
