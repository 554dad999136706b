"""The sandbox as a local server (issue 15, item 13, and item 8 for its database): a web page
in a local browser cannot reset it or reach it through another name (DNS rebinding), a bind
beyond loopback is announced loudly, idle and partial connections time out, sizes are capped,
and its database file is private."""

from __future__ import annotations

import os
import socket
import stat
import time

import httpx
import pytest

from flowtui.cli.sandbox import _loopback
from flowtui.sandbox import demo
from flowtui.sandbox.app import create_app
from flowtui.sandbox.guard import split_host
from flowtui.sandbox.server import MAX_CONCURRENCY, BackgroundServer
from flowtui.sandbox.store import Store

TOKEN = "access-token-0123456789"
SHOPPER = "implicit-token-0123456789"


def app_with_data(**config):
    store = Store(":memory:")
    demo.seed(store, 3)
    store.add_token(TOKEN, "client_credentials", time.time() + 3600)
    store.add_token(SHOPPER, "implicit", time.time() + 3600)
    return create_app(store=store, client_id="id", client_secret="secret", **config)


async def request(app, method: str, path: str, base: str = "http://sb.test", **kw):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base) as client:
        return await client.request(method, path, **kw)


BEARER = {"Authorization": f"Bearer {TOKEN}"}

# -- reset ----------------------------------------------------------------------------------


async def test_a_reset_needs_a_token_and_a_json_body():
    app = app_with_data(allow_reset=True)
    response = await request(app, "POST", "/_sandbox/reset", headers=BEARER, json={})
    assert response.status_code == 204
    assert app.state.store.count_customers() == 0


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({}, {"json": {}}, 401),  # no token
        ({"Authorization": "Bearer forged"}, {"json": {}}, 401),
        ({"Authorization": f"Bearer {SHOPPER}"}, {"json": {}}, 403),  # a shopper's token
        (BEARER, {}, 415),  # no body
        # A web page's "simple" request: text/plain, or a form, without a preflight.
        ({**BEARER, "Content-Type": "text/plain"}, {"content": b"{}"}, 415),
        ({}, {"content": b"{}", "headers": {"Content-Type": "text/plain"}}, 401),
        (BEARER, {"data": {"a": "b"}}, 415),
        (BEARER, {"json": []}, 400),  # JSON, not an object
        ({**BEARER, "Content-Type": "application/json"}, {"content": b"{"}, 400),
        # Cross-origin, even with the token and the body.
        ({**BEARER, "Origin": "http://evil.example"}, {"json": {}}, 403),
        ({**BEARER, "Origin": "null"}, {"json": {}}, 403),
        ({**BEARER, "Origin": "http://sb.test:8080"}, {"json": {}}, 403),
    ],
)
async def test_a_reset_without_credentials_json_or_from_another_origin_is_refused(
    headers, body, status
):
    app = app_with_data(allow_reset=True)
    extra = body.pop("headers", {})
    response = await request(app, "POST", "/_sandbox/reset", headers={**headers, **extra}, **body)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["status"] == status
    assert app.state.store.count_customers() == 3


async def test_a_reset_from_the_sandboxs_own_origin_is_accepted():
    app = app_with_data(allow_reset=True)
    headers = {**BEARER, "Origin": "http://sb.test"}
    response = await request(app, "POST", "/_sandbox/reset", headers=headers, json={})
    assert response.status_code == 204


# -- Host header (DNS rebinding) ------------------------------------------------------------


def test_host_headers_are_parsed_strictly():
    assert split_host("127.0.0.1:8710") == ("127.0.0.1", 8710)
    assert split_host("[::1]:8710") == ("::1", 8710)
    assert split_host("LocalHost.") == ("localhost", None)
    for bad in ("::1:8710", "[::1", "[::1]x", "host:port", "host:123456"):
        assert split_host(bad) is None, bad


async def test_a_foreign_host_header_is_refused_on_every_route():
    app = app_with_data(allow_reset=True)
    paths = [(m, r.path) for r in app.routes for m in sorted(r.methods or ()) if m != "HEAD"]
    assert len(paths) >= 20
    for method, path in paths:
        url = path.replace("{", "").replace("}", "")
        for host in ("rebind.attacker.example", "sb.test:8080", "sb.test:x", "[::1"):
            response = await request(app, method, url, headers={**BEARER, "Host": host}, json={})
            assert response.status_code == 400, (method, path, host, response.text)
            assert "Host header" in response.json()["errors"][0]["detail"]
    assert app.state.store.count_customers() == 3


