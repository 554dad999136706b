"""``flowtui profile add / list / show / remove / default``: the stores flowtui talks to.

A profile's secret is asked without echo (or read from standard input) and kept in the
credentials file or the OS keyring; nothing here ever prints it.
"""

from __future__ import annotations

import argparse
import os
import sys

from flowtui.cli.common import (
    CommandError,
    ExamplesFormatter,
    _positive,
    fail_text,
    reported,
    run_async,
    when,
)

PROFILE_HELP = """\
Profiles name the stores flowtui talks to: a base URL (EU West, US East or any URL), a client
id, whether the profile is read-only, a rate limit and an accent colour. They live in
config.toml in the config directory; secrets live apart, in a 0600 credentials file in the
data directory or in the OS keyring. EPCC_API_BASE_URL, EPCC_CLIENT_ID and EPCC_CLIENT_SECRET
(as epcc-cli uses them) override a profile; FLOWTUI_PROFILE picks one.
"""

PROFILE_ADD_EXAMPLES = """examples:
  flowtui profile add shop --region us-east --client-id XXXX     asks for the secret
  echo "$SECRET" | flowtui profile add ci --client-id XXXX --secret-stdin --default
  flowtui profile add local --url http://127.0.0.1:8710 --client-id demo
  flowtui profile add browse --client-id XXXX --read-only       no secret needed
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flowtui profile ACTION``: each action's parser names its own handler."""
    prof = sub.add_parser(
        "profile",
        help="manage store profiles (base URL, client id, secret)",
        description=PROFILE_HELP,
    )
    psub = prof.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    _add_add(psub)
    ls = psub.add_parser(
        "list",
        help="list profiles",
        description="List the profiles, one a line: * marks the default; then the region, "
        "base URL, client id and whether it is read-only.",
    )
    ls.set_defaults(handler=reported(list_profiles))
    show = psub.add_parser(
        "show",
        help="show one profile (never its secret)",
        description="Show every setting of one profile, where its secret is kept (never "
        "the secret) and whether a token is cached, with its expiry.",
    )
    show.add_argument("name", nargs="?", help="profile (default: the default profile)")
    show.set_defaults(handler=reported(show_profile))
    rm = psub.add_parser(
        "remove",
        help="remove a profile and its stored secret and token",
        description="Remove a profile from config.toml, and its secret and cached token "
        "from the credentials file or keyring.",
    )
    rm.add_argument("name", help="the profile to remove")
    rm.set_defaults(handler=reported(remove_profile))
    use = psub.add_parser(
        "default",
        help="make a profile the default",
        description="Make a profile the one flowtui uses when none is named (with --profile "
        "or FLOWTUI_PROFILE).",
    )
    use.add_argument("name", help="the profile flowtui uses when none is named")
    use.set_defaults(handler=reported(default_profile))


def _add_add(psub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``flowtui profile add NAME [options]``."""
    add = psub.add_parser(
        "add",
        epilog=PROFILE_ADD_EXAMPLES,
        formatter_class=ExamplesFormatter,
        help="add or replace a profile (asks for the client secret without echo)",
        description="Add or replace a profile. The client secret is asked without echo (or "
        "read from the first line of standard input with --secret-stdin) and stored in the "
        "credentials file (mode 0600) or the OS keyring, never in the config file. The "
        "credentials are tried before anything is saved, unless --no-check.",
    )
    add.set_defaults(handler=reported(add_profile))
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


# -- the actions -------------------------------------------------------------------------------


def list_profiles(args: argparse.Namespace) -> int:
    """One line a profile; ``*`` marks the default. Nothing yet: a hint on stderr, exit 0.

    A profile whose values are invalid is listed as such, with its problem (and how to
    repair it) on stderr and exit 1: the others stay visible."""
    from flowtui.config.profiles import ConfigError, Profile, ProfileStore
    from flowtui.core.textsafe import printable

    store = ProfileStore()
    names = store.names()
    if not names:
        print("No profiles yet: add one with `flowtui profile add NAME`.", file=sys.stderr)
        return 0
    default = store.default_name()
    profiles: list[Profile | str] = []
    problems: list[str] = []
    for name in names:
        try:
            profiles.append(store.get(name))
        except ConfigError as exc:
            profiles.append(printable(name))  # a hand-written name may hold anything
            problems.append(str(exc))
    width = max(len(p if isinstance(p, str) else p.name) for p in profiles)
    for p in profiles:
        if isinstance(p, str):
            mark = "*" if p == default else " "  # (a default with escapes is no valid name)
            print(f"{mark} {p:<{width}}  invalid  (see the message below)")
            continue
        mark = "*" if p.name == default else " "
        flags = " read-only" if p.read_only else ""
        print(
            f"{mark} {p.name:<{width}}  {p.region_name():<8} {p.base_url}  "
            f"client_id={p.client_id}{flags}"
        )
    for problem in problems:
        print(f"flowtui: {problem}", file=sys.stderr)
    return 1 if problems else 0


def show_profile(args: argparse.Namespace) -> int:
    """Every setting of one profile, where its secret is kept (never the secret) and the
    cached token's kind and expiry."""
    from flowtui.config.profiles import ProfileStore
    from flowtui.config.secrets import secret_store

    store = ProfileStore()
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
        ("token", f"cached, {token.kind}, expires {when(token.expires)}" if token else "none"),
    ]
    for key, value in rows:
        print(f"{key:<11} {value}")
    return 0


