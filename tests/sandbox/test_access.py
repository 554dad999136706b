"""Who may reach the sandbox: loopback unless told otherwise, a valid token on every ``/v2``
route (taken from the route table, so a new route cannot slip through), resets only with
``--allow-reset``, and HTTPS with ``--tls-cert``/``--tls-key``."""

from __future__ import annotations

import ssl
import time

import httpx
import pytest
from starlette.routing import Route

from flowtui.cli import build_parser
from flowtui.sandbox import demo
from flowtui.sandbox.app import create_app
from flowtui.sandbox.server import BackgroundServer
from flowtui.sandbox.store import Store
from tests.tls import make_certs

TOKEN = "access-token-0123456789"


def app_with_data(**config):
    store = Store(":memory:")
    demo.seed(store, 3)
    store.add_token(TOKEN, "client_credentials", time.time() + 3600)
    return create_app(store=store, client_id="id", client_secret="secret", **config)


async def request(app, method: str, path: str, **kw) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sb.test") as client:
        return await client.request(method, path, **kw)


def test_the_sandbox_listens_on_loopback_unless_told_otherwise():
    assert build_parser().parse_args(["sandbox"]).host == "127.0.0.1"
    app = create_app()
    server = BackgroundServer(app)
    try:
        assert server.sock.getsockname()[0] == "127.0.0.1"
    finally:
        server.sock.close()
        app.state.store.close()


V2_ROUTES = [
    (method, r.path)
    for r in create_app().routes
    if isinstance(r, Route) and r.path.startswith("/v2")
    for method in sorted(r.methods - {"HEAD"})
]


@pytest.mark.parametrize("auth", [None, "Bearer nope", f"Bearer {TOKEN}x", "Basic aWQ6c2VjcmV0"])
async def test_every_v2_route_in_the_route_table_needs_a_valid_token(auth):
    app = app_with_data()
    flow = app.state.store.get_flow_by_slug("wishlists")
    headers = {"Authorization": auth} if auth else {}
    assert len(V2_ROUTES) >= 20
    for method, path in V2_ROUTES:
        url = path.format(
            flow_id=flow["id"], slug="wishlists", field_id="x", entry_id="x", field_slug="owner",
            customer_id="x", address_id="x",
        )  # fmt: skip
        response = await request(app, method, url, headers=headers, json={"data": {}})
        assert response.status_code == 401, (method, path, response.text)
        assert response.json()["errors"][0]["status"] == 401
    # The store was not touched.
    assert app.state.store.count_customers() == 3


async def test_reset_is_refused_without_allow_reset():
    app = app_with_data()
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}):
        response = await request(app, "POST", "/_sandbox/reset", headers=headers)
        assert response.status_code == 403
        assert "--allow-reset" in response.json()["errors"][0]["detail"]
    assert app.state.store.count_customers() == 3


async def test_reset_with_allow_reset_empties_the_store():
    app = app_with_data(allow_reset=True)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = await request(app, "POST", "/_sandbox/reset", headers=headers, json={})
    assert response.status_code == 204
    assert app.state.store.count_customers() == 0
    assert app.state.store.list_flows() == []


@pytest.mark.slow
def test_https_sandbox_from_the_command_line_and_reset_only_when_allowed(run, tmp_path):
    certs = make_certs(tmp_path / "tls")
    tls = ("--tls-cert", str(certs.cert), "--tls-key", str(certs.key))
    closed = run("--port", "0", "--memory", *tls)
    opened = run(
        "--port", "0", "--memory", "--allow-reset", "--client-id", "id", "--client-secret", "s",
        *tls,
    )  # fmt: skip
    for sandbox in (closed, opened):
        sandbox.wait_ready()
        assert sandbox.url.startswith("https://127.0.0.1:")
    with httpx.Client(verify=ssl.create_default_context(cafile=certs.ca), timeout=10) as client:
        assert client.get(f"{closed.url}/_sandbox/health").json()["status"] == "ok"
        assert client.post(f"{closed.url}/_sandbox/reset").status_code == 403
        # A reset needs the sandbox's credentials (issue 15).
        assert client.post(f"{opened.url}/_sandbox/reset", json={}).status_code == 401
        form = {"grant_type": "client_credentials", "client_id": "id", "client_secret": "s"}
        token = client.post(f"{opened.url}/oauth/access_token", data=form).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        reset = client.post(f"{opened.url}/_sandbox/reset", json={}, headers=headers)
        assert reset.status_code == 204
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(f"{closed.url}/_sandbox/health", timeout=10)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tls-cert", "a.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-key", "a.key"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "nowhere.pem", "--tls-key", "nowhere.key"],
         "Cannot use the TLS certificate nowhere.pem with the key nowhere.key: "),
    ],
)  # fmt: skip
def test_tls_options_errors_are_one_sentence(args, message, capsys):
    from flowtui.cli import main

    assert main(["sandbox", "--port", "0", "--memory", *args]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
