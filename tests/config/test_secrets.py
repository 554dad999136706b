"""Secrets: the 0600 credentials file, the keyring backend, and keeping secrets out of sight."""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import types
from pathlib import Path

import pytest

from flowtui.config import paths
from flowtui.config.profiles import EU_WEST, Profile, ProfileStore
from flowtui.config.secrets import (
    CachedToken,
    FileSecrets,
    KeyringSecrets,
    SecretsError,
    SecretStore,
    secret_store,
)

MARKER = "MARKER-s3cr3t-5f1e9c"
TOKEN_MARKER = "MARKER-t0ken-0a7d2b"


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


def error_text(error: BaseException) -> str:
    """The text of ``error`` and of every exception chained to it."""
    parts = []
    seen: BaseException | None = error
    while seen is not None:
        parts.append(f"{type(seen).__name__}: {seen} {seen.args!r}")
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.fixture
def secrets() -> FileSecrets:
    """The credentials file at its default location (a temporary folder, see conftest)."""
    return FileSecrets()


def test_default_path(secrets: FileSecrets) -> None:
    assert secrets.path == paths.data_dir() / "credentials.toml"


def test_round_trip(secrets: FileSecrets) -> None:
    assert secrets.get_secret("shop") is None
    assert secrets.get_token("shop") is None
    token = CachedToken(access_token=TOKEN_MARKER, expires=1_900_000_000.5, kind="implicit")
    secrets.set_secret("shop", MARKER)
    secrets.set_token("shop", token)
    secrets.set_secret("other", "x")
    again = FileSecrets(secrets.path)
    assert again.get_secret("shop") == MARKER
    assert again.get_token("shop") == token
    assert again.get_token("other") is None
    assert again.get_secret("other") == "x"


def test_reads_create_nothing(secrets: FileSecrets) -> None:
    secrets.get_secret("a")
    secrets.get_token("a")
    secrets.delete("a")
    secrets.set_token("a", None)
    assert not secrets.path.exists()


def test_mode_0600_after_every_write_and_folder_0700(secrets: FileSecrets) -> None:
    token = CachedToken(TOKEN_MARKER, 2e9, "client_credentials")
    writes = [
        lambda: secrets.set_secret("a", MARKER),
        lambda: secrets.set_token("a", token),
        lambda: secrets.set_secret("b", "other"),
        lambda: secrets.set_token("a", None),
        lambda: secrets.delete("b"),
    ]
    for write in writes:
        write()
        assert mode(secrets.path) == 0o600
    assert mode(secrets.path.parent) == 0o700
    # The lock's sidecar (0600 too) stays: unlinking a lock file races with its next holder.
    assert sorted(os.listdir(secrets.path.parent)) == [".credentials.toml.lock", "credentials.toml"]
    assert mode(secrets.path.parent / ".credentials.toml.lock") == 0o600


def test_mode_0600_with_umask_zero(secrets: FileSecrets) -> None:
    old = os.umask(0)
    try:
        secrets.set_secret("a", MARKER)
        assert mode(secrets.path) == 0o600
        assert mode(secrets.path.parent) == 0o700
        secrets.set_token("a", CachedToken(TOKEN_MARKER, 2e9, "implicit"))
        assert mode(secrets.path) == 0o600
    finally:
        os.umask(old)


def test_existing_data_folder_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    store = FileSecrets(folder / "credentials.toml")
    store.set_secret("a", MARKER)
    assert mode(folder) == 0o755
    assert mode(store.path) == 0o600


@pytest.mark.parametrize("bad_mode", [0o644, 0o640, 0o604, 0o620, 0o660])
def test_file_others_can_access_is_refused_unread(secrets: FileSecrets, bad_mode: int) -> None:
    secrets.path.parent.mkdir(parents=True)
    # Garbage content: if it were read, the error would be about TOML, not permissions.
    content = f"this is = not [toml {MARKER}"
    secrets.path.write_text(content)
    secrets.path.chmod(bad_mode)
    expected = f"{secrets.path} is readable by other users; run: chmod 600 {secrets.path}"
    operations = [
        lambda: secrets.get_secret("a"),
        lambda: secrets.get_token("a"),
        lambda: secrets.set_secret("a", "new"),
        lambda: secrets.set_token("a", None),
        lambda: secrets.delete("a"),
    ]
    for operation in operations:
        with pytest.raises(SecretsError) as info:
            operation()
        assert str(info.value) == expected
        assert MARKER not in error_text(info.value)
    assert secrets.path.read_text() == content
    assert mode(secrets.path) == bad_mode


