"""The ``flowtui`` command line: argument parsing and subcommands.

Heavy modules (uvicorn, the sandbox, later Textual) are imported inside the subcommand that
needs them, so ``flowtui --help`` stays instant.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Sequence

from flowtui import __version__

SANDBOX_HELP = """\
Run a local server that speaks the Elastic Path Commerce Cloud API (flows, fields, entries,
customers, OAuth) with the same rules, backed by SQLite. Point flowtui, curl or an SDK at the
base URL it prints. Without credentials it generates a client id and secret, keeps them with
its data and prints them at start; FLOWTUI_SANDBOX_CLIENT_ID and FLOWTUI_SANDBOX_CLIENT_SECRET
set them too. Stop it with Ctrl-C.
"""


PROFILE_HELP = """\
Profiles name the stores flowtui talks to: a base URL (EU West, US East or any URL), a client
id, whether the profile is read-only, a rate limit and an accent colour. They live in
config.toml in the config directory; secrets live apart, in a 0600 credentials file in the
data directory or in the OS keyring. EPCC_API_BASE_URL, EPCC_CLIENT_ID and EPCC_CLIENT_SECRET
(as epcc-cli uses them) override a profile; FLOWTUI_PROFILE picks one.
"""


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions as usual but keeps an epilog of examples as it is written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


MAIN_EXAMPLES = """examples:
  flowtui --demo                      try it on a built-in sandbox store (no account needed)
  flowtui profile add shop --region us-east --client-id XXXX
  flowtui                             open the default profile's store
  flowtui --profile shop              open another profile's store
  flowtui COMMAND --help              the options of one command

Keys inside the app: f1 (or ?) shows the keys that work where you are; ctrl+p the commands.
"""

SANDBOX_EXAMPLES = """examples:
  flowtui sandbox --memory --client-id demo --client-secret s3cret
  flowtui sandbox --port 0 --demo-data 10000      any free port, 10,000 demo customers
  flowtui sandbox --fault-rate 0.1 --latency-ms 200 --rate-limit 20   a flaky, slow store
"""

PROFILE_ADD_EXAMPLES = """examples:
  flowtui profile add shop --region us-east --client-id XXXX     asks for the secret
  echo "$SECRET" | flowtui profile add ci --client-id XXXX --secret-stdin --default
  flowtui profile add local --url http://127.0.0.1:8710 --client-id demo
  flowtui profile add browse --client-id XXXX --read-only       no secret needed
"""

LOGIN_EXAMPLES = """examples:
  flowtui login --check          the default profile
  flowtui login --check shop     the profile named shop
"""

EXPORT_EXAMPLES = """examples:
  flowtui export customers > customers.jsonl
  flowtui export customers --format csv --output customers.csv --profile shop
