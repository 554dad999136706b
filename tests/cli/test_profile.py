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