def test_file_is_not_read_when_refused(
    secrets: FileSecrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.set_secret("a", MARKER)
    secrets.path.chmod(0o644)
    opened: list[int] = []
    real_fdopen = os.fdopen
    monkeypatch.setattr(
        os, "fdopen", lambda fd, *a, **k: (opened.append(fd), real_fdopen(fd, *a, **k))[1]
    )
    with pytest.raises(SecretsError, match="chmod 600"):
        secrets.get_secret("a")
    assert opened == []  # refused on fstat, before any content was read
    secrets.path.chmod(0o600)
    assert secrets.get_secret("a") == MARKER
    assert opened  # the same path is taken once the mode is right


def test_corrupt_file_is_named_and_never_overwritten(secrets: FileSecrets) -> None:
    secrets.path.parent.mkdir(parents=True)
    content = f'[profiles.a]\nclient_secret = "{MARKER}\n'
    secrets.path.write_text(content)
    secrets.path.chmod(0o600)
    for operation in (
        lambda: secrets.get_secret("a"),
        lambda: secrets.set_secret("a", "replacement"),
        lambda: secrets.set_token("a", CachedToken("t", 1.0, "implicit")),
        lambda: secrets.delete("a"),
    ):
        with pytest.raises(SecretsError) as info:
            operation()
        text = error_text(info.value)
        assert str(secrets.path) in str(info.value)
        assert "not valid TOML" in str(info.value) and "line 2" in str(info.value)
        assert MARKER not in text
        assert info.value.__cause__ is None and info.value.__context__ is None
    assert secrets.path.read_text() == content


@pytest.mark.parametrize(
    "nested",
    [
        "x = " + "[" * 100_000,
        "x = " + "{a = " * 100_000 + "1" + "}" * 100_000,
        "[profiles." + ".".join(["k"] * 100_000) + "]",
        ".".join(["k"] * 100_000) + " = 1",
    ],
    ids=["arrays", "inline tables", "table header", "dotted key"],
)
def test_deeply_nested_file_is_one_sentence(secrets: FileSecrets, nested: str) -> None:
    secrets.path.parent.mkdir(parents=True)
    content = f'[profiles.a]\nclient_secret = "{MARKER}"\n{nested}\n'
    secrets.path.write_text(content)
    secrets.path.chmod(0o600)
    for operation in (
        lambda: secrets.get_secret("a"),
        lambda: secrets.get_token("a"),
        lambda: secrets.set_secret("a", "replacement"),
        lambda: secrets.set_token("a", CachedToken("t", 1.0, "implicit")),
        lambda: secrets.replace("a", "replacement", None),
        lambda: secrets.delete("a"),
    ):
        with pytest.raises(SecretsError) as info:
            operation()
        message = str(info.value)
        assert message.startswith(str(secrets.path)) and "64 levels deep (line 3)" in message
        assert MARKER not in error_text(info.value) and "\n" not in message
        assert info.value.__cause__ is None and info.value.__context__ is None
    assert secrets.path.read_text() == content


def test_changes_keep_comments_and_the_file_0600(secrets: FileSecrets) -> None:
    secrets.path.parent.mkdir(parents=True, mode=0o700)
    secrets.path.write_text(
        "# rotated every 90 days: next on 2026-06-01\n"
        "[profiles.a]  # the live store\n"
        f'client_secret = "{MARKER}"  # from the vault\n'
        "[profiles.b]\n"
        'client_secret = "other"\n'
    )
    secrets.path.chmod(0o600)
    secrets.set_token("a", CachedToken(TOKEN_MARKER, 2e9, "client_credentials"))
    secrets.set_secret("c", "third")
    secrets.delete("b")
    text = secrets.path.read_text()
    assert text.startswith("# rotated every 90 days: next on 2026-06-01\n")
    assert "[profiles.a]  # the live store\n" in text
    assert f'client_secret = "{MARKER}"  # from the vault\n' in text
    assert mode(secrets.path) == 0o600
    assert secrets.get_token("a") == CachedToken(TOKEN_MARKER, 2e9, "client_credentials")
    assert secrets.get_secret("b") is None and secrets.get_secret("c") == "third"


def test_no_credentials_document_is_kept_in_memory(secrets: FileSecrets) -> None:
    from flowtui.config import _toml

    secrets.set_secret("a", MARKER)
    secrets.set_token("a", CachedToken(TOKEN_MARKER, 2e9, "implicit"))
    for text, doc in _toml._WRITTEN.items():
        assert MARKER not in text and TOKEN_MARKER not in text
        assert MARKER not in repr(doc.unwrap())


def test_replace_forgets_the_old_entry_in_one_write(
    secrets: FileSecrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.set_secret("a", "old")
    secrets.set_token("a", CachedToken("old-token", 2e9, "client_credentials"))
    secrets.path.write_text(secrets.path.read_text().replace("[profiles.a]", "[profiles.a]\nx=1"))
    from flowtui.config import secrets as module

    writes: list[Path] = []
    real = module.atomic_write
    monkeypatch.setattr(
        module, "atomic_write", lambda p, d, mode: (writes.append(p), real(p, d, mode=mode))
    )
    secrets.replace("a", MARKER, None)
    assert len(writes) == 1
    assert secrets.get_secret("a") == MARKER and secrets.get_token("a") is None
    assert "x = 1" not in secrets.path.read_text() and "x=1" not in secrets.path.read_text()
    secrets.replace("a", None, CachedToken(TOKEN_MARKER, 2e9, "implicit"))
    assert secrets.get_secret("a") is None and secrets.get_token("a") is not None
    secrets.replace("a", None, None)
    assert "[profiles.a]" not in secrets.path.read_text()
    writes.clear()
    secrets.replace("a", None, None)  # nothing to forget: nothing written
    assert writes == []
    with pytest.raises(SecretsError, match="non-empty"):
        secrets.replace("a", "", None)


def test_keyring_replace(fake_keyring: FakeKeyring) -> None:
    store = KeyringSecrets()
    store.set_secret("a", "old")
    store.set_token("a", CachedToken("old-token", 2e9, "client_credentials"))
    store.replace("a", MARKER, None)
    assert store.get_secret("a") == MARKER and store.get_token("a") is None


def test_a_writer_waits_for_the_lock_then_gives_one_sentence(
    secrets: FileSecrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowtui.config import _files
    from flowtui.config import secrets as module

    secrets.set_secret("a", MARKER)
    before = secrets.path.read_bytes()
    monkeypatch.setattr(module, "LOCK_TIMEOUT", 0.2)
    with _files.locked(secrets.path):
        with pytest.raises(SecretsError, match="being changed by another flowtui process") as info:
            secrets.set_secret("b", "x")
        assert MARKER not in error_text(info.value)
    assert secrets.path.read_bytes() == before


def _add_secrets(path: str, start: int, count: int) -> None:
    """Store ``count`` secrets and tokens in the file at ``path`` (run in another process)."""
    target = FileSecrets(Path(path))
    for index in range(start, start + count):
        target.replace(f"p{index:02d}", f"secret-{index}", CachedToken("t", 2e9, "implicit"))


def test_concurrent_processes_lose_no_secret(secrets: FileSecrets) -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=_add_secrets, args=(str(secrets.path), n * 10, 10)) for n in range(4)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    for index in range(40):
        assert secrets.get_secret(f"p{index:02d}") == f"secret-{index}"
        assert secrets.get_token(f"p{index:02d}") is not None
    assert mode(secrets.path) == 0o600


def test_invalid_utf8_is_refused(secrets: FileSecrets) -> None:
    secrets.path.parent.mkdir(parents=True)
    content = b'[profiles.a]\nclient_secret = "' + MARKER.encode() + b'\xff"\n'
    secrets.path.write_bytes(content)
    secrets.path.chmod(0o600)
    with pytest.raises(SecretsError, match="not UTF-8") as info:
        secrets.get_secret("a")
    assert MARKER not in error_text(info.value)
    assert info.value.__context__ is None
    assert secrets.path.read_bytes() == content


def test_folder_in_place_of_file(secrets: FileSecrets) -> None:
    secrets.path.mkdir(parents=True, mode=0o700)
    with pytest.raises(SecretsError, match="not a regular file"):
        secrets.get_secret("a")
    with pytest.raises(SecretsError):
        secrets.set_secret("a", MARKER)


@pytest.mark.parametrize(
    "content",
    [
        "profiles = 1\n",
        "[profiles]\na = 1\n",
        "[profiles.a]\nclient_secret = 5\n",
        "[profiles.a]\ntoken = { access_token = 'x', expires = 'soon', kind = 'implicit' }\n",
    ],
)
def test_malformed_entries(secrets: FileSecrets, content: str) -> None:
    secrets.path.parent.mkdir(parents=True)
    secrets.path.write_text(content)
    secrets.path.chmod(0o600)
    with pytest.raises(SecretsError) as info:
        secrets.get_secret("a")
        secrets.get_token("a")
    assert str(secrets.path) in str(info.value)


def test_set_token_none_clears_and_delete_removes_both(secrets: FileSecrets) -> None:
    secrets.set_secret("a", MARKER)
    secrets.set_token("a", CachedToken(TOKEN_MARKER, 2e9, "client_credentials"))
    secrets.set_token("a", None)
    assert secrets.get_token("a") is None
    assert secrets.get_secret("a") == MARKER
    secrets.set_token("a", CachedToken(TOKEN_MARKER, 2e9, "client_credentials"))
    secrets.set_secret("b", "keep")
    secrets.delete("a")
    assert secrets.get_secret("a") is None and secrets.get_token("a") is None
    assert secrets.get_secret("b") == "keep"
    assert MARKER not in secrets.path.read_text()
    assert TOKEN_MARKER not in secrets.path.read_text()


def test_unknown_keys_in_credentials_are_kept(secrets: FileSecrets) -> None:
    secrets.path.parent.mkdir(parents=True)
    secrets.path.write_text("version = 2\n[profiles.a]\nextra = 'keep'\n")
    secrets.path.chmod(0o600)
    secrets.set_secret("a", MARKER)
    text = secrets.path.read_text()
    assert "version = 2" in text and "extra = " in text


@pytest.mark.parametrize("bad", ["", None, 5])
def test_empty_secret_refused(secrets: FileSecrets, bad: object) -> None:
    with pytest.raises(SecretsError, match="non-empty"):
        secrets.set_secret("a", bad)  # type: ignore[arg-type]


def test_invalid_profile_name_refused(secrets: FileSecrets) -> None:
    with pytest.raises(SecretsError, match="letters") as info:
        secrets.set_secret("bad name", MARKER)
    assert MARKER not in error_text(info.value)


@pytest.mark.parametrize(
    ("now", "margin", "expected"),
    [
        (1000.0, 60.0, True),
        (1939.0, 60.0, True),
        (1940.0, 60.0, False),
        (1999.0, 0.0, True),
        (2000.0, 0.0, False),
        (2500.0, 60.0, False),
        (1500.0, 600.0, False),
    ],
)
def test_token_valid_margin(now: float, margin: float, expected: bool) -> None:
    token = CachedToken(access_token=TOKEN_MARKER, expires=2000.0, kind="implicit")
    assert token.valid(now=now, margin=margin) is expected


def test_token_valid_defaults_to_now(monkeypatch: pytest.MonkeyPatch) -> None:
    import flowtui.config.secrets as module

    monkeypatch.setattr(module.time, "time", lambda: 1000.0)
    assert CachedToken("t", 1061.0, "implicit").valid()
    assert not CachedToken("t", 1060.0, "implicit").valid()


def test_no_secret_in_repr_or_str(secrets: FileSecrets, tmp_path: Path) -> None:
    token = CachedToken(access_token=TOKEN_MARKER, expires=2e9, kind="client_credentials")
    secrets.set_secret("a", MARKER)
    secrets.set_token("a", token)
    for thing in (token, secrets):
        assert MARKER not in repr(thing) and TOKEN_MARKER not in repr(thing)
        assert MARKER not in str(thing) and TOKEN_MARKER not in str(thing)
    assert "expires" in repr(token)
    assert MARKER not in repr(vars(secrets))  # nothing cached in the object


def test_secret_never_in_config_file(secrets: FileSecrets) -> None:
    store = ProfileStore()
    store.save(Profile("a", EU_WEST, "cid"))
    secrets.set_secret("a", MARKER)
    secrets.set_token("a", CachedToken(TOKEN_MARKER, 2e9, "client_credentials"))
    store.save(Profile("a", EU_WEST, "cid2"))
    store.set_default("a")
    config = store.path.read_text()
    assert MARKER not in config and TOKEN_MARKER not in config
    assert store.path.parent != secrets.path.parent


def test_secret_never_logged(secrets: FileSecrets, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secrets.set_secret("a", MARKER)
    secrets.get_secret("a")
    secrets.set_token("a", CachedToken(TOKEN_MARKER, 2e9, "implicit"))
    secrets.get_token("a")
    secrets.delete("a")
    assert caplog.records  # something was logged ...
    for record in caplog.records:  # ... but never a secret
        assert MARKER not in record.getMessage() and TOKEN_MARKER not in record.getMessage()


# -- keyring ------------------------------------------------------------------------------


class FakeKeyring(types.ModuleType):
    """An in-memory stand-in for the ``keyring`` module."""

    def __init__(self) -> None:
        super().__init__("keyring")
        self.entries: dict[tuple[str, str], str] = {}
        self.fail_with: Exception | None = None

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def get_password(self, service: str, key: str) -> str | None:
        self._maybe_fail()
        return self.entries.get((service, key))

    def set_password(self, service: str, key: str, value: str) -> None:
        self._maybe_fail()
        self.entries[(service, key)] = value

    def delete_password(self, service: str, key: str) -> None:
        self._maybe_fail()
        del self.entries[(service, key)]


@pytest.fixture
def fake_keyring(monkeypatch: pytest.MonkeyPatch) -> FakeKeyring:
    """Install the fake keyring module for the duration of a test."""
    fake = FakeKeyring()
    monkeypatch.setitem(sys.modules, "keyring", fake)
    return fake


def test_keyring_missing_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # makes `import keyring` fail
    with pytest.raises(SecretsError, match=r"pip install 'flowtui\[keyring\]'") as info:
        KeyringSecrets()
    assert info.value.__cause__ is None
    profile = Profile("a", EU_WEST, "cid", secret_backend="keyring")
    with pytest.raises(SecretsError, match="keyring"):
        secret_store(profile)


def test_keyring_round_trip(fake_keyring: FakeKeyring) -> None:
    store = KeyringSecrets()
    token = CachedToken(TOKEN_MARKER, 2e9, "client_credentials")
    store.set_secret("shop", MARKER)
    store.set_token("shop", token)
    assert fake_keyring.entries[("flowtui", "shop")] == MARKER
    assert json.loads(fake_keyring.entries[("flowtui", "shop:token")])["expires"] == 2e9
    assert store.get_secret("shop") == MARKER
    assert store.get_token("shop") == token
    assert store.get_secret("other") is None and store.get_token("other") is None
    store.set_token("shop", None)
    assert ("flowtui", "shop:token") not in fake_keyring.entries
    store.set_token("shop", token)
    store.delete("shop")
    assert fake_keyring.entries == {}
    store.delete("shop")  # deleting nothing is fine
    assert MARKER not in repr(store) and "flowtui" in repr(store)


def test_keyring_failures_are_redacted(fake_keyring: FakeKeyring) -> None:
    store = KeyringSecrets()
    fake_keyring.fail_with = RuntimeError(f"backend refused value {MARKER}")
    with pytest.raises(SecretsError, match="RuntimeError") as info:
        store.set_secret("shop", MARKER)
    assert MARKER not in error_text(info.value)
    assert "***" in str(info.value)
    fake_keyring.fail_with = RuntimeError(f"backend refused {TOKEN_MARKER}")
    with pytest.raises(SecretsError) as info:
        store.set_token("shop", CachedToken(TOKEN_MARKER, 2e9, "implicit"))
    assert TOKEN_MARKER not in error_text(info.value)


def test_keyring_malformed_token(fake_keyring: FakeKeyring) -> None:
    fake_keyring.entries[("flowtui", "shop:token")] = f"not json {TOKEN_MARKER}"
    with pytest.raises(SecretsError, match="shop:token") as info:
        KeyringSecrets().get_token("shop")
    assert TOKEN_MARKER not in error_text(info.value)


def test_secret_store_by_backend(fake_keyring: FakeKeyring) -> None:
    assert isinstance(secret_store(Profile("a", EU_WEST, "c")), FileSecrets)
    keyring_store = secret_store(Profile("a", EU_WEST, "c", secret_backend="keyring"))
    assert isinstance(keyring_store, KeyringSecrets)
    assert isinstance(keyring_store, SecretStore)
    with pytest.raises(SecretsError, match="secret_backend"):
        secret_store(Profile("a", EU_WEST, "c", secret_backend="vault"))