"""


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _positive(kind: type) -> callable:
    def parse(text: str) -> float | int:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError("must be greater than 0")
        return value

    return parse


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowtui",
        formatter_class=_Formatter,
        epilog=MAIN_EXAMPLES,
        description=(
            "flowtui: design Elastic Path Commerce Cloud flows and fields, and browse and edit "
            "customers, from the terminal. Without a command it opens the app: the login "
            "screen when there is no profile yet, else the default profile's customers."
        ),
    )
    parser.add_argument("--version", action="version", version=f"flowtui {__version__}")
    parser.add_argument(
        "--profile",
        metavar="NAME",
        dest="app_profile",
        help="open the app with this profile (default: FLOWTUI_PROFILE, then the default one)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="start a sandbox with demo data inside flowtui and open it (no account needed)",
    )
    parser.add_argument(
        "--reset", action="store_true", help="with --demo: start from fresh demo data"
    )
    parser.add_argument(
        "--demo-customers",
        metavar="N",
        type=_non_negative_int,
        default=None,
        help="with --demo: how many demo customers a fresh demo store gets (default 10,000)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sb = sub.add_parser(
        "sandbox",
        help="run the local EPCC-compatible API server",
        description=SANDBOX_HELP,
        epilog=SANDBOX_EXAMPLES,
        formatter_class=_Formatter,
    )
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
    sb.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate")
    sb.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")

    prof = sub.add_parser(
        "profile",
        help="manage store profiles (base URL, client id, secret)",
        description=PROFILE_HELP,
    )
    psub = prof.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    add = psub.add_parser(
        "add",
        epilog=PROFILE_ADD_EXAMPLES,
        formatter_class=_Formatter,
        help="add or replace a profile (asks for the client secret without echo)",
        description="Add or replace a profile. The client secret is asked without echo (or "
        "read from the first line of standard input with --secret-stdin) and stored in the "
        "credentials file (mode 0600) or the OS keyring, never in the config file. The "
        "credentials are tried before anything is saved, unless --no-check.",
    )
    add.add_argument("name", help="profile name (letters, digits, - _ .)")
    where_to = add.add_mutually_exclusive_group()
    where_to.add_argument(
        "--region",
        choices=["eu-west", "us-east"],
        help="an Elastic Path region (default: eu-west)",
    )
    where_to.add_argument("--url", metavar="URL", help="any base URL, e.g. a sandbox's")
    add.add_argument("--client-id", metavar="ID", help="client id (asked when missing)")
    add.add_argument(
        "--read-only",
        action="store_true",
        help="log in with the implicit grant: reading flows only, no secret needed",
    )
    add.add_argument(
        "--rate-limit",
        metavar="RPS",
        type=_positive(float),
        default=20.0,
        help="requests per second flowtui paces itself to (default: %(default)s)",
    )
    add.add_argument(
        "--accent",
        metavar="COLOUR",
        help="header colour, e.g. red or #ff8800 (default: red for a store, green for a sandbox)",
    )
    add.add_argument(
        "--keyring",
        action="store_true",
        help="keep the secret in the OS keyring (needs the keyring extra)",
    )
    tls = add.add_mutually_exclusive_group()
    tls.add_argument(
        "--ca-bundle", metavar="PEM", help="trust this CA bundle for the store's TLS certificate"
    )
    tls.add_argument(
        "--no-verify-tls",
        action="store_true",
        help="do not verify the store's TLS certificate (insecure; the header says so)",
    )
    add.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read the secret from the first line of standard input (for scripts)",
    )
    add.add_argument(
        "--no-check", action="store_true", help="save without trying the credentials first"
    )
    add.add_argument(
        "--default",
        action="store_true",
        help="make it the default profile (the first profile always is)",
    )
    psub.add_parser(
        "list",
        help="list profiles",
        description="List the profiles, one a line: * marks the default; then the region, "
        "base URL, client id and whether it is read-only.",
    )
    show = psub.add_parser(
        "show",
        help="show one profile (never its secret)",
        description="Show every setting of one profile, where its secret is kept (never "
        "the secret) and whether a token is cached, with its expiry.",
    )
    show.add_argument("name", nargs="?", help="profile (default: the default profile)")
    rm = psub.add_parser(
        "remove",
        help="remove a profile and its stored secret and token",
        description="Remove a profile from config.toml, and its secret and cached token "
        "from the credentials file or keyring.",
    )
    rm.add_argument("name", help="the profile to remove")
    use = psub.add_parser(
        "default",
        help="make a profile the default",
        description="Make a profile the one flowtui uses when none is named (with --profile "
        "or FLOWTUI_PROFILE).",
    )
    use.add_argument("name", help="the profile flowtui uses when none is named")

    login = sub.add_parser(
        "login",
        help="log in with a profile and report the token",
        description="Authenticate with a profile's credentials and print the token's kind "
        "and expiry (never the token itself).",
        epilog=LOGIN_EXAMPLES,
        formatter_class=_Formatter,
    )
    login.add_argument(
        "--check",
        metavar="NAME",
        nargs="?",
        const="",
        required=True,
        help="the profile to check (default: the default profile)",
    )

    exp = sub.add_parser(
        "export",
        help="export data (customers with their custom fields)",
        description="Write every customer with its custom fields as JSON Lines or CSV. "
        "Progress goes to stderr, data to stdout (or --output), so it pipes cleanly. "
        "Customers are walked by creation time, never by offset, so stores of any size "
        "export completely.",
        epilog=EXPORT_EXAMPLES,
        formatter_class=_Formatter,
    )
    exp.add_argument("what", choices=["customers"], help="what to export: customers")
    exp.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        default="jsonl",
        help="JSON Lines (one customer per line) or CSV with a header row (default: %(default)s)",
    )
    exp.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    exp.add_argument("--profile", metavar="NAME", help="profile (default: the default profile)")

    imp = sub.add_parser(
        "import",
        help="import customers from CSV or JSON Lines (as the export writes them)",
        description="Check every row of FILE against the customers flow's fields and rules, "
        "print what the import would do (create, update, unchanged, invalid), then, once "
        "confirmed, create and update the customers. Rows are matched to customers by email "
        "(or by id); only attributes that differ are sent. Invalid and failed rows go to a "
        "failure file in the same format with an error column, to fix and import again. "
        "Exit codes: 0 every row done, 1 some rows invalid or failed, 2 nothing could be "
        "done (usage, file or connection errors).",
    )
    imp.add_argument("what", choices=["customers"], help="what to import (customers)")
    imp.add_argument("file", metavar="FILE", help="a .csv or .jsonl file")
    imp.add_argument(
        "--format", choices=["csv", "jsonl"], help="the file's format (default: by its extension)"
    )
    imp.add_argument(
        "--match",
        choices=["email", "id"],
        default="email",
        help="how rows find their customer (default: %(default)s; id lets a row change an email)",
    )
    imp.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    imp.add_argument("--yes", "-y", action="store_true", help="write without asking")
    imp.add_argument(
        "--failures",
        metavar="PATH",
        help="where invalid and failed rows go (default: FILE's name with .failed before "
        "the extension)",
    )
    imp.add_argument("--profile", metavar="NAME", help="profile (default: the default profile)")
    idx = sub.add_parser(
        "index",
        help="the local search index of customers and their custom fields",
        description="EPCC cannot filter customers on custom fields, so flowtui keeps a local "
        "index per profile (SQLite in the cache directory), synced by updated_at, and searches "
        "it: `flowtui index search 'delivery_notes:knope loyalty_tier>=4'`.",
    )
    isub = idx.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    isync = isub.add_parser(
        "sync",
        help="bring the index up to date (the first sync reads every customer)",
        description="Read what changed since the last sync (or every customer the first time) "
        "into the profile's index, with progress on stderr.",
    )
    isync.add_argument("--full", action="store_true", help="rebuild from scratch")
    isearch = isub.add_parser(
        "search",
        help="search the index",
        description="Terms are ANDed: field:text (contains), field=value, field!=value, "
        'field>=n, field<=n, field>n, field<n, quoted values (field:"two words"), and bare '
        "words (contained in name, email or any custom text field). Fields by slug or name, "
        "spaces as underscores.",
    )
    isearch.add_argument("query", help="e.g. 'delivery_notes:knope loyalty_tier>=4'")
    isearch.add_argument(
        "--limit", type=_positive(int), default=50, help="matches shown (default: %(default)s)"
    )
    isub.add_parser(
        "status",
        help="how many customers the index holds and how old it is",
        description="Show the profile's index: where it is, how many customers it holds, "
        "when it was last synced and its size.",
    )
    for action in isub.choices.values():
        action.add_argument(
            "--profile", metavar="NAME", help="profile (default: the default profile)"
        )
    return parser


def _credentials(args: argparse.Namespace, store) -> tuple[str, str, str]:
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
    cid = f"sandbox-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(24)
    store.set_setting("client_id", cid)
    store.set_setting("client_secret", secret)
    return cid, secret, "generated"


def run_sandbox(args: argparse.Namespace) -> int:
    from flowtui.config.paths import sandbox_db
    from flowtui.sandbox import demo
    from flowtui.sandbox.app import SandboxConfig, create_app
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
    )
    app = create_app(config, store)
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


class CommandError(Exception):
    """A failure a command reports as one line on stderr (exit code 1)."""


def _fail_text(exc: BaseException, target=None) -> str:
    """One line for a failure; ``target`` (the profile being used) lets a refused login or
    an unreachable store say what to do (see :mod:`flowtui.api.advice`)."""
    from flowtui.api.advice import advice
    from flowtui.api.errors import ApiError

    if target is not None and (text := advice(exc, target.base_url, target.client_id)):
        return text
    if isinstance(exc, ApiError):
        where = f" ({exc.method} {exc.path})" if exc.method and exc.path else ""
        return f"{exc.kind}: {exc.summary}{where}"
    return str(exc)


def _run_async(coro) -> object:
    import asyncio

    return asyncio.run(coro)


def _when(expires: float) -> str:
    import datetime as dt

    stamp = dt.datetime.fromtimestamp(expires, dt.UTC)
    left = int(expires - time.time())
    if left <= 0:
        rel = "expired"
    elif left < 3600:
        rel = f"in {left // 60} min {left % 60} s"
    else:
        rel = f"in {left // 3600} h {left % 3600 // 60} min"
    return f"{stamp:%Y-%m-%d %H:%M:%S} UTC ({rel})"


def _ask_secret(args: argparse.Namespace) -> str:
    if args.secret_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        import getpass

        secret = getpass.getpass("Client secret (not shown): ")
    else:
        raise CommandError(
            "no terminal to ask the client secret on: pass it on standard input with --secret-stdin"
        )
    if not secret:
        raise CommandError("the client secret is empty")
    return secret


def cmd_profile(args: argparse.Namespace) -> int:
    from flowtui.config.profiles import REGIONS, Profile, ProfileStore
    from flowtui.config.secrets import secret_store

    store = ProfileStore()
    action = args.profile_command
    if action == "list":
        profiles = store.profiles()
        if not profiles:
            print("No profiles yet: add one with `flowtui profile add NAME`.", file=sys.stderr)
            return 0
        default = store.default_name()
        width = max(len(p.name) for p in profiles)
        for p in profiles:
            mark = "*" if p.name == default else " "
            flags = " read-only" if p.read_only else ""
            print(
                f"{mark} {p.name:<{width}}  {p.region_name():<8} {p.base_url}  "
                f"client_id={p.client_id}{flags}"
            )
        return 0
    if action == "show":
        name = args.name or store.default_name()
        if not name:
            raise CommandError("no default profile: name one, e.g. `flowtui profile show NAME`")
        p = store.get(name)
        secrets = secret_store(p)
        has_secret = secrets.get_secret(p.name) is not None
        token = secrets.get_token(p.name)
        where = "OS keyring" if p.secret_backend == "keyring" else "credentials file"
        rows = [
            ("name", p.name + (" (default)" if store.default_name() == p.name else "")),
            ("region", p.region_name()),
            ("base_url", p.base_url),
            ("client_id", p.client_id),
            ("read_only", "yes" if p.read_only else "no"),
            ("rate_limit", f"{p.rate_limit:g} requests/s"),
            ("accent", p.accent or "automatic"),
            ("verify_tls", "yes" if p.verify_tls else "NO (insecure)"),
            ("ca_bundle", p.ca_bundle or "system default"),
            (
                "secret",
                f"stored in the {where}"
                if has_secret
                else ("not needed (read-only)" if p.read_only else "missing"),
            ),
            ("token", f"cached, {token.kind}, expires {_when(token.expires)}" if token else "none"),
        ]
        for key, value in rows:
            print(f"{key:<11} {value}")
        return 0
    if action == "remove":
        p = store.get(args.name)
        store.remove(p.name)
        secret_store(p).delete(p.name)
        print(f"Removed profile {p.name!r} and its stored secret.")
        return 0
    if action == "default":
        store.get(args.name)
        store.set_default(args.name)
        print(f"Default profile: {args.name}")
        return 0

    # add
    from flowtui.config.profiles import validate_base_url, validate_name, validate_profile

    problem = validate_name(args.name)
    if problem:
        raise CommandError(f"profile name: {problem}")
    base = args.url or REGIONS[args.region or "eu-west"]
    problem = validate_base_url(base)
    if problem:
        raise CommandError(f"base URL: {problem}")
    client_id = args.client_id
    if not client_id:
        if not sys.stdin.isatty() or args.secret_stdin:
            raise CommandError("give the client id with --client-id")
        client_id = input("Client id: ").strip()
    profile = Profile(
        name=args.name,
        base_url=base.rstrip("/"),
        client_id=client_id,
        read_only=args.read_only,
        rate_limit=args.rate_limit,
        accent=args.accent,
        secret_backend="keyring" if args.keyring else "file",
        verify_tls=not args.no_verify_tls,
        ca_bundle=os.path.abspath(args.ca_bundle) if args.ca_bundle else None,
    )
    problems = validate_profile(profile)
    if problems:
        raise CommandError(" ".join(problems))
    secret = None if args.read_only else _ask_secret(args)
    if not profile.verify_tls:
        print(
            f"Warning: the TLS certificate of {profile.base_url} will not be verified "
            f"for profile {profile.name!r}.",
            file=sys.stderr,
        )
    if not args.no_check:
        from flowtui.api.auth import MemoryTokenCache
        from flowtui.api.service import ApiService

        async def check():
            async with ApiService(
                profile.base_url,
                profile.client_id,
                secret,
                read_only=profile.read_only,
                rate_limit=profile.rate_limit,
                token_cache=MemoryTokenCache(),
                verify=profile.ca_bundle or profile.verify_tls,
            ) as service:
                await service.list_flows()
                return service.auth.token

        print(f"Checking the credentials against {profile.base_url} ...", file=sys.stderr)
        try:
            token = _run_async(check())
        except Exception as exc:
            raise CommandError(f"not saved: {_fail_text(exc, profile)}") from None
    else:
        token = None
    secrets = secret_store(profile)
    first = not store.profiles()
    # Secrets first: if they cannot be stored, the profile is not saved either. A replaced
    # profile's old secret and cached token belong to other credentials: forget them.
    secrets.delete(profile.name)
    if secret is not None:
        secrets.set_secret(profile.name, secret)
    if token is not None:
        secrets.set_token(profile.name, token)
    store.save(profile)
    if args.default or first:
        store.set_default(profile.name)
    print(
        f"Saved profile {profile.name!r} ({profile.region_name()}, {profile.base_url})"
        + (" as the default" if args.default or first else "")
        + "."
    )
    return 0


def cmd_login(args: argparse.Namespace) -> int:
    from flowtui.config.resolve import resolve
    from flowtui.ops.connect import service_for

    resolved = resolve(args.check or None)
    args.target = resolved.profile

    async def check():
        async with service_for(resolved) as service:
            # A real request, so a cached token is proven to work against a store that
            # answers (it is reused, not replaced, while it is valid).
            await service.list_flows()
            token = await service.login()
            return token, service.is_sandbox

    token, sandbox = _run_async(check())
    where = resolved.profile.base_url + (" (flowtui sandbox)" if sandbox else "")
    print(
        f"Logged in to {where} as {resolved.profile.name!r}: {token.kind} token, "
        f"expires {_when(token.expires)}"
    )
    return 0


class Progress:
    """A progress line on stderr: redrawn in place on a terminal, a few lines otherwise."""

    def __init__(self, noun: str, stream=None, verb: str = "Exported") -> None:
        self.noun = noun
        self.verb = verb
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.last_quarter = -1
        self.done: int | None = None  # the last count reported, None before the first

    def __call__(self, done: int, total: int) -> None:
        self.done = done
        now = time.monotonic()
        rate = done / max(now - self.started, 1e-6)
        share = done / total if total else 1.0
        if self.tty:
            if now - self.last_draw < 0.1 and done < total:
                return
            self.last_draw = now
            bar = "#" * int(share * 30)
            self.stream.write(
                f"\r[{bar:<30}] {share:4.0%} {done:,}/{total:,} {self.noun} {rate:,.0f}/s "
            )
            self.stream.flush()
        else:
            quarter = int(share * 4)
            if quarter > self.last_quarter:
                self.last_quarter = quarter
                print(f"{done:,}/{total:,} {self.noun} ({share:.0%})", file=self.stream, flush=True)

    def finish(self, done: int) -> None:
        took = time.monotonic() - self.started
        if self.tty:
            self.stream.write("\n")
        print(f"{self.verb} {done:,} {self.noun} in {took:.1f} s", file=self.stream, flush=True)


def cmd_export(args: argparse.Namespace) -> int:
    from flowtui.config.resolve import resolve
    from flowtui.ops.connect import service_for
    from flowtui.ops.export import export_customers

    resolved = resolve(args.profile)
    args.target = resolved.profile
    progress = Progress("customers")

    async def run(out, for_terminal: bool):
        async with service_for(resolved) as service:
            return await export_customers(
                service, out, args.format, progress=progress, for_terminal=for_terminal
            )

    if args.output:
        # Written beside the target and renamed at the end: an interrupted export never
        # leaves a file that looks complete.
        target = os.path.abspath(args.output)
        partial = target + ".part"
        try:
            out = open(partial, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot write {partial}: {exc.strerror or exc}") from None
        with out:
            try:
                result = _run_async(run(out, False))
            except BaseException:
                print(
                    f"flowtui: the export stopped; what was written is in {partial}",
                    file=sys.stderr,
                )
                raise
        try:
            os.replace(partial, target)
        except OSError as exc:
            raise CommandError(
                f"cannot rename {partial} to {target}: {exc.strerror or exc}"
            ) from None
    else:
        result = _run_async(run(sys.stdout, sys.stdout.isatty()))
        sys.stdout.flush()
    progress.finish(result.count)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Exit 0: every row done; 1: some rows invalid or failed (or the answer was no);
    2: nothing could be done (usage, file or connection errors)."""
    from flowtui.api.errors import ApiError
    from flowtui.config.profiles import ConfigError
    from flowtui.config.secrets import SecretsError

    try:
        return _import(args)
    except (CommandError, ApiError, ConfigError, SecretsError) as exc:
        print(f"flowtui: {_fail_text(exc)}", file=sys.stderr)
        return 2


