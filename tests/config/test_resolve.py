"""Choosing the profile and secret: name, FLOWTUI_PROFILE, default, epcc-cli environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flowtui.config.profiles import (
    EU_WEST,
    US_EAST,
    ConfigError,
    Profile,
    ProfileNotFound,
    ProfileStore,
)
from flowtui.config.resolve import NO_PROFILE, Resolved, resolve
from flowtui.config.secrets import FileSecrets, SecretsError

MARKER = "MARKER-s3cr3t-resolve-91b2"
ENV_MARKER = "MARKER-env-s3cr3t-44c0"


def _chain(error: BaseException | None) -> str:
    """The text of ``error`` and every exception chained to it."""
    parts = []
    while error is not None:
        parts.append(f"{error} {error.args!r}")
        error = error.__cause__ or error.__context__
    return "\n".join(parts)


@pytest.fixture
def store() -> ProfileStore:
    """A store with profiles ``a`` (default, with a stored secret), ``b`` and read-only ``ro``."""
    store = ProfileStore()
    store.save(Profile("a", EU_WEST, "id-a", accent="red"))
    store.save(Profile("b", US_EAST, "id-b"))
    store.save(Profile("ro", EU_WEST, "id-ro", read_only=True))
    store.set_default("a")
    FileSecrets().set_secret("a", MARKER)
    FileSecrets().set_secret("b", "secret-b")
    return store


def test_nothing_configured() -> None:
    with pytest.raises(ConfigError) as info:
        resolve(env={})
    assert str(info.value).startswith(NO_PROFILE)
    assert str(ProfileStore().path) in str(info.value)


def test_secret_without_client_id_is_pointed_out() -> None:
    with pytest.raises(ConfigError, match="EPCC_CLIENT_ID is not") as info:
        resolve(env={"EPCC_CLIENT_SECRET": ENV_MARKER})
    assert ENV_MARKER not in str(info.value)


def test_environment_only() -> None:
    result = resolve(env={"EPCC_CLIENT_ID": "env-id", "EPCC_CLIENT_SECRET": ENV_MARKER})
    assert result.source == "environment"
    assert result.secret == ENV_MARKER
    assert result.profile == Profile("env", EU_WEST, "env-id")


def test_environment_only_with_base_url_and_no_secret() -> None:
    result = resolve(
        env={"EPCC_CLIENT_ID": "env-id", "EPCC_API_BASE_URL": "http://127.0.0.1:8000/"}
    )
    assert result.profile.base_url == "http://127.0.0.1:8000"
    assert result.profile.is_sandbox()
    assert result.secret is None
    assert result.profile.read_only  # implicit grant only


def test_environment_region_key() -> None:
    result = resolve(env={"EPCC_CLIENT_ID": "x", "EPCC_API_BASE_URL": "us-east"})
    assert result.profile.base_url == US_EAST


def test_invalid_environment_base_url() -> None:
    env = {"EPCC_CLIENT_ID": "x", "EPCC_CLIENT_SECRET": ENV_MARKER, "EPCC_API_BASE_URL": "nope"}
    with pytest.raises(ConfigError, match="EPCC_API_BASE_URL") as info:
        resolve(env=env)
    assert ENV_MARKER not in str(info.value)


def test_default_profile(store: ProfileStore) -> None:
    result = resolve(store=store, env={})
    assert result.source == "profile"
    assert result.profile == store.get("a")
    assert result.secret == MARKER


def test_precedence_name_then_flowtui_profile_then_default(store: ProfileStore) -> None:
    assert resolve(store=store, env={}).profile.name == "a"
    assert resolve(store=store, env={"FLOWTUI_PROFILE": "b"}).profile.name == "b"
    chosen = resolve("ro", store=store, env={"FLOWTUI_PROFILE": "b"})
    assert chosen.profile.name == "ro"
    assert chosen.secret is None  # read-only profiles need no secret


def test_flowtui_profile_from_os_environ(store: ProfileStore, monkeypatch) -> None:
    monkeypatch.setenv("FLOWTUI_PROFILE", "b")
    result = resolve(store=store)
    assert result.profile.name == "b" and result.secret == "secret-b"


def test_default_store_from_os_environ(store: ProfileStore) -> None:
    assert resolve().profile.name == "a"


def test_unknown_names(store: ProfileStore) -> None:
    with pytest.raises(ProfileNotFound, match="profiles: a, b, ro"):
        resolve("zzz", store=store, env={})
    with pytest.raises(ProfileNotFound, match="FLOWTUI_PROFILE") as info:
        resolve(store=store, env={"FLOWTUI_PROFILE": "zzz"})
    assert info.value.available == ("a", "b", "ro")


def test_dangling_default(store: ProfileStore) -> None:
    text = store.path.read_text().replace('default_profile = "a"', 'default_profile = "gone"')
    store.path.write_text(text)
    with pytest.raises(ProfileNotFound, match="default_profile"):
        resolve(store=store, env={})


def test_profiles_but_none_chosen(store: ProfileStore) -> None:
    store.set_default(None)
    with pytest.raises(ConfigError, match="No profile chosen") as info:
        resolve(store=store, env={})
    assert "a, b, ro" in str(info.value) and str(store.path) in str(info.value)
    result = resolve(store=store, env={"EPCC_CLIENT_ID": "env-id"})
    assert result.source == "environment" and result.profile.name == "env"


def test_environment_overrides_profile(store: ProfileStore) -> None:
    env = {
        "EPCC_CLIENT_ID": "env-id",
        "EPCC_CLIENT_SECRET": ENV_MARKER,
        "EPCC_API_BASE_URL": "https://custom.example.com/",
    }
    result = resolve(store=store, env=env)
    assert result.source == "profile+environment"
    assert result.profile.name == "a"
    assert result.profile.client_id == "env-id"
    assert result.profile.base_url == "https://custom.example.com"
    assert result.profile.accent == "red"  # the rest of the profile still applies
    assert result.secret == ENV_MARKER
    assert store.get("a").client_id == "id-a"  # nothing was written back


def test_environment_client_id_keeps_profile_url(store: ProfileStore) -> None:
    result = resolve("b", store=store, env={"EPCC_CLIENT_ID": "env-id"})
    assert result.profile.base_url == US_EAST
    assert result.secret is None  # the stored secret belongs to another client id


def test_same_client_id_reuses_stored_secret(store: ProfileStore) -> None:
    result = resolve(store=store, env={"EPCC_CLIENT_ID": "id-a"})
    assert result.source == "profile+environment"
    assert result.secret == MARKER


def test_env_secret_or_url_without_client_id_is_ignored(store: ProfileStore) -> None:
    env = {"EPCC_CLIENT_SECRET": ENV_MARKER, "EPCC_API_BASE_URL": "https://x.example"}
    result = resolve(store=store, env=env)
    assert result.source == "profile"
    assert result.secret == MARKER and result.profile.base_url == EU_WEST


def test_blank_environment_values_are_unset(store: ProfileStore) -> None:
    env = {"EPCC_CLIENT_ID": "  ", "FLOWTUI_PROFILE": "", "EPCC_CLIENT_SECRET": ""}
    result = resolve(store=store, env=env)
    assert result.source == "profile" and result.profile.name == "a"


def test_config_and_data_dirs_from_env_mapping(tmp_path: Path) -> None:
    config, data = tmp_path / "alt-config", tmp_path / "alt-data"
    ProfileStore(config / "config.toml").save(Profile("alt", EU_WEST, "id"))
    FileSecrets(data / "credentials.toml").set_secret("alt", MARKER)
    env = {
        "FLOWTUI_CONFIG_DIR": str(config),
        "FLOWTUI_DATA_DIR": str(data),
        "FLOWTUI_PROFILE": "alt",
    }
    result = resolve(env=env)
    assert result.profile.name == "alt" and result.secret == MARKER


def test_keyring_profile_without_keyring(store: ProfileStore, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)
    store.save(Profile("k", EU_WEST, "id-k", secret_backend="keyring"))
    with pytest.raises(SecretsError, match=r"flowtui\[keyring\]"):
        resolve("k", store=store, env={})
    # An environment secret means the keyring is not needed at all.
    env = {"EPCC_CLIENT_ID": "id-k", "EPCC_CLIENT_SECRET": ENV_MARKER}
    assert resolve("k", store=store, env=env).secret == ENV_MARKER


def test_secret_never_in_repr(store: ProfileStore) -> None:
    results = [
        resolve(store=store, env={}),
        resolve(env={"EPCC_CLIENT_ID": "x", "EPCC_CLIENT_SECRET": ENV_MARKER}),
    ]
    for result in results:
        assert isinstance(result, Resolved)
        for text in (repr(result), str(result), repr(result.profile)):
            assert MARKER not in text and ENV_MARKER not in text


def test_secret_never_in_any_error(store: ProfileStore, tmp_path: Path) -> None:
    """Plant the marker secrets, provoke every error we can, scan the messages."""
    env = {"EPCC_CLIENT_SECRET": ENV_MARKER}
    attempts = [
        lambda: resolve("zzz", store=store, env=env),
        lambda: resolve(store=store, env={**env, "FLOWTUI_PROFILE": "zzz"}),
        lambda: resolve(store=store, env={**env, "EPCC_CLIENT_ID": "x", "EPCC_API_BASE_URL": "?"}),
        lambda: resolve(store=ProfileStore(tmp_path / "empty.toml"), env=env),
    ]
    messages = []
    for attempt in attempts:
        with pytest.raises((ConfigError, SecretsError)) as info:
            attempt()
        messages.append(_chain(info.value))
    secrets_file = FileSecrets()
    secrets_file.path.chmod(0o644)
    with pytest.raises(SecretsError) as info:
        resolve(store=store, env={})
    messages.append(_chain(info.value))
    secrets_file.path.chmod(0o600)
    secrets_file.path.write_text(secrets_file.path.read_text() + "\n[broken")
    with pytest.raises(SecretsError) as info:
        resolve(store=store, env={})
    messages.append(_chain(info.value))
    for message in messages:
        assert MARKER not in message and ENV_MARKER not in message
