"""``flowtui login --check`` against a real sandbox, and the EPCC_* environment variables
that stand in for a profile (:mod:`flowtui.cli.login`)."""

from __future__ import annotations

import argparse

import tomlkit

from flowtui.cli import build_parser
from tests.cli.conftest import (
    EXPIRY,
    MARKER,
    add,
    config_dir,
    config_doc,
    credentials_doc,
    data_dir,
    dead_url,
    token_rows,
)
from tests.conftest import CLIENT_ID, CLIENT_SECRET

# -- login --check ---------------------------------------------------------------------------


def test_login_check_reports_kind_and_expiry_never_the_token(cli, serve, printed):
    url, app = serve()
    assert add(cli, "shop", url, CLIENT_SECRET, "--no-check").code == 0
    assert token_rows(app) == 0

    run = cli("login", "--check", "shop")
    assert run.code == 0, run.err
    assert run.err == ""
    assert f"Logged in to {url} (flowtui sandbox) as 'shop'" in run.out
    assert "client_credentials token" in run.out
    assert EXPIRY.search(run.out), run.out
    assert token_rows(app) == 1
    cached = credentials_doc()["profiles"]["shop"]["token"]["access_token"]
    assert app.state.store.get_token(cached) is not None  # the cached one is the real one

    # A second check reuses the cached token: the store issues no new one.
    again = cli("login", "--check", "shop")
    assert again.code == 0, again.err
    assert "client_credentials token" in again.out
    assert "(flowtui sandbox)" in again.out
    assert token_rows(app) == 1
    assert credentials_doc()["profiles"]["shop"]["token"]["access_token"] == cached

    # The default profile is checked when no name is given.
    assert "as 'shop'" in cli("login", "--check").out
    for text in printed:
        assert cached not in text
        assert CLIENT_SECRET not in text


def test_login_alone_checks_the_default_profile(cli, serve):
    """Issue 16: ``flowtui login`` alone was a usage error (it needed ``--check``)."""
    url, _app = serve()
    assert add(cli, "shop", url, CLIENT_SECRET, "--no-check").code == 0
    run = cli("login")
    assert run.code == 0, run.err
    assert f"Logged in to {url} (flowtui sandbox) as 'shop'" in run.out


def test_login_and_import_help_show_examples():
    commands = {
        name: parser
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, parser in action.choices.items()
    }
    assert "flowtui login                  the default profile" in commands["login"].format_help()
    shown = commands["import"].format_help()
    assert "examples:" in shown and "flowtui import customers customers.csv --dry-run" in shown


def test_login_check_with_a_cached_token_still_reaches_the_store(cli, serve):
    url, _ = serve()
    assert add(cli, "shop", url).code == 0  # caches a token
    table = config_doc()
    table["profiles"]["shop"]["base_url"] = dead_url()
    (config_dir() / "config.toml").write_text(tomlkit.dumps(table))
    run = cli("login", "--check", "shop")
    assert run.code == 1
    assert run.out == ""
    assert len(run.err_lines) == 1 and "Cannot reach http://127.0.0.1:" in run.err


def test_login_check_renews_a_token_the_store_no_longer_knows(cli, serve):
    url, app = serve()
    assert add(cli, "shop", url).code == 0
    app.state.store.db.execute("DELETE FROM tokens")
    run = cli("login", "--check", "shop")
    assert run.code == 0, run.err
    assert token_rows(app) == 1
    fresh = credentials_doc()["profiles"]["shop"]["token"]["access_token"]
    assert app.state.store.get_token(fresh) is not None


def test_login_check_with_a_secret_that_stopped_working(cli, serve):
    url, _ = serve()
    assert add(cli, "shop", url, MARKER, "--no-check").code == 0
    run = cli("login", "--check", "shop")
    assert run.code == 1
    assert len(run.err_lines) == 1
    assert run.err.startswith("flowtui: The sandbox at ") and "refused client id" in run.err
    assert MARKER not in run.err


def test_environment_variables_work_without_any_profile(cli, serve, monkeypatch):
    url, app = serve()
    monkeypatch.setenv("EPCC_API_BASE_URL", url)
    monkeypatch.setenv("EPCC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("EPCC_CLIENT_SECRET", CLIENT_SECRET)
    run = cli("login", "--check")
    assert run.code == 0, run.err
    assert f"Logged in to {url} (flowtui sandbox) as 'env'" in run.out
    assert "client_credentials token" in run.out
    assert token_rows(app) == 1
    # Environment credentials are never written anywhere.
    assert not (config_dir() / "config.toml").exists()
    assert not (data_dir() / "credentials.toml").exists()
    assert CLIENT_SECRET not in run.out + run.err

    monkeypatch.setenv("EPCC_CLIENT_SECRET", "wrong-" + MARKER)
    run = cli("login", "--check")
    assert run.code == 1
    assert run.err.startswith("flowtui: The sandbox at ") and "refused client id" in run.err
    assert MARKER not in run.err


def test_environment_overrides_a_stored_profile(cli, serve, monkeypatch):
    url, _ = serve()
    other_url, other = serve(client_id="other-id", client_secret="other-secret")
    assert add(cli, "shop", url).code == 0
    monkeypatch.setenv("EPCC_API_BASE_URL", other_url)
    monkeypatch.setenv("EPCC_CLIENT_ID", "other-id")
    monkeypatch.setenv("EPCC_CLIENT_SECRET", "other-secret")
    run = cli("login", "--check", "shop")
    assert run.code == 0, run.err
    assert f"Logged in to {other_url}" in run.out
    assert token_rows(other) == 1