def _import(args: argparse.Namespace) -> int:
    from flowtui.config.resolve import resolve
    from flowtui.core.textsafe import printable
    from flowtui.ops.connect import service_for
    from flowtui.ops.importer import (
        ImportFileError,
        apply_import,
        default_failures_path,
        detect_format,
        plan_import,
        report_lines,
        row_line,
    )

    try:
        fmt = detect_format(args.file, args.format)
    except ImportFileError as exc:
        raise CommandError(str(exc)) from None
    resolved = resolve(args.profile)
    profile = resolved.profile
    if profile.read_only:
        raise CommandError(
            f"profile {profile.name!r} is read-only: importing needs a profile that can "
            "write customers"
        )
    failures = args.failures or default_failures_path(args.file, fmt)
    checking = Progress("customers", verb="Looked up")

    async def plan():
        async with service_for(resolved) as service:
            return await plan_import(service, args.file, fmt, args.match, progress=checking)

    try:
        result = _run_async(plan())
    except ImportFileError as exc:
        raise CommandError(str(exc)) from None
    if checking.done is not None:  # the store was asked
        checking.finish(checking.done)
    for line in report_lines(result):
        print(line)
    sys.stdout.flush()
    creates, updates = result.count("create"), result.count("update")
    bad = result.count("invalid")
    if args.dry_run:
        print("Dry run: nothing was written.")
        return 1 if bad else 0
    if not creates and not updates:
        print("Nothing to write.")
        return _write_failures(result, failures)
    where = printable(profile.name)
    question = f"Create {creates:,} and update {updates:,} customers in {where}?"
    if bad:
        question += f" ({bad:,} invalid rows are left out)"
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError(
                "standard input is not a terminal, so there is no one to ask: add --yes to "
                "write without asking"
            )
        print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip().lower()
        if answer not in ("y", "yes"):
            print("Nothing was written.", file=sys.stderr)
            return 1

    writing = Progress("customers", verb="Wrote")

    async def write():
        async with service_for(resolved) as service:
            return await apply_import(service, result, progress=writing)

    interrupted = False
    try:
        _run_async(write())
    except KeyboardInterrupt:
        interrupted = True
        for row in result.rows:
            if row.action in ("create", "update"):
                if row.outcome == "pending":
                    row.outcome = "failed"
                    row.error = "interrupted while being written: it may have been written"
                elif not row.outcome:
                    row.outcome, row.error = "not attempted", "not attempted: interrupted"
    outcomes = result.outcomes()
    writing.finish(outcomes["created"] + outcomes["updated"])
    failed = [r for r in result.rows if r.action in ("create", "update") and r.error]
    recovered = sum(1 for r in result.rows if r.recovered)
    summary = f"Created {outcomes['created']:,} and updated {outcomes['updated']:,} customers"
    if recovered:
        summary += f" ({recovered:,} created although the store's answer was lost)"
    print(summary + (f"; {len(failed):,} failed:" if failed else "."))
    for row in failed[:20]:
        print(f"  {row_line(row)}")
    if len(failed) > 20:
        print(f"  ... and {len(failed) - 20:,} more")
    code = _write_failures(result, failures)
    if interrupted:
        print("flowtui: interrupted", file=sys.stderr)
        return 130
    if result.stopped:
        print(f"flowtui: the import stopped: {result.stopped}", file=sys.stderr)
        return 2
    return code


