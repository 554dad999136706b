"""How the sandbox is put together: what it may import, and the route table create_app builds
from the route modules."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.routing import Route

from flowtui.sandbox.app import create_app

REPO = Path(__file__).resolve().parents[2]
SANDBOX = REPO / "flowtui" / "sandbox"

#: Third-party packages the sandbox may import (besides the standard library).
#: (h11 is uvicorn's own HTTP parser: the head timeout of flowtui.sandbox.protocol uses it.)
THIRD_PARTY = {"starlette", "uvicorn", "h11"}
#: flowtui packages it may import; from the root package, only the version.
FLOWTUI = ("flowtui.core", "flowtui.sandbox")


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Every import in ``path``, function-level ones included: (line, module, names)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            found.append((node.lineno, node.module or "", [a.name for a in node.names]))
    return found


def forbidden(module: str, names: list[str]) -> bool:
    root = module.split(".")[0]
    if root == "__future__" or root in sys.stdlib_module_names or root in THIRD_PARTY:
        return False
    if module == "flowtui":
        return names != ["__version__"]
    return not any(module == p or module.startswith(p + ".") for p in FLOWTUI)


def test_the_sandbox_imports_only_the_stdlib_starlette_uvicorn_h11_and_flowtui_core():
    files = sorted(SANDBOX.rglob("*.py"))
    assert SANDBOX / "routes" / "customers.py" in files
    bad = [
        f"{path.relative_to(REPO)}:{line}: {module} {names or ''}"
        for path in files
        for line, module, names in imports(path)
        if forbidden(module, names)
    ]
    assert bad == []


def test_the_import_check_is_not_vacuous():
    assert forbidden("anyio", [])
    assert forbidden("flowtui.api.errors", ["ApiError"])
    assert forbidden("flowtui", ["cli"])
    assert forbidden("flowtui.config", [])
    assert not forbidden("flowtui", ["__version__"])
    assert not forbidden("flowtui.core.fields", [])
    assert not forbidden("starlette.routing", ["Route"])


PROBE = """
import importlib, json, pkgutil, sys
import flowtui.sandbox as package
for m in pkgutil.walk_packages(package.__path__, "flowtui.sandbox."):
    importlib.import_module(m.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "flowtui")))
"""


@pytest.mark.slow
def test_importing_all_of_the_sandbox_loads_no_other_flowtui_layer():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert "flowtui.sandbox.routes.customers" in loaded
    others = [m for m in loaded if m != "flowtui" and not m.startswith(FLOWTUI)]
    assert others == []


def test_routes_in_the_order_the_router_tries_them(sandbox_app):
    """The order matters where two routes match one path: ``/v2/customers/tokens`` must come
    before ``/v2/customers/{customer_id}``. This is the order of the single app.py the route
    modules were split from."""
    table = [
        (r.path, sorted(r.methods or ())) for r in sandbox_app.router.routes if isinstance(r, Route)
    ]
    assert table == [
        ("/oauth/access_token", ["POST"]),
        ("/_sandbox/health", ["GET", "HEAD"]),
        ("/_sandbox/reset", ["POST"]),
        ("/_sandbox/stats", ["GET", "HEAD"]),
        ("/v2/flows", ["GET", "HEAD", "POST"]),
        ("/v2/flows/{flow_id}", ["DELETE", "GET", "HEAD", "PUT"]),
        ("/v2/flows/{slug}/fields", ["GET", "HEAD"]),
        ("/v2/flows/{flow_id}/fields/{field_id}", ["GET", "HEAD"]),
        ("/v2/flows/{slug}/entries", ["GET", "HEAD", "POST"]),
        ("/v2/flows/{slug}/entries/{entry_id}", ["DELETE", "GET", "HEAD", "PUT"]),
        (
            "/v2/flows/{slug}/entries/{entry_id}/relationships/{field_slug}",
            ["DELETE", "POST", "PUT"],
        ),
        ("/v2/fields", ["GET", "HEAD", "POST"]),
        ("/v2/fields/{field_id}", ["DELETE", "GET", "HEAD", "PUT"]),
        ("/v2/customers", ["GET", "HEAD", "POST"]),
        ("/v2/customers/tokens", ["POST"]),
        ("/v2/customers/{customer_id}", ["DELETE", "GET", "HEAD", "PUT"]),
        ("/v2/customers/{customer_id}/addresses", ["GET", "HEAD", "POST"]),
        ("/v2/customers/{customer_id}/addresses/{address_id}", ["DELETE", "GET", "HEAD", "PUT"]),
    ]
    assert len(sandbox_app.router.routes) == len(table)


def test_each_app_has_its_own_store_config_and_counts():
    one, two = create_app(client_id="one"), create_app(client_id="two")
    assert one.state.store is not two.state.store
    assert (one.state.config.client_id, two.state.config.client_id) == ("one", "two")
    assert one.state.counts is not two.state.counts
    one.state.store.close()
    two.state.store.close()