def test_over_http_only_the_served_address_and_loopback_names_are_accepted():
    app = app_with_data(allowed_hosts=("sandbox.lan",))
    with BackgroundServer(app) as server:
        port = server.url.rsplit(":", 1)[1]
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for host in (f"127.0.0.1:{port}", f"localhost:{port}", "sandbox.lan", "SANDBOX.LAN:1"):
                response = client.get("/_sandbox/health", headers={"Host": host})
                assert response.status_code == 200, host
            for host in (f"attacker.example:{port}", f"127.0.0.1:{int(port) + 1}", "localhost"):
                response = client.get("/_sandbox/health", headers={"Host": host})
                assert response.status_code == 400, host
                assert response.headers["connection"] == "close"


# -- beyond loopback ------------------------------------------------------------------------


def test_loopback_addresses():
    for host in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"):
        assert _loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.5", "myhost"):
        assert not _loopback(host), host


@pytest.mark.slow
def test_listening_beyond_loopback_warns_loudly(run):
    wide = run("--host", "0.0.0.0", "--port", "0", "--memory")
    narrow = run("--port", "0", "--memory")
    narrow.wait_ready()
    deadline = time.monotonic() + 20
    while "Press Ctrl-C" not in wide.stdout and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "WARNING: the sandbox listens on 0.0.0.0, beyond this machine" in wide.stderr
    assert "WARNING" not in narrow.stderr
    assert wide.interrupt() == 0