def _write_failures(plan, path: str) -> int:
    """Write the failure file (when a row failed); the import's exit code so far."""
    from flowtui.core.textsafe import printable
    from flowtui.ops.importer import write_failures

    try:
        written = write_failures(plan, path)
    except OSError as exc:
        print(
            f"flowtui: cannot write the failure file {printable(path)}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    if written:
        print(f"{written:,} rows to fix and import again are in {printable(path)}")
    return 1 if written else 0


def cmd_index(args: argparse.Namespace) -> int:
    import datetime as dt
    import sqlite3

    from flowtui.config.resolve import resolve
    from flowtui.core.textsafe import printable
    from flowtui.index import CustomerIndex, QueryError, age_text, index_path, sync_index

    resolved = resolve(args.profile)
    name = resolved.profile.name
    path = index_path(name)
    try:
        index = CustomerIndex(path)
    except (OSError, sqlite3.Error) as exc:
        raise CommandError(f"cannot open the index {path}: {exc}") from None
    try:
        if args.index_command == "sync":
            from flowtui.ops.connect import service_for

            progress = Progress("customers", verb="Indexed")

            async def run():
                async with service_for(resolved) as service:
                    return await sync_index(index, service, progress=progress, full=args.full)

            result = _run_async(run())
            progress.finish(result.fetched)
            gone = f", {result.deleted:,} deleted" if result.deleted else ""
            print(
                f"{result.mode.capitalize()} sync of profile {name}: the index holds "
                f"{result.count:,} customers{gone}.",
                file=sys.stderr,
            )
            return 0
        if args.index_command == "search":
            if index.synced_at is None:
                raise CommandError(
                    f"the index of profile {name} is empty: run `flowtui index sync "
                    f"--profile {name}` first"
                )
            try:
                result = index.search(args.query, limit=args.limit)
            except QueryError as exc:
                raise CommandError(f"cannot search: {exc}") from None
            shown = [c.field for c in result.conditions if c.field and not c.field.base]
            for customer in result.customers:
                parts = [customer.name, f"<{customer.email}>", customer.id]
                for field in dict.fromkeys(shown):
                    parts.append(f"{field.column}={customer.custom.get(field.column)}")
                print(printable("  ".join(parts)))
            print(
                f"{len(result.customers):,} of {result.total:,} matches · index "
                f"{age_text(index.age())}",
                file=sys.stderr,
            )
            return 0
        status = index.status()
        synced = "never"
        if status.synced_at is not None:
            when = dt.datetime.fromtimestamp(status.synced_at, dt.UTC)
            synced = f"{when:%Y-%m-%d %H:%M:%S} UTC ({age_text(status.age)})"
        rows = [
            ("profile", name),
            ("store", status.base_url or resolved.profile.base_url),
            ("customers", f"{status.count:,}"),
            ("synced", synced),
            ("newest", status.watermark or "-"),
            ("file", f"{status.path} ({status.size / 1e6:.1f} MB)"),
        ]
        for key, value in rows:
            print(f"{key:<10} {printable(value)}")
        return 0
    finally:
        index.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {
        "profile": cmd_profile,
        "login": cmd_login,
        "export": cmd_export,
        "import": cmd_import,
        "index": cmd_index,
    }
    if args.command == "sandbox":
        return run_sandbox(args)
    if args.command in commands:
        from flowtui.api.errors import ApiError
        from flowtui.config.profiles import ConfigError
        from flowtui.config.secrets import SecretsError

        try:
            return commands[args.command](args)
        except (CommandError, ApiError, ConfigError, SecretsError) as exc:
            print(f"flowtui: {_fail_text(exc, getattr(args, 'target', None))}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("flowtui: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            return 0
        except OSError as exc:  # e.g. the disk filled up while writing an export
            print(f"flowtui: {exc}", file=sys.stderr)
            return 1
    if args.reset and not args.demo:
        parser.error("--reset goes with --demo")
    return run_app(args)


def run_app(args: argparse.Namespace) -> int:
    """Open the Textual app (with an embedded demo sandbox for --demo)."""
    from flowtui.config.profiles import ConfigError, ProfileStore
    from flowtui.config.resolve import resolve

    profiles = ProfileStore()
    embedded = None
    resolved = None
    startup_error = None
    if args.demo:
        from flowtui.ops.demo import DEMO_CUSTOMERS, EmbeddedSandbox

        embedded = EmbeddedSandbox(
            reset=args.reset,
            customers=DEMO_CUSTOMERS if args.demo_customers is None else args.demo_customers,
        )
        try:
            resolved = embedded.start(profiles)
        except Exception as exc:
            embedded.stop()
            print(f"flowtui: the demo sandbox could not start: {exc}", file=sys.stderr)
            return 1
    else:
        try:
            resolved = resolve(args.app_profile)
        except ConfigError as exc:
            # No profile yet (or a broken config file): the login screen explains.
            startup_error = str(exc) if args.app_profile or profiles.path.exists() else None
    # Imported after the demo sandbox's child process started: it boots while Textual imports.
    from flowtui.ui.app import FlowApp

    try:
        FlowApp(profiles, resolved=resolved, startup_error=startup_error).run()
    finally:
        if embedded is not None:
            if embedded.proc is not None and embedded.proc.poll() not in (None, 0):
                print(f"flowtui: the demo sandbox stopped: {embedded.complaint()}", file=sys.stderr)
            embedded.stop()
    return 0
