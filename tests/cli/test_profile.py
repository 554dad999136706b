"""``flowtui profile add / list / show / default / remove`` and the rules they keep, against a
real sandbox (:mod:`flowtui.cli.profile`). Fixtures and helpers: ``tests/cli/conftest.py``."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import (
    EXPIRY,
    MARKER,
    add,
    assert_no_marker_anywhere,
    config_dir,
    config_doc,
    credentials_doc,
    data_dir,
    dead_url,
    token_rows,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET

# -- profile add ---------------------------------------------------------------------------


def test_add_saves_profile_and_keeps_secret_only_in_0600_credentials(
    cli, marker_store, printed, tmp_path
):
    url, _app = marker_store
    run = add(cli, "shop", url, MARKER)
    assert run.code == 0, run.err
    assert "Saved profile 'shop'" in run.out and "as the default" in run.out

    doc = config_doc()
    assert doc["default_profile"] == "shop"
    assert doc["profiles"]["shop"]["base_url"] == url
    assert doc["profiles"]["shop"]["client_id"] == CLIENT_ID
    assert MARKER not in (config_dir() / "config.toml").read_text()

    cred_path = data_dir() / "credentials.toml"
    assert stat.S_IMODE(cred_path.stat().st_mode) == 0o600
    creds = credentials_doc()["profiles"]["shop"]
    assert creds["client_secret"] == MARKER
    # The check's token is cached, so the next command does not log in again.
    assert creds["token"]["kind"] == "client_credentials"

    # Every other command with this profile keeps the secret to itself.
    assert cli("profile", "list").code == 0
    assert cli("profile", "show", "shop").code == 0
    assert cli("login", "--check", "shop").code == 0
    assert cli("export", "customers", "--format", "csv").code == 0
    assert_no_marker_anywhere(printed, tmp_path)


def test_a_second_profile_is_not_made_default_unless_asked(cli, serve):
    url, _ = serve()
    assert add(cli, "one", url).code == 0
    run = add(cli, "two", url)
    assert run.code == 0 and "as the default" not in run.out
    assert config_doc()["default_profile"] == "one"
    run = add(cli, "three", url, CLIENT_SECRET, "--default")
    assert run.code == 0 and "as the default" in run.out
    assert config_doc()["default_profile"] == "three"


def test_add_drops_a_v2_pasted_from_the_api_docs(cli, serve):
    """Issue 16: ``…/v2`` was saved as it was and every login was refused."""
    url, _ = serve()
    run = add(cli, "docs", f"{url}/v2/")
    assert run.code == 0, run.err
    assert config_doc()["profiles"]["docs"]["base_url"] == url


def test_wrong_secret_is_refused_and_nothing_is_saved(cli, serve, printed, tmp_path):
    url, _ = serve()  # accepts CLIENT_SECRET, so the marker is the wrong secret
    run = add(cli, "shop", url, MARKER)
    assert run.code == 1
    assert run.out == ""
    errors = [line for line in run.err_lines if line.startswith("flowtui:")]
    assert len(errors) == 1
    assert errors[0].startswith("flowtui: not saved: The sandbox at ")
    assert "refused client id" in errors[0]
    assert run.err_lines[-1] == errors[0]
    assert not (config_dir() / "config.toml").exists()
    assert "shop" not in credentials_doc().get("profiles", {})
    for text in printed:
        assert MARKER not in text
    assert not any(MARKER.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())


def test_wrong_client_id_is_refused(cli, serve):
    url, _ = serve()
    run = cli(
        "profile", "add", "shop", "--url", url, "--client-id", "not-the-id", "--secret-stdin",
        stdin=CLIENT_SECRET + "\n",
    )  # fmt: skip
    assert run.code == 1
    assert "not saved" in run.err_lines[-1]
    assert config_doc() == {}


def test_unreachable_store_is_refused_with_one_line(cli):
    run = add(cli, "shop", dead_url())
    assert run.code == 1
    assert run.err_lines[-1].startswith("flowtui: not saved: Cannot reach http://127.0.0.1:")
    assert config_doc() == {}
    assert credentials_doc() == {}


def test_no_check_saves_without_contacting_the_store(cli, serve):
    url, app = serve()
    run = add(cli, "shop", url, MARKER, "--no-check")
    assert run.code == 0, run.err
    assert "Checking" not in run.err
    assert token_rows(app) == 0  # the store never issued a token
    assert config_doc()["profiles"]["shop"]["base_url"] == url
    creds = credentials_doc()["profiles"]["shop"]
    assert creds == {"client_secret": MARKER}

    # Even a store nobody listens on: with --no-check it is saved all the same.
    run = add(cli, "gone", dead_url(), MARKER, "--no-check")
    assert run.code == 0, run.err
    assert "gone" in config_doc()["profiles"]


def test_read_only_needs_no_secret_and_logs_in_implicitly(cli, serve):
    url, app = serve()
    run = cli("profile", "add", "ro", "--url", url, "--client-id", CLIENT_ID, "--read-only")
    assert run.code == 0, run.err
    assert config_doc()["profiles"]["ro"]["read_only"] is True
    assert "client_secret" not in credentials_doc().get("profiles", {}).get("ro", {})

    show = cli("profile", "show", "ro")
    assert re.search(r"^secret\s+not needed \(read-only\)$", show.out, re.M)

    run = cli("login", "--check", "ro")
    assert run.code == 0, run.err
    assert "implicit token" in run.out
    assert EXPIRY.search(run.out)
    kinds = {r["kind"] for r in app.state.store._all("SELECT kind FROM tokens")}
    assert kinds == {"implicit"}


def test_replacing_a_profile_forgets_the_old_token_and_secret(cli, serve):
    url, _ = serve()
    assert add(cli, "shop", url).code == 0
    assert "token" in credentials_doc()["profiles"]["shop"]
    # Same name, another store, not checked: the old store's token must not be reused.
    elsewhere = dead_url()
    run = add(cli, "shop", elsewhere, MARKER, "--no-check")
    assert run.code == 0, run.err
    assert credentials_doc()["profiles"]["shop"] == {"client_secret": MARKER}
    assert re.search(r"^token\s+none$", cli("profile", "show", "shop").out, re.M)

    # Turned read-only: the secret it no longer needs is not kept.
    run = cli("profile", "add", "shop", "--url", url, "--client-id", CLIENT_ID, "--read-only")
    assert run.code == 0, run.err
    assert "client_secret" not in credentials_doc().get("profiles", {}).get("shop", {})


def test_profile_is_not_saved_when_its_secret_cannot_be_stored(cli, serve):
    url, _ = serve()
    creds = data_dir() / "credentials.toml"
    creds.parent.mkdir(parents=True, exist_ok=True)
    creds.write_text("")
    creds.chmod(0o644)  # refused: others could read it
    run = add(cli, "shop", url)
    assert run.code == 1
    assert "chmod 600" in run.err_lines[-1]
    assert config_doc() == {}


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["bad name!", "--url", "http://127.0.0.1:1", "--client-id", "x"], "s\n", "profile name"),
        (["shop", "--url", "ftp://example.test", "--client-id", "x"], "s\n", "base URL"),
        (["shop", "--url", "http://127.0.0.1:1"], "s\n", "--client-id"),
        (["shop", "--url", "http://127.0.0.1:1", "--client-id", "x"], "\n", "secret is empty"),
        (["shop", "--url", "http://127.0.0.1:1", "--client-id", "x", "--accent", "no way"], "s\n",
         "accent"),
    ],
)  # fmt: skip
def test_add_refuses_bad_input_with_one_line(cli, argv, stdin, message):
    run = cli("profile", "add", *argv, "--secret-stdin", stdin=stdin)
    assert run.code == 1
    assert len(run.err_lines) == 1 and run.err.startswith("flowtui: ")
    assert message in run.err
    assert config_doc() == {}
    assert credentials_doc() == {}


def test_add_without_terminal_or_secret_stdin_says_how(cli):
    run = cli("profile", "add", "shop", "--url", "http://127.0.0.1:1", "--client-id", "x")
    assert run.code == 1
    assert "--secret-stdin" in run.err and len(run.err_lines) == 1


# -- list, show, default, remove -------------------------------------------------------------


def test_list_show_default_and_remove(cli, serve, printed):
    url, _ = serve()
    assert cli("profile", "list").err.startswith("No profiles yet")
    assert add(cli, "alpha", url).code == 0
    assert add(cli, "beta", url, CLIENT_SECRET, "--accent", "#ff8800").code == 0

    listing = cli("profile", "list")
    assert listing.code == 0
    lines = listing.out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("* alpha") and lines[1].startswith("  beta")
    assert all("sandbox" in line and url in line and CLIENT_ID in line for line in lines)

    show = cli("profile", "show", "beta")
    assert show.code == 0
    rows = dict(line.split(None, 1) for line in show.out.splitlines())
    assert rows["name"] == "beta"
    assert rows["base_url"] == url
    assert rows["accent"] == "#ff8800"
    assert rows["rate_limit"] == "1000 requests/s"
    assert rows["secret"] == "stored in the credentials file"
    assert rows["token"].startswith("cached, client_credentials, expires ")
    assert cli("profile", "show").out.startswith("name        alpha (default)")

    run = cli("profile", "default", "beta")
    assert run.code == 0 and "beta" in run.out
    assert cli("profile", "list").out.startswith("  alpha")
    assert config_doc()["default_profile"] == "beta"

    run = cli("profile", "remove", "beta")
    assert run.code == 0 and "beta" in run.out
    assert "beta" not in config_doc()["profiles"]
    assert "default_profile" not in config_doc()
    assert "beta" not in credentials_doc()["profiles"]  # secret and token gone too
    assert "alpha" in credentials_doc()["profiles"]
    assert cli("profile", "list").out.splitlines() == [
        line.replace("* alpha", "  alpha") for line in lines[:1]
    ]
    run = cli("profile", "show")
    assert run.code == 1 and "no default profile" in run.err

    for text in printed:
        assert CLIENT_SECRET not in text


@pytest.mark.parametrize(
    "argv",
    [
        ["profile", "show", "nope"],
        ["profile", "remove", "nope"],
        ["profile", "default", "nope"],
        ["login", "--check", "nope"],
        ["export", "customers", "--profile", "nope"],
    ],
)
def test_unknown_profile_is_one_clear_line(cli, serve, argv):
    url, _ = serve()
    assert add(cli, "shop", url).code == 0
    run = cli(*argv)
    assert run.code == 1
    assert run.out == ""
    assert len(run.err_lines) == 1
    assert run.err.startswith("flowtui: ") and "'nope'" in run.err and "shop" in run.err


@pytest.mark.parametrize("argv", [["login", "--check"], ["export", "customers"]])
def test_no_profile_at_all_says_how_to_add_one(cli, argv):
    run = cli(*argv)
    assert run.code == 1
    assert run.out == ""
    assert len(run.err_lines) == 1
    assert run.err.startswith("flowtui: No profile yet")
    assert "flowtui profile add" in run.err


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_secret_is_asked_on_the_terminal_without_echo(marker_store):
    """``flowtui profile add`` on a terminal: the typed secret is never echoed back."""
    import pty
    import select
    import subprocess
    import time

    url, _ = marker_store
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flowtui", "profile", "add", "shop", "--url", url,
         "--client-id", CLIENT_ID],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True,  # no /dev/tty
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 20
        while b"Client secret" not in seen and time.monotonic() < deadline:
            seen += os.read(master, 1024)
        assert b"(not shown)" in seen
        time.sleep(0.2)  # let getpass turn echo off before typing
        os.write(master, MARKER.encode() + b"\n")
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 0.1)[0]:
                continue
            try:
                chunk = os.read(master, 1024)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 0, seen
    assert b"Saved profile 'shop'" in seen
    assert MARKER.encode() not in seen
    assert credentials_doc()["profiles"]["shop"]["client_secret"] == MARKER


# -- issue 15: hostile config files, dead-end advice, comments, concurrent writers -------------

DEEP_VALUE = "x = " + "[" * 100_000 + "]" * 100_000 + "\n"

EVERY_COMMAND = [
    ["profile", "list"],
    ["profile", "show"],
    ["profile", "show", "shop"],
    ["profile", "default", "shop"],
    ["profile", "remove", "shop"],
    ["profile", "add", "new", "--url", "http://127.0.0.1:1", "--client-id", "c", "--no-check",
     "--secret-stdin"],
    ["login", "--check"],
    ["login", "--check", "shop"],
    ["export", "customers"],
    ["export", "customers", "--profile", "shop"],
    ["import", "customers", "rows.csv", "--dry-run"],
    ["index", "sync"],
    ["index", "status"],
    ["index", "search", "name:ada"],
]  # fmt: skip


NO_SECRETS = (["profile", "list"], ["profile", "default"], ["index", "status"])


@pytest.mark.parametrize("which", ["config.toml", "credentials.toml"])
def test_a_deeply_nested_file_is_one_named_sentence_from_every_command(
    cli, serve, tmp_path, monkeypatch, which
):
    url, _ = serve()
    assert add(cli, "shop", url).code == 0
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.csv").write_text("email,name\nada@example.com,Ada\n")
    path = (config_dir() if which == "config.toml" else data_dir()) / which
    content = path.read_text() + DEEP_VALUE
    path.write_text(content)
    for argv in EVERY_COMMAND:
        run = cli(*argv, stdin="secret\n")  # the fixture asserts: no traceback
        if which == "credentials.toml" and argv[:2] in NO_SECRETS:
            continue  # they never read secrets
        assert run.code == (2 if argv[0] == "import" else 1), argv
        assert len(run.err_lines) == 1, (argv, run.err)
        assert run.err.startswith(f"flowtui: {path} nests ") and "(line " in run.err, argv
        assert "RecursionError" not in run.err
    assert path.read_text() == content


def test_an_invalid_profile_can_be_repaired_with_the_command_its_advice_names(cli, serve):
    url, _ = serve()
    assert add(cli, "shop", url).code == 0
    assert add(cli, "spare", url).code == 0
    path = config_dir() / "config.toml"
    path.write_text(path.read_text().replace("rate_limit = 1000.0", 'rate_limit = "fast"', 1))

    for argv in (["profile", "show", "shop"], ["login", "--check"], ["export", "customers"]):
        run = cli(*argv)
        assert run.code == 1 and len(run.err_lines) == 1
        assert "rate_limit" in run.err
        assert "`flowtui profile add shop --client-id ID` (plus --region or --url)" in run.err
        assert "`flowtui profile remove shop`" in run.err
    listing = cli("profile", "list")  # the others stay visible; the broken one is named
    assert listing.code == 1
    assert listing.out.splitlines()[0].startswith("* shop") and "invalid" in listing.out
    assert "spare" in listing.out and "rate_limit" in listing.err

    run = add(cli, "shop", url)  # the advice leads somewhere
    assert run.code == 0, run.err
    assert "Saved profile 'shop'" in run.out
    assert cli("login", "--check").code == 0
    assert cli("profile", "list").code == 0
    assert config_doc()["default_profile"] == "shop"


def test_an_invalid_profile_can_be_removed_with_its_secret(cli, serve):
    url, _ = serve()
    assert add(cli, "shop", url).code == 0
    assert add(cli, "spare", url).code == 0
    path = config_dir() / "config.toml"
    text = path.read_text().replace(f'base_url = "{url}"', "base_url = 42", 1)
    path.write_text(text + '\n[profiles."bad name"]\nbase_url = "eu-west"\nclient_id = "c"\n')
    assert "shop" in credentials_doc()["profiles"]

    run = cli("profile", "show", "bad name")
    assert "`flowtui profile remove 'bad name'`" in run.err
    assert cli("profile", "remove", "bad name").code == 0
    run = cli("profile", "remove", "shop")
    assert run.code == 0, run.err
    assert "Removed profile 'shop'" in run.out
    assert sorted(config_doc()["profiles"]) == ["spare"]
    assert "default_profile" not in config_doc()
    assert sorted(credentials_doc()["profiles"]) == ["spare"]  # its secret went too
    assert cli("profile", "list").code == 0


def test_profile_commands_keep_the_users_comments(cli, serve):
    url, _ = serve()
    path = config_dir() / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    notes = (
        "# Ana's flowtui set-up. Live store: ask before writing!\n"
        "\n"
        "[settings]\n"
        "# keys I changed\n"
        "keymap = { customers_new = 'n' }  # muscle memory\n"
    )
    path.write_text(notes)
    assert add(cli, "shop", url).code == 0
    assert add(cli, "spare", url).code == 0
    assert cli("profile", "default", "spare").code == 0
    text = path.read_text()
    path.write_text(text.replace("[profiles.shop]", "[profiles.shop]  # the live one"))
    assert add(cli, "shop", url, CLIENT_SECRET, "--accent", "red").code == 0
    assert cli("profile", "remove", "spare").code == 0
    text = path.read_text()
    assert text.startswith(notes)
    assert "[profiles.shop]  # the live one\n" in text
    assert config_doc()["profiles"]["shop"]["accent"] == "red"


@pytest.mark.slow
def test_twenty_concurrent_profile_adds_keep_twenty_profiles_and_twenty_secrets(serve, tmp_path):
    """Real processes: each `flowtui profile add` reads, changes and writes both files."""
    import subprocess

    url, _ = serve()
    root = Path(__file__).resolve().parents[2]
    procs = []
    for index in range(20):
        name = f"p{index:02d}"
        # Half of them try their credentials first (and cache a token), half do not.
        checked = index % 2 == 0
        argv = [sys.executable, "-m", "flowtui", "profile", "add", name, "--url", url,
                "--client-id", CLIENT_ID, "--secret-stdin", "--rate-limit", "1000"]  # fmt: skip
        if not checked:
            argv.append("--no-check")
        secret = CLIENT_SECRET if checked else f"secret-of-{name}"
        stdin = tmp_path / f"{name}.stdin"
        stdin.write_text(secret + "\n")
        with stdin.open() as handle:
            proc = subprocess.Popen(
                argv, stdin=handle, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                cwd=root,
            )  # fmt: skip
        procs.append((name, secret, checked, proc))
    for name, _secret, _checked, proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert f"Saved profile '{name}'" in out and "Traceback" not in err

    names = [name for name, *_ in procs]
    profiles = config_doc()["profiles"]
    assert sorted(profiles) == names
    assert config_doc()["default_profile"] in names
    credentials = credentials_doc()["profiles"]
    assert sorted(credentials) == names
    for name, secret, checked, _proc in procs:
        assert credentials[name]["client_secret"] == secret
        assert ("token" in credentials[name]) is checked
    assert stat.S_IMODE((data_dir() / "credentials.toml").stat().st_mode) == 0o600


def test_a_hostile_hand_written_profile_name_is_shown_escaped_and_can_be_removed(cli, serve):
    url, _ = serve()
    assert add(cli, "shop", url).code == 0
    path = config_dir() / "config.toml"
    hostile = "\x1b]0;pwned\x07\u202eevil"
    with path.open("a") as handle:
        handle.write('\n[profiles."\\u001b]0;pwned\\u0007\\u202eevil"]\nbase_url = "eu-west"\n')
    listing = cli("profile", "list")
    assert listing.code == 1
    for text in (listing.out, listing.err):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]0;pwned\\x07" in listing.out and "shop" in listing.out
    assert "flowtui profile remove" in listing.err
    run = cli("profile", "remove", hostile)  # as a shell would pass it: removed
    assert "\x1b" not in run.out
    assert run.code == 0, run.err
    assert sorted(config_doc()["profiles"]) == ["shop"]