# -- timeouts -------------------------------------------------------------------------------


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed ``sock`` within ``seconds``, and what it sent first."""
    sock.settimeout(seconds)
    got = b""
    try:
        while chunk := sock.recv(65536):
            got += chunk
    except TimeoutError:
        return False, got
    return True, got


@pytest.fixture
def quick_server():
    app = app_with_data(head_timeout=0.5, body_timeout=0.5, keep_alive_timeout=1)
    with BackgroundServer(app) as server:
        yield server.sock.getsockname()[:2]


def test_a_connection_that_sends_nothing_is_closed(quick_server):
    with socket.create_connection(quick_server) as sock:
        assert closed_within(sock, 5) == (True, b"")


def test_a_partial_request_head_is_closed(quick_server):
    with socket.create_connection(quick_server) as sock:
        sock.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        for _ in range(3):  # trickling bytes does not extend the deadline
            time.sleep(0.2)
            sock.sendall(b"a")
        assert closed_within(sock, 5)[0]


def test_a_partial_body_is_answered_408_and_closed(quick_server):
    host, port = quick_server
    with socket.create_connection(quick_server) as sock:
        sock.sendall(
            f"POST /v2/flows HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {TOKEN}"
            "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode()
        )
        closed, answer = closed_within(sock, 5)
    assert closed
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"did not arrive within 0.5 s" in answer


async def test_a_client_that_hangs_up_mid_body_ends_its_request_quietly():
    # An interrupted import cancels its POSTs while their bodies travel. Starlette then raises
    # ClientDisconnect in the handler, which uvicorn logged as "Exception in ASGI application"
    # with a traceback, into the stderr of whatever command ran next in the same process.
    app = app_with_data()
    messages = [
        {"type": "http.request", "body": b'{"data": {"type": "cust', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v2/customers",
        "raw_path": b"/v2/customers",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"sb.test"),
            (b"authorization", f"Bearer {TOKEN}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"1000"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("sb.test", 80),
    }
    await app(scope, receive, send)  # before: raised ClientDisconnect
    assert sent == []  # nobody to answer
    assert app.state.store.count_customers() == 3


def test_an_idle_kept_alive_connection_is_closed(quick_server):
    host, port = quick_server
    with socket.create_connection(quick_server) as sock:
        sock.sendall(f"GET /_sandbox/health HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        closed, answer = closed_within(sock, 5)
    assert closed
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_request_head_over_16_kib_is_refused(quick_server):
    host, port = quick_server
    with socket.create_connection(quick_server) as sock:
        # 17 headers of 1 KB, without end, in one write: past the 16 KiB limit. (Written in
        # pieces, a piece sent after the server has answered and closed makes its kernel reset
        # the connection, and the 400 can be lost with it.)
        head = f"GET /_sandbox/health HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()
        sock.sendall(head + (b"X-Big: " + b"a" * 1000 + b"\r\n") * 17)
        closed, answer = closed_within(sock, 5)
    assert closed
    assert answer.startswith(b"HTTP/1.1 400 ")


def test_connections_beyond_the_concurrency_limit_are_answered_503():
    with BackgroundServer(app_with_data()) as server:
        address = server.sock.getsockname()[:2]
        held = [socket.create_connection(address) for _ in range(MAX_CONCURRENCY)]
        try:
            for sock in held:
                sock.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: x")  # a head, unfinished
            time.sleep(0.3)
            assert httpx.get(f"{server.url}/_sandbox/health", timeout=10).status_code == 503
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # served again once they are gone
            if httpx.get(f"{server.url}/_sandbox/health", timeout=10).status_code == 200:
                break
            time.sleep(0.05)
        else:
            pytest.fail("still refusing after the held connections closed")


# -- sizes ----------------------------------------------------------------------------------


async def test_long_strings_are_refused_where_they_are():
    app = app_with_data()
    body = {"data": {"type": "customer", "name": "x" * 16385, "email": "a@example.com"}}
    response = await request(app, "POST", "/v2/customers", headers=BEARER, json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"] == "data.name"
    assert "at most 16384 characters" in response.json()["errors"][0]["detail"]
    body["data"]["name"] = "x" * 16384
    response = await request(app, "POST", "/v2/customers", headers=BEARER, json=body)
    assert response.status_code == 201


async def test_custom_values_together_are_capped_so_pages_stay_small():
    app = app_with_data()
    flow = (await request(app, "GET", "/v2/flows", headers=BEARER)).json()["data"]
    customers = next(f for f in flow if f["slug"] == "customers")
    for n in range(8):
        field = {
            "data": {
                "type": "field", "name": f"Note {n}", "slug": f"note{n}", "field_type": "string",
                "description": "", "required": False, "enabled": True,
                "relationships": {"flow": {"data": {"type": "flow", "id": customers["id"]}}},
            }
        }  # fmt: skip
        response = await request(app, "POST", "/v2/fields", headers=BEARER, json=field)
        assert response.status_code == 201, response.text
    ids = [
        c["id"] for c in (await request(app, "GET", "/v2/customers", headers=BEARER)).json()["data"]
    ]
    values = {f"note{n}": "v" * 16000 for n in range(8)}  # 128,000 bytes together
    body = {"data": {"type": "customer", **values}}
    response = await request(app, "PUT", f"/v2/customers/{ids[0]}", headers=BEARER, json=body)
    assert response.status_code == 422, response.text
    assert "at most 65536 bytes" in response.json()["errors"][0]["detail"]
    # One at a time does not get around it.
    for n in range(8):
        body = {"data": {"type": "customer", f"note{n}": "v" * 16000}}
        response = await request(app, "PUT", f"/v2/customers/{ids[0]}", headers=BEARER, json=body)
        assert response.status_code == (200 if n < 4 else 422), (n, response.text)
    page = await request(app, "GET", "/v2/customers?page[limit]=100", headers=BEARER)
    assert len(page.content) < 100_000


# -- the database file ----------------------------------------------------------------------


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_and_its_folder_are_private(tmp_path):
    os.umask(0o022)
    path = tmp_path / "new" / "deeper" / "sandbox.db"
    store = Store(path)
    demo.seed(store, 3)
    try:
        assert mode(path) == 0o600
        assert mode(path.parent) == 0o700
        assert mode(path.parent.parent) == 0o755  # a parent made on the way holds other things
        for side in ("-wal", "-shm"):
            assert mode(f"{path}{side}") == 0o600, side
    finally:
        store.close()


def test_an_older_world_readable_database_is_tightened(tmp_path):
    path = tmp_path / "sandbox.db"
    Store(path).close()
    os.chmod(path, 0o644)
    Store(path).close()
    assert mode(path) == 0o600
    assert mode(tmp_path) == stat.S_IMODE(tmp_path.stat().st_mode)  # not ours to change
