"""Decide which store flowtui talks to: the chosen profile, its secret, environment overrides.

Choice of profile: the ``name`` argument, else ``FLOWTUI_PROFILE``, else the file's
``default_profile``. Environment variables compatible with epcc-cli override it: when
``EPCC_CLIENT_ID`` is set it replaces the client id, ``EPCC_CLIENT_SECRET`` the secret and
``EPCC_API_BASE_URL`` the base URL. With ``EPCC_CLIENT_ID`` set and no profile chosen, an
ad-hoc profile named ``"env"`` is used (base URL EU West unless ``EPCC_API_BASE_URL`` says
otherwise). Nothing here imports Textual.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flowtui.config.profiles import (
    CONFIG_FILE,
    EU_WEST,
    ConfigError,
    Profile,
    ProfileNotFound,
    ProfileStore,
    normalise_base_url,
    validate_base_url,
)
from flowtui.config.secrets import CREDENTIALS_FILE, FileSecrets, SecretStore, secret_store

__all__ = ["ENV_PROFILE_NAME", "NO_PROFILE", "Resolved", "resolve"]

ENV_PROFILE_NAME = "env"
NO_PROFILE = (
    "No profile yet: run `flowtui profile add NAME` (or `flowtui --demo` to try a demo store), "
    "or set EPCC_CLIENT_ID and EPCC_CLIENT_SECRET"
)


@dataclass
class Resolved:
    """The profile to use, its secret (never shown by ``repr()``) and where they came from."""

    profile: Profile
    secret: str | None = field(repr=False)
    source: str
    """``"profile"``, ``"environment"`` or ``"profile+environment"``."""


def _env(env: Mapping[str, str], key: str) -> str | None:
    """The stripped value of ``key`` in ``env``; ``None`` when unset or blank."""
    value = env.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _env_base_url(env: Mapping[str, str]) -> str | None:
    """``EPCC_API_BASE_URL`` normalised, ``None`` if unset; ConfigError if it is unusable."""
    url = _env(env, "EPCC_API_BASE_URL")
    if url is None:
        return None
    problem = validate_base_url(url)
    if problem:
        raise ConfigError(f"EPCC_API_BASE_URL is not usable: {problem} Fix or unset it.")
    return normalise_base_url(url)


def _default_store(env: Mapping[str, str]) -> ProfileStore:
    """The profile store, honouring ``FLOWTUI_CONFIG_DIR`` from ``env``."""
    folder = _env(env, "FLOWTUI_CONFIG_DIR")
    return ProfileStore(Path(folder).expanduser() / CONFIG_FILE if folder else None)


def _secrets_for(profile: Profile, env: Mapping[str, str]) -> SecretStore:
    """The secret store of ``profile``, honouring ``FLOWTUI_DATA_DIR`` from ``env``."""
    folder = _env(env, "FLOWTUI_DATA_DIR")
    if profile.secret_backend == "file" and folder:
        return FileSecrets(Path(folder).expanduser() / CREDENTIALS_FILE)
    return secret_store(profile)


def resolve(
    name: str | None = None,
    *,
    store: ProfileStore | None = None,
    env: Mapping[str, str] | None = None,
) -> Resolved:
    """The profile and secret to use, after applying the environment overrides.

    ``env`` defaults to ``os.environ``; ``store`` to the profile store in the config folder.
    Raises :class:`ProfileNotFound` for an unknown name, :class:`ConfigError` when there is
    neither a profile nor ``EPCC_CLIENT_ID``, and ``SecretsError`` if the secret store fails.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    if store is None:
        store = _default_store(environ)
    env_id = _env(environ, "EPCC_CLIENT_ID")
    env_secret = _env(environ, "EPCC_CLIENT_SECRET")

    chosen, origin = name, "argument"
    if not chosen:
        chosen, origin = _env(environ, "FLOWTUI_PROFILE"), "FLOWTUI_PROFILE"
    if not chosen:
        chosen, origin = store.default_name(), "default_profile"

    if not chosen:
        if env_id:
            profile = Profile(
                name=ENV_PROFILE_NAME,
                base_url=_env_base_url(environ) or EU_WEST,
                client_id=env_id,
                # Without a secret only the implicit grant works, which is read-only.
                read_only=env_secret is None,
            )
            return Resolved(profile=profile, secret=env_secret, source="environment")
        hint = ""
        if env_secret:
            hint = " (EPCC_CLIENT_SECRET is set but EPCC_CLIENT_ID is not)"
        names = store.names()
        if names:
            raise ConfigError(
                f"No profile chosen: pass a profile name, set FLOWTUI_PROFILE or set a default "
                f"profile in {store.path} (profiles: {', '.join(names)}){hint}."
            )
        raise ConfigError(f"{NO_PROFILE} (profiles live in {store.path}){hint}.")

    try:
        profile = store.get(chosen)
    except ProfileNotFound as err:
        if origin == "argument":
            raise
        raise ProfileNotFound(
            f"{origin} names profile {chosen!r}, which does not exist. {err}",
            name=err.name,
            available=err.available,
        ) from None

    if not env_id:
        return Resolved(
            profile=profile,
            secret=_secrets_for(profile, environ).get_secret(profile.name),
            source="profile",
        )

    stored_id = profile.client_id
    profile = dataclasses.replace(
        profile, client_id=env_id, base_url=_env_base_url(environ) or profile.base_url
    )
    secret = env_secret
    if secret is None and env_id == stored_id:
        # The stored secret belongs to the stored client id: only reuse it for that id.
        secret = _secrets_for(profile, environ).get_secret(profile.name)
    return Resolved(profile=profile, secret=secret, source="profile+environment")
