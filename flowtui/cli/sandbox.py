"""``flowtui sandbox``: run the local EPCC-compatible API server.

uvicorn and the sandbox are imported only when the command runs.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import time
from typing import TYPE_CHECKING

from flowtui import __version__
from flowtui.cli.common import ExamplesFormatter, _fraction, _non_negative_int, _positive

if TYPE_CHECKING:
    from flowtui.sandbox.store import Store

SANDBOX_HELP = """\
Run a local server that speaks the Elastic Path Commerce Cloud API (flows, fields, entries,
customers, OAuth) with the same rules, backed by SQLite. Point flowtui, curl or an SDK at the
base URL it prints. Without credentials it generates a client id and secret, keeps them with
its data and prints them at start; FLOWTUI_SANDBOX_CLIENT_ID and FLOWTUI_SANDBOX_CLIENT_SECRET
set them too. Stop it with Ctrl-C.
"""

SANDBOX_EXAMPLES = """examples:
  flowtui sandbox --memory --client-id demo --client-secret s3cret
  flowtui sandbox --port 0 --demo-data 10000      any free port, 10,000 demo customers
  flowtui sandbox --fault-rate 0.1 --latency-ms 200 --rate-limit 20   a flaky, slow store
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flowtui sandbox [options]``."""
    sb = sub.add_parser(
        "sandbox",
        help="run the local EPCC-compatible API server",
        description=SANDBOX_HELP,
        epilog=SANDBOX_EXAMPLES,
        formatter_class=ExamplesFormatter,
    )
    # Not reported(): the server reports its own failures, with their own exit codes.
    sb.set_defaults(handler=run_sandbox)
    sb.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    sb.add_argument(
        "--port", type=int, default=8710, help="port (default: %(default)s; 0 = any free port)"
    )
    where = sb.add_mutually_exclusive_group()
    where.add_argument(
        "--db", metavar="PATH", help="SQLite file (default: sandbox.db in the data dir)"
    )
    where.add_argument(
        "--memory", action="store_true", help="keep everything in memory; lost on exit"
    )
    sb.add_argument(
        "--client-id",
        metavar="ID",
        help="client id to accept (default: generated once and kept with the data)",
    )
    sb.add_argument(
        "--client-secret",
        metavar="SECRET",
        help="client secret to accept (with --client-id; never printed)",
    )
    sb.add_argument(
        "--demo-data",
        metavar="N",
        type=_non_negative_int,
        default=None,
        help="seed an empty store with the demo flows and N deterministic customers",
    )
    sb.add_argument(
        "--token-ttl",
        metavar="SECONDS",
        type=_positive(int),
        default=3600,
        help="access token lifetime (default: %(default)s)",
    )
    sb.add_argument(
        "--rate-limit",
        metavar="RPS",
        type=_positive(float),
        default=None,
        help="answer 429 with Retry-After above this many requests per second (default: none)",
    )
    sb.add_argument(
        "--fault-rate",
        metavar="P",
        type=_fraction,
        default=0.0,
        help="share of API requests answered 500/503 before processing (0..1; default 0)",
    )
    sb.add_argument(
        "--drop-rate",
        metavar="P",
        type=_fraction,
        default=0.0,
        help="share of API requests whose connection drops after processing (0..1; default 0)",
    )
    sb.add_argument(
        "--latency-ms",
        metavar="N",
        type=_non_negative_int,
        default=0,
        help="delay in milliseconds added to every API request (default: %(default)s)",
    )
    sb.add_argument(
        "--allow-reset", action="store_true", help="allow POST /_sandbox/reset to empty the store"
    )
    sb.add_argument(
        "--epcc-sizes",
        action="store_true",
        help="accept Elastic Path's sizes (16 MB strings, 20 MB bodies) instead of the "
        "sandbox's (16 KiB strings, 64 KiB of custom values, 1 MiB bodies)",
    )
    sb.add_argument(
        "--allow-host",
        metavar="NAME",
        action="append",
        default=[],
        help="also accept this name in the Host header (a LAN name, a container's name); "
        "repeatable. Other names are refused, against DNS rebinding",
    )
    sb.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate")
    sb.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")


def _credentials(args: argparse.Namespace, store: Store) -> tuple[str, str, str]:
    """(client id, client secret, where they came from)."""
    cid = args.client_id or os.environ.get("FLOWTUI_SANDBOX_CLIENT_ID")
    secret = args.client_secret or os.environ.get("FLOWTUI_SANDBOX_CLIENT_SECRET")
    if cid and secret:
        return cid, secret, "given"
    if cid or secret:
        raise SystemExit(
            "flowtui sandbox: give both a client id and a client secret (flags or "
            "FLOWTUI_SANDBOX_CLIENT_ID / FLOWTUI_SANDBOX_CLIENT_SECRET), or neither"
        )
    cid, secret = store.get_setting("client_id"), store.get_setting("client_secret")
    if cid and secret:
        return cid, secret, "stored"
    import secrets  # here: it costs milliseconds at start-up and only a new store needs it

    cid = f"sandbox-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(24)
    store.set_setting("client_id", cid)
    store.set_setting("client_secret", secret)
    return cid, secret, "generated"


def _loopback(host: str) -> bool:
    """Whether ``host`` (an address to listen on) is reachable from this machine only."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run_sandbox(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C. Exit 1 when the TLS files, the address or the database cannot
    be used; 2 when the port is taken."""
    from flowtui.config.paths import sandbox_db
    from flowtui.sandbox import demo
    from flowtui.sandbox.app import SandboxConfig, create_app
    from flowtui.sandbox.config import epcc_sizes
    from flowtui.sandbox.server import PortInUse, base_url, bind, check_tls, serve_forever
    from flowtui.sandbox.store import Store

    if bool(args.tls_cert) != bool(args.tls_key):
        print("flowtui sandbox: --tls-cert and --tls-key go together", file=sys.stderr)
        return 1
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    try:
        if tls:
            check_tls(tls)
        sock = bind(args.host, args.port)
    except OSError as exc:  # PortInUse included
        print(f"flowtui sandbox: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, PortInUse) else 1
    if not _loopback(args.host):
        print(
            f"WARNING: the sandbox listens on {args.host}, beyond this machine: anyone who "
            "can reach it can read and change its customers with the printed credentials. "
            "Use --host 127.0.0.1 unless you mean it. Clients reach it by an address of "
            "this machine, or by a name given with --allow-host.",
            file=sys.stderr,
            flush=True,
        )
    path = ":memory:" if args.memory else (args.db or str(sandbox_db()))
    try:
        store = Store(path)
    except Exception as exc:
        print(f"flowtui sandbox: cannot open the database {path}: {exc}", file=sys.stderr)
        return 1
    cid, secret, origin = _credentials(args, store)
    if args.demo_data is not None:
        if args.demo_data >= 20000:
            print(f"Seeding {args.demo_data:,} demo customers ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        if demo.seed(store, args.demo_data):
            took = time.perf_counter() - started
            print(f"Seeded demo data: {args.demo_data:,} customers in {took:.1f} s", flush=True)
        else:
            print("The store already holds data; demo data not added", flush=True)
    config = SandboxConfig(
        client_id=cid,
        client_secret=secret,
        token_ttl=args.token_ttl,
        rate_limit=args.rate_limit,
        fault_rate=args.fault_rate,
        drop_rate=args.drop_rate,
        latency_ms=args.latency_ms,
        allow_reset=args.allow_reset,
        allowed_hosts=tuple(args.allow_host),
    )
    app = create_app(epcc_sizes(config) if args.epcc_sizes else config, store)
    url = base_url(sock, tls=tls is not None)

    def announce() -> None:
        print(f"flowtui sandbox {__version__} listening on {url}")
        print(f"  data:          {'memory (lost on exit)' if path == ':memory:' else path}")
        print(f"  client_id:     {cid}")
        if origin == "given":
            print("  client_secret: (as given)")
        else:
            print(f"  client_secret: {secret}   ({origin}; kept with the data)")
        faults = [
            f"{name} {value}"
            for name, value in (
                ("latency-ms", args.latency_ms),
                ("rate-limit", args.rate_limit),
                ("fault-rate", args.fault_rate),
                ("drop-rate", args.drop_rate),
            )
            if value
        ]
        if faults:
            print(f"  faults:        {', '.join(faults)}")
        print("Press Ctrl-C to stop.", flush=True)

    try:
        serve_forever(app, sock, announce, tls=tls)
    finally:
        store.close()
    print("Sandbox stopped.")
    return 0
