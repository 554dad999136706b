"""TLS: verified by default, a custom CA bundle, verification off only by the profile's own
flag. The sandbox serves HTTPS with a certificate from a private CA made by ``openssl`` for
this run (tests/tls.py); the services are built as the app and the CLI build them
(:func:`service_for`), with no transport swapped in."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from flowtui.api.errors import NetworkError
from flowtui.config.profiles import Profile
from flowtui.config.resolve import Resolved
from flowtui.ops.connect import service_for
from flowtui.sandbox.server import BackgroundServer
from tests.conftest import CLIENT_ID, CLIENT_SECRET, make_sandbox
from tests.tls import Certs, make_certs


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_url(certs) -> Iterator[str]:
    app = make_sandbox()
    server = BackgroundServer(app, tls=(str(certs.cert), str(certs.key))).start()
    try:
        yield server.url
    finally:
        server.stop()
        app.state.store.close()


def resolved(url: str, **settings) -> Resolved:
    profile = Profile(name="tls", base_url=url, client_id=CLIENT_ID, **settings)
    return Resolved(profile=profile, secret=CLIENT_SECRET, source="environment")


async def test_verification_is_on_by_default_and_fails_in_one_sentence(https_url):
    assert https_url.startswith("https://127.0.0.1:")
    assert Profile(name="x", base_url=https_url, client_id="c").verify_tls is True
    started = time.monotonic()
    async with service_for(resolved(https_url)) as service:
        with pytest.raises(NetworkError) as info:
            await service.verify()
    message = str(info.value)
    assert message.startswith(f"The TLS certificate of {https_url} failed verification (")
    assert "ca_bundle" in message and "\n" not in message
    assert message.count(". ") == 0, "one sentence"
    assert "Traceback" not in message and "_ssl.c" not in message
    # A certificate that failed once fails again: not retried with backoff.
    assert time.monotonic() - started < 2


async def test_a_ca_bundle_makes_the_private_ca_trusted(https_url, certs):
    async with service_for(resolved(https_url, ca_bundle=str(certs.ca))) as service:
        flows = await service.list_flows()
        assert flows == [] and service.is_sandbox


async def test_verify_tls_false_connects_without_checking(https_url):
    async with service_for(resolved(https_url, verify_tls=False)) as service:
        assert await service.list_flows() == []


async def test_an_unusable_ca_bundle_is_one_clear_sentence(https_url, tmp_path):
    missing = tmp_path / "nowhere.pem"
    async with service_for(resolved(https_url, ca_bundle=str(missing))) as service:
        with pytest.raises(NetworkError) as info:
            await service.list_flows()
    assert str(info.value).startswith(f"Cannot use the CA bundle {missing}: ")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    async with service_for(resolved(https_url, ca_bundle=str(garbage))) as service:
        with pytest.raises(NetworkError) as info:
            await service.list_flows()
    assert str(info.value).startswith(f"Cannot use the CA bundle {garbage}: ")


async def test_a_ca_bundle_that_is_not_the_servers_ca_still_fails(https_url, tmp_path):
    other = make_certs(tmp_path / "other")
    async with service_for(resolved(https_url, ca_bundle=str(other.ca))) as service:
        with pytest.raises(NetworkError, match="failed verification"):
            await service.list_flows()


def test_profile_add_over_https_needs_the_ca_or_an_explicit_flag(https_url, certs, capsys):
    """The command line: a private CA is refused in one sentence, trusted with --ca-bundle,
    or not checked with --no-verify-tls (which warns and is stored in the profile)."""
    import io
    import sys
    import tomllib

    from flowtui.cli import main
    from flowtui.config.paths import config_dir

    def add(name: str, *extra: str) -> tuple[int, str, str]:
        sys.stdin = io.StringIO(CLIENT_SECRET + "\n")
        try:
            argv = ["profile", "add", name, "--url", https_url, "--client-id", CLIENT_ID]
            code = main([*argv, "--secret-stdin", *extra])
        finally:
            sys.stdin = sys.__stdin__
        out, err = capsys.readouterr()
        return code, out, err

    code, _, err = add("plain")
    assert code == 1 and "failed verification" in err and "ca_bundle" in err
    assert len(err.strip().splitlines()) == 2  # "Checking ..." and the one sentence
    code, _, err = add("private", "--ca-bundle", str(certs.ca))
    assert code == 0, err
    code, _, err = add("insecure", "--no-verify-tls")
    assert code == 0, err
    assert "will not be verified for profile 'insecure'" in err
    profiles = tomllib.loads((config_dir() / "config.toml").read_text())["profiles"]
    assert "plain" not in profiles
    assert profiles["private"]["ca_bundle"] == str(certs.ca)
    assert profiles["insecure"]["verify_tls"] is False
    assert main(["login", "--check", "private"]) == 0
    assert main(["login", "--check", "insecure"]) == 0
    capsys.readouterr()
    assert main(["profile", "show", "insecure"]) == 0
    assert "NO (insecure)" in capsys.readouterr().out
