"""The layer rules of flowtui/ (README, Architecture), checked on the source: every import
statement counts, function-level and ``if TYPE_CHECKING:`` ones included.

- Layers, top to bottom: cli > ui > ops > index > api > config > core. A module imports its own
  layer or the ones below it, never one above.
- sandbox/ is self-contained: it imports only core/ and itself; only cli/ and ops/ (the demo
  launcher) may start it.
- Inside ui/: app > screens > widgets > session, logic. No widgets module imports a screens
  module; logic/ (pure objects) imports nothing of Textual and nothing of ui/ but logic/.
- No import cycle anywhere in flowtui/.

In the manner of import-linter's layers contracts, without the dependency: the graph is ~90
modules and the rules are these few lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "flowtui"

LAYERS = ["cli", "ui", "ops", "index", "api", "config", "core"]
SANDBOX_USERS = {"cli", "ops"}
UI_LAYERS = ["app", "screens", "widgets", "session|typeahead|logic"]


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, modules: set[str]) -> set[str]:
    """Every flowtui module ``path`` imports, wherever the statement stands."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # ``from flowtui.ops import journal`` imports the module flowtui.ops.journal; a
            # name that is no module (``from flowtui.ops.journal import Journal``) imports
            # ``target`` itself (as import-linter's graph reads it).
            for alias in node.names:
                found.add(
                    f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target
                )
    return {m for m in found if m == "flowtui" or m.startswith("flowtui.")}


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    return {
        name: {m for m in imports_of(path, name, set(paths)) if m in paths and m != name}
        for name, path in paths.items()
    }


def textual_importers(root: Path = ROOT) -> set[str]:
    out = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n == "textual" or n.startswith("textual.") for n in names):
                out.add(module_name(path, root))
    return out


def top(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def ui_rank(name: str) -> int | None:
    parts = name.split(".")
    if len(parts) < 3 or parts[1] != "ui":
        return None
    for rank, names in enumerate(UI_LAYERS):
        if parts[2] in names.split("|"):
            return rank
    return None


def violations(edges: dict[str, set[str]], textual: set[str] = frozenset()) -> list[str]:
    """Every import that breaks a layer rule, as ``"a -> b: why"``."""
    bad = []
    for source, targets in sorted(edges.items()):
        s = top(source)
        for target in sorted(targets):
            t = top(target)
            if t == "" or s == t == "sandbox":
                pass
            elif t == "sandbox":
                if s not in SANDBOX_USERS:
                    bad.append(
                        f"{source} -> {target}: only {sorted(SANDBOX_USERS)} start the sandbox"
                    )
            elif s == "sandbox":
                if t != "core":
                    bad.append(f"{source} -> {target}: the sandbox imports only core/")
            elif s in LAYERS and t in LAYERS and LAYERS.index(t) < LAYERS.index(s):
                bad.append(f"{source} -> {target}: {s}/ is below {t}/")
            rs, rt = ui_rank(source), ui_rank(target)
            if rs is not None and rt is not None and rt < rs:
                bad.append(f"{source} -> {target}: ui/{source.split('.')[2]} is below that")
            if source.startswith("flowtui.ui.logic") and t == "ui" and ".logic" not in target:
                bad.append(f"{source} -> {target}: ui/logic is pure")
    bad += [f"{m} imports Textual: ui/logic is pure" for m in textual if ".ui.logic" in m]
    return bad


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_every_import_respects_the_layers():
    bad = violations(graph(), textual_importers())
    assert not bad, "forbidden imports:\n" + "\n".join(bad)


def test_no_import_cycle():
    found = cycles(graph())
    assert not found, f"import cycles: {found}"


def test_no_widget_imports_a_screen():
    edges = graph()
    bad = [
        (s, t)
        for s, targets in edges.items()
        if s.startswith("flowtui.ui.widgets")
        for t in targets
        if t.startswith("flowtui.ui.screens")
    ]
    assert not bad


def test_the_graph_is_read_whole():
    """The checks above see the real package: its layers and a known edge of each kind."""
    edges = graph()
    assert {top(m) for m in edges} >= set(LAYERS) | {"sandbox"}
    assert "flowtui.api.service" in edges["flowtui.ui.session"]
    assert "flowtui.ui.screens.base" in edges["flowtui.ui.app"]


# -- the checker can fail: a throwaway package with one broken rule each ---------------------


def write_tree(root: Path, files: dict[str, str]) -> Path:
    package = root / "flowtui"
    for rel, text in files.items():
        path = package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [package, *[p for p in package.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch()
    return package


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # a function-level import upwards
            {
                "api/service.py": "def f():\n    from flowtui.ops import journal\n",
                "ops/journal.py": "",
            },
            "flowtui.api.service -> flowtui.ops.journal",
        ),
        (  # an import only for the type checker still counts
            {
                "config/paths.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from flowtui.ui.app import App\n",
                "ui/app.py": "",
            },
            "flowtui.config.paths -> flowtui.ui.app",
        ),
        (
            {"ui/widgets/table.py": "from ..screens import main\n", "ui/screens/main.py": ""},
            "flowtui.ui.widgets.table -> flowtui.ui.screens.main",
        ),
        (
            {"sandbox/app.py": "import flowtui.config.paths\n", "config/paths.py": ""},
            "flowtui.sandbox.app -> flowtui.config.paths",
        ),
        (
            {"ui/logic/pager.py": "from flowtui.ui import session\n", "ui/session.py": ""},
            "flowtui.ui.logic.pager -> flowtui.ui.session",
        ),
    ],
)
def test_the_checker_catches(tmp_path, files, expected):
    root = write_tree(tmp_path, files)
    found = violations(graph(root), textual_importers(root))
    assert any(v.startswith(expected) for v in found), found


def test_the_checker_catches_a_cycle(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "index/store.py": "def f():\n    from flowtui.index import sync\n",
            "index/sync.py": "from flowtui.index.store import X\n",
        },
    )
    assert cycles(graph(root)) == [["flowtui.index.store", "flowtui.index.sync"]]


def test_the_checker_catches_textual_in_logic(tmp_path):
    root = write_tree(tmp_path, {"ui/logic/pager.py": "import textual.app\n"})
    assert violations(graph(root), textual_importers(root)) == [
        "flowtui.ui.logic.pager imports Textual: ui/logic is pure"
    ]