def remove_profile(args: argparse.Namespace) -> int:
    """Forget a profile, its secret and its cached token; a profile whose values are invalid
    (which every other command refuses) can be removed too."""
    from flowtui.config.profiles import ProfileStore
    from flowtui.config.secrets import FileSecrets, KeyringSecrets

    store = ProfileStore()
    table = store.table(args.name)
    # The secret store is checked before anything changes: a profile is never left behind
    # with its secret gone, nor a secret without its profile, because one file is unusable.
    secrets: FileSecrets | KeyringSecrets
    if table.get("secret_backend") == "keyring":
        secrets = KeyringSecrets()
    else:
        secrets = FileSecrets()
        secrets.check()
    store.remove(args.name)
    secrets.delete(args.name)
    print(f"Removed profile {args.name!r} and its stored secret.")
    return 0


def default_profile(args: argparse.Namespace) -> int:
    """Make a profile the one used when none is named."""
    from flowtui.config.profiles import ProfileStore

    store = ProfileStore()
    store.get(args.name)
    store.set_default(args.name)
    print(f"Default profile: {args.name}")
    return 0


def _ask_secret(args: argparse.Namespace) -> str:
    """The client secret: the first line of stdin with --secret-stdin, else asked without
    echo on the terminal."""
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


def add_profile(args: argparse.Namespace) -> int:
    """Check the input, ask the secret, try the credentials (unless --no-check), then store
    the secret and save the profile: nothing is saved when any step fails."""
    from flowtui.config.profiles import (
        REGIONS,
        Profile,
        ProfileStore,
        validate_base_url,
        validate_name,
        validate_profile,
    )
    from flowtui.config.secrets import CachedToken, secret_store
    from flowtui.core.urls import without_api_version

    store = ProfileStore()
    problem = validate_name(args.name)
    if problem:
        raise CommandError(f"profile name: {problem}")
    base = without_api_version(args.url or REGIONS[args.region or "eu-west"])
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
    token: CachedToken | None = None
    if not args.no_check:
        from flowtui.api.auth import MemoryTokenCache
        from flowtui.api.service import ApiService

        async def check() -> CachedToken | None:
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
            token = run_async(check())
        except Exception as exc:
            raise CommandError(f"not saved: {fail_text(exc, profile)}") from None
    secrets = secret_store(profile)
    store.names()  # a config file flowtui cannot change is refused before the secret is stored
    # Secrets first: if they cannot be stored, the profile is not saved either. A replaced
    # profile's old secret and cached token belong to other credentials: forget them. Each
    # file's read-modify-write holds its lock, so concurrent adds lose nothing; a replaced
    # profile whose old values were invalid is repaired.
    secrets.replace(profile.name, secret, token)
    made_default = store.save(profile, default="always" if args.default else "first")
    print(
        f"Saved profile {profile.name!r} ({profile.region_name()}, {profile.base_url})"
        + (" as the default" if made_default else "")
        + "."
    )
    return 0
