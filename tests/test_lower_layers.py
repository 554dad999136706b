"""The layers without Textual import only downwards (cli > ui > ops > index > api > config >
core), function-level imports included, and the index's store does not import its sync."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "flowtui"

#: What each layer may import from flowtui (besides itself and the package root).
ALLOWED = {
    "core": set(),
    "config": {"core"},
    "api": {"core", "config"},
    "index": {"core", "config", "api"},
    "ops": {"core", "config", "api", "index"},
}
#: The one way across: the demo launcher binds the socket its sandbox child serves on.
EXCEPTIONS = {("ops/demo.py", "flowtui.sandbox.listen")}


def flowtui_imports(path: Path) -> list[tuple[int, str]]:
    """Every ``flowtui.*`` module ``path`` imports, anywhere in it, with its line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.split(".")[0] == "flowtui"]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_downwards(layer: str) -> None:
    allowed = {layer, *ALLOWED[layer]}
    wrong = [
        f"{path.relative_to(ROOT.parent)}:{line} imports {name}"
        for path in sorted((ROOT / layer).rglob("*.py"))
        for line, name in flowtui_imports(path)
        if name != "flowtui" and name.split(".")[1] not in allowed
        if (str(path.relative_to(ROOT)), name) not in EXCEPTIONS
    ]
    assert not wrong, wrong


def test_the_index_store_does_not_import_its_sync() -> None:
    for module in ("store", "writer", "plan", "query"):
        names = {name for _, name in flowtui_imports(ROOT / "index" / f"{module}.py")}
        assert "flowtui.index.sync" not in names, module


def test_the_check_sees_function_level_imports(tmp_path: Path) -> None:
    """Not vacuous: an import inside a function is found."""
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from flowtui.ops.journal import Journal\n", "utf-8")
    assert flowtui_imports(probe) == [(2, "flowtui.ops.journal")]
