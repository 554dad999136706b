"""Profiles (one per EPCC store) and the TOML file that keeps them.

``config.toml`` lives in :func:`flowtui.config.paths.config_dir` and looks like::

    default_profile = "shop"

    [settings]              # kept verbatim across writes (keymap etc.)

    [profiles.shop]
    base_url = "https://euwest.api.elasticpath.com"
    client_id = "..."
    read_only = false
    rate_limit = 20.0
    secret_backend = "file"
    verify_tls = true

Secrets never go in this file: they live in :mod:`flowtui.config.secrets`. Keys flowtui does
not know are preserved on rewrite, so an older flowtui does not destroy a newer one's settings.
Comments are not preserved (the file is rewritten from its parsed data).

Validation helpers are pure functions returning a problem sentence or ``None``. Nothing here
imports Textual.
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from flowtui.config import paths
from flowtui.config._files import atomic_write, ensure_dir, write_target

__all__ = [
    "EU_WEST",
    "LEGACY_EU_WEST",
    "REGIONS",
    "US_EAST",
    "ConfigError",
    "Profile",
    "ProfileNotFound",
    "ProfileStore",
    "normalise_base_url",
    "validate_base_url",
    "validate_name",
    "validate_profile",
]

log = logging.getLogger(__name__)

EU_WEST = "https://euwest.api.elasticpath.com"
US_EAST = "https://useast.api.elasticpath.com"
#: The old Moltin host, still served by EPCC as EU West.
LEGACY_EU_WEST = "https://api.moltin.com"
REGIONS: dict[str, str] = {"eu-west": EU_WEST, "us-east": US_EAST}

CONFIG_FILE = "config.toml"
MAX_NAME_LENGTH = 64
MAX_RATE_LIMIT = 1000.0
SECRET_BACKENDS: tuple[str, ...] = ("file", "keyring")

_REGION_BY_HOST = {
    "euwest.api.elasticpath.com": "EU West",
    "api.moltin.com": "EU West",
    "useast.api.elasticpath.com": "US East",
}
_NAME_RE = re.compile(r"[A-Za-z0-9._-]+")
_HOST_RE = re.compile(
    r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"
)
_ACCENT_HEX_RE = re.compile(r"#[0-9A-Fa-f]{6}")
_ACCENT_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_CONTROL_RE = re.compile(r"[\x00-\x20\x7f]")
#: Keys that would hold a secret: refused in a profile table so they never sit in config.toml.
_SECRET_KEYS = frozenset(
    {"client_secret", "secret", "access_token", "token", "refresh_token", "password"}
)
_DEFAULT_FILE_MODE = 0o600


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file and says what to do."""


class ProfileNotFound(ConfigError):
    """No profile of that name; ``name`` is the one asked for, ``available`` those that exist."""

    def __init__(self, message: str, *, name: str = "", available: tuple[str, ...] = ()) -> None:
        """Keep the message plus the requested name and the names that do exist."""
        super().__init__(message)
        self.name = name
        self.available = tuple(available)


@dataclass
class Profile:
    """One EPCC store flowtui can talk to. Holds no secret: see :mod:`flowtui.config.secrets`."""

    name: str
    """Letters, digits, ``-``, ``_`` and ``.``; 1 to 64 characters (see :func:`validate_name`)."""
    base_url: str
    """API base URL without trailing slash, e.g. :data:`EU_WEST`."""
    client_id: str
    """The application key's client id."""
    read_only: bool = False
    """Read-only profiles use the implicit grant (no secret needed) and refuse writes."""
    rate_limit: float = 20.0
    """Requests per second the client paces itself to."""
    accent: str | None = None
    """Header colour: a colour name or ``#rrggbb``; ``None`` picks one automatically."""
    secret_backend: str = "file"
    """Where the client secret lives: ``"file"`` (0600 credentials file) or ``"keyring"``."""
    verify_tls: bool = True
    """Check the server's TLS certificate (turn off only for a local test server)."""
    ca_bundle: str | None = None
    """Path to a PEM bundle of extra trusted certificate authorities."""

    def _host(self) -> str:
        """The lower-cased host of :attr:`base_url`, or ``""`` when it has none."""
        try:
            return (urlsplit(self.base_url.strip()).hostname or "").lower()
        except (ValueError, AttributeError):
            return ""

    def is_sandbox(self) -> bool:
        """Whether the base URL points at a loopback host (a local sandbox)."""
        host = self._host()
        if host == "localhost" or host.endswith(".localhost"):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def region_name(self) -> str:
        """``"EU West"``, ``"US East"``, ``"sandbox"`` (loopback host) or ``"custom"``."""
        if self.is_sandbox():
            return "sandbox"
        return _REGION_BY_HOST.get(self._host(), "custom")


_FIELD_NAMES = tuple(f.name for f in fields(Profile) if f.name != "name")


def validate_name(name: object) -> str | None:
    """A sentence describing what is wrong with a profile name, or ``None`` if it is fine."""
    if not isinstance(name, str):
        return "A profile name must be text."
    if not name:
        return "A profile name cannot be empty."
    if len(name) > MAX_NAME_LENGTH:
        return f"A profile name can be at most {MAX_NAME_LENGTH} characters long."
    if not _NAME_RE.fullmatch(name):
        return f"A profile name may only use letters, digits, '-', '_' and '.' (got {name!r})."
    return None


def normalise_base_url(url: str) -> str:
    """``url`` without surrounding spaces and trailing ``/``; region keys become their URL.

    ``"eu-west"`` and ``"us-east"`` (any case) map to :data:`EU_WEST` and :data:`US_EAST`.
    """
    cleaned = url.strip()
    region = REGIONS.get(cleaned.lower())
    if region is not None:
        return region
    return cleaned.rstrip("/")


def validate_base_url(url: object) -> str | None:
    """A sentence describing what is wrong with a base URL, or ``None`` if it is usable.

    Checks the URL :func:`normalise_base_url` would produce, so region keys and a trailing
    slash are accepted. It must look like ``http(s)://host[:port][/path]``.
    """
    if not isinstance(url, str):
        return "The base URL must be text."
    if not url.strip():
        return "The base URL cannot be empty."
    value = normalise_base_url(url)
    if _CONTROL_RE.search(value):
        return "The base URL cannot contain spaces or control characters."
    try:
        parts = urlsplit(value)
    except ValueError:
        return "The base URL is not a valid URL."
    if "@" in parts.netloc:
        # Never echo the URL here: the part before '@' may be a password.
        return "The base URL must not contain a user name or password."
    if parts.scheme.lower() not in ("http", "https"):
        return (
            f"The base URL must start with https:// (or http:// for a local sandbox); "
            f"got {value!r}. Use eu-west, us-east or a full URL."
        )
    host = parts.hostname or ""
    if not host:
        return f"The base URL has no host name (got {value!r})."
    if not _valid_host(host):
        return f"The base URL's host {host!r} is not a valid host name or IP address."
    try:
        port = parts.port
    except ValueError:
        return "The base URL's port must be a number from 1 to 65535."
    if port == 0:
        return "The base URL's port must be a number from 1 to 65535."
    if parts.query or parts.fragment or "?" in value or "#" in value:
        return "The base URL cannot have a query string or a fragment."
    return None


def _valid_host(host: str) -> bool:
    """Whether ``host`` is an IP address or a syntactically valid DNS name."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return len(host) <= 253 and _HOST_RE.fullmatch(host) is not None


def validate_profile(profile: Profile) -> list[str]:
    """Every problem with ``profile``'s values, as sentences; empty when it can be saved."""
    problems: list[str] = []
    name_problem = validate_name(profile.name)
    if name_problem:
        problems.append(name_problem)
    url_problem = validate_base_url(profile.base_url)
    if url_problem:
        problems.append(url_problem)
    cid = profile.client_id
    if not isinstance(cid, str) or not cid.strip():
        problems.append("The client id cannot be empty.")
    elif _CONTROL_RE.search(cid) or len(cid) > 256:
        problems.append("The client id must be one word of at most 256 characters.")
    if not isinstance(profile.read_only, bool):
        problems.append("read_only must be true or false.")
    rate = profile.rate_limit
    if (
        isinstance(rate, bool)
        or not isinstance(rate, int | float)
        or not math.isfinite(rate)
        or not 0 < rate <= MAX_RATE_LIMIT
    ):
        problems.append(
            f"rate_limit must be a number of requests per second above 0 and at most "
            f"{MAX_RATE_LIMIT:g}."
        )
    accent = profile.accent
    if accent is not None and not (
        isinstance(accent, str)
        and (_ACCENT_HEX_RE.fullmatch(accent) or _ACCENT_NAME_RE.fullmatch(accent))
    ):
        problems.append("accent must be a colour name (like 'orange') or '#rrggbb'.")
    if profile.secret_backend not in SECRET_BACKENDS:
        problems.append("secret_backend must be 'file' or 'keyring'.")
    if not isinstance(profile.verify_tls, bool):
        problems.append("verify_tls must be true or false.")
    bundle = profile.ca_bundle
    if bundle is not None and (
        not isinstance(bundle, str) or not bundle.strip() or "\x00" in bundle
    ):
        problems.append("ca_bundle must be the path of a PEM file.")
    return problems


def _profile_table(profile: Profile) -> dict[str, Any]:
    """The TOML table of a (valid) profile: every field except the name; ``None`` omitted."""
    table: dict[str, Any] = {
        "base_url": normalise_base_url(profile.base_url),
        "client_id": profile.client_id.strip(),
        "read_only": profile.read_only,
        "rate_limit": float(profile.rate_limit),
        "accent": profile.accent,
        "secret_backend": profile.secret_backend,
        "verify_tls": profile.verify_tls,
        "ca_bundle": profile.ca_bundle,
    }
    return {key: value for key, value in table.items() if value is not None}


class ProfileStore:
    """Profiles and settings in ``config.toml``; read on every call, written atomically.

    If the file exists but cannot be read or parsed, every operation raises
    :class:`ConfigError` naming it, and nothing is ever written over it.
    """

    def __init__(self, path: Path | None = None) -> None:
        """Use ``path``, or ``config.toml`` in :func:`paths.config_dir`. Nothing is read yet."""
        self.path: Path = Path(path) if path is not None else paths.config_dir() / CONFIG_FILE

    def __repr__(self) -> str:
        """Show where the store lives (it never holds secrets)."""
        return f"ProfileStore(path={str(self.path)!r})"

    # -- reading -------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        """The parsed document (``{}`` when the file is missing); ConfigError if unusable."""
        path = self.path
        keep = "flowtui has not changed it"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}
        except IsADirectoryError:
            raise ConfigError(
                f"{path} is a folder, not a config file: move it out of the way "
                f"and flowtui will start with no profiles."
            ) from None
        except PermissionError:
            raise ConfigError(
                f"Cannot read {path}: permission denied. Make it readable by you "
                f"(chmod 600 {path}) or move it away; {keep}."
            ) from None
        except OSError as err:
            raise ConfigError(
                f"Cannot read {path}: {err.strerror or err}. Check the file and its folder."
            ) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ConfigError(
                f"{path} is not UTF-8 text (bad byte at offset {err.start}). "
                f"Fix or move it away; {keep}."
            ) from None
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(
                f"{path} is not valid TOML: {err}. Fix that line or move the file away; {keep}."
            ) from None
        self._check_structure(doc)
        return doc

    def _check_structure(self, doc: dict[str, Any]) -> None:
        """Raise ConfigError if the top-level keys flowtui relies on have the wrong type."""
        default = doc.get("default_profile")
        if default is not None and not isinstance(default, str):
            raise ConfigError(
                f"{self.path}: default_profile must be a profile name in quotes; fix or remove it."
            )
        for key in ("settings", "profiles"):
            if key in doc and not isinstance(doc[key], dict):
                raise ConfigError(
                    f"{self.path}: '{key}' must be a table ([{key}]); fix or remove it."
                )

    def _tables(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The ``profiles`` table of a loaded document (possibly empty)."""
        return doc.get("profiles", {})

    def _parse(self, name: str, table: object) -> Profile:
        """Turn one ``[profiles.<name>]`` table into a Profile; ConfigError naming both."""
        where = f"{self.path}: profile {name!r}"
        fix = f"Fix it in the file or replace it with `flowtui profile add {name}`."
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table ([profiles.{name}]). {fix}")
        name_problem = validate_name(name)
        if name_problem:
            raise ConfigError(f"{where} has an unusable name: {name_problem} Rename it.")
        leaked = sorted(_SECRET_KEYS & table.keys())
        if leaked:
            # Name the key, never its value.
            raise ConfigError(
                f"{where} holds {', '.join(leaked)}: secrets do not belong in the config file. "
                f"Delete that line and store the secret with flowtui instead."
            )
        missing = [key for key in ("base_url", "client_id") if key not in table]
        if missing:
            raise ConfigError(f"{where} is missing {' and '.join(missing)}. {fix}")
        values = {key: table[key] for key in _FIELD_NAMES if key in table}
        if isinstance(values["base_url"], str):
            values["base_url"] = normalise_base_url(values["base_url"])
        rate = values.get("rate_limit")
        if isinstance(rate, int) and not isinstance(rate, bool):
            values["rate_limit"] = float(rate)
        profile = Profile(name=name, **values)
        problems = validate_profile(profile)
        if problems:
            raise ConfigError(f"{where} is invalid: {' '.join(problems)} {fix}")
        return profile

    def _not_found(self, name: str, doc: dict[str, Any]) -> ProfileNotFound:
        """The ProfileNotFound error for ``name``, listing the names that do exist."""
        names = tuple(_sorted_names(self._tables(doc)))
        listing = ", ".join(names) if names else "none yet"
        return ProfileNotFound(
            f"No profile named {name!r} in {self.path} (profiles: {listing}). "
            f"Add it with `flowtui profile add {name}` or pick an existing one.",
            name=name,
            available=names,
        )

    def names(self) -> list[str]:
        """The profile names in the file, sorted, without validating their tables."""
        return _sorted_names(self._tables(self._load()))

    def profiles(self) -> list[Profile]:
        """Every profile, sorted by name; ConfigError if any of them is invalid."""
        tables = self._tables(self._load())
        return [self._parse(name, tables[name]) for name in _sorted_names(tables)]

    def get(self, name: str) -> Profile:
        """The profile called ``name``; :class:`ProfileNotFound` lists the existing ones."""
        doc = self._load()
        tables = self._tables(doc)
        if name not in tables:
            raise self._not_found(name, doc)
        return self._parse(name, tables[name])

    def default_name(self) -> str | None:
        """The ``default_profile`` named in the file, or ``None``."""
        return self._load().get("default_profile")

    def settings(self) -> dict[str, Any]:
        """A copy of the ``[settings]`` table (empty when there is none)."""
        return copy.deepcopy(self._load().get("settings", {}))

    # -- writing -------------------------------------------------------------------------

    def save(self, profile: Profile) -> None:
        """Add or replace ``profile``; keys flowtui does not know in its table are kept.

        The base URL is stored normalised (see :func:`normalise_base_url`). Raises
        ConfigError, without writing anything, if the profile is invalid or the existing
        file cannot be read.
        """
        problems = validate_profile(profile)
        if problems:
            raise ConfigError(
                f"Cannot save profile {profile.name!r} to {self.path}: {' '.join(problems)}"
            )
        doc = self._load()
        tables = doc.setdefault("profiles", {})
        old = tables.get(profile.name)
        extra: dict[str, Any] = {}
        if isinstance(old, dict):
            leaked = sorted(_SECRET_KEYS & old.keys())
            if leaked:
                raise ConfigError(
                    f"{self.path}: profile {profile.name!r} holds {', '.join(leaked)}: "
                    f"secrets do not belong in the config file. Delete that line first."
                )
            extra = {key: value for key, value in old.items() if key not in _FIELD_NAMES}
        tables[profile.name] = {**_profile_table(profile), **extra}
        self._write(doc)
        log.debug("saved profile %s to %s", profile.name, self.path)

    def remove(self, name: str) -> None:
        """Delete profile ``name`` (and the default if it pointed there). Secrets are kept:
        delete them through the profile's secret store."""
        doc = self._load()
        tables = self._tables(doc)
        if name not in tables:
            raise self._not_found(name, doc)
        del tables[name]
        if not tables:
            doc.pop("profiles", None)
        if doc.get("default_profile") == name:
            del doc["default_profile"]
        self._write(doc)
        log.debug("removed profile %s from %s", name, self.path)

    def set_default(self, name: str | None) -> None:
        """Make ``name`` the default profile (it must exist); ``None`` clears the default."""
        doc = self._load()
        if name is None:
            if "default_profile" not in doc:
                return
            del doc["default_profile"]
        else:
            if name not in self._tables(doc):
                raise self._not_found(name, doc)
            doc["default_profile"] = name
        self._write(doc)
        log.debug("default profile in %s is now %s", self.path, name)

    def _write(self, doc: dict[str, Any]) -> None:
        """Serialise ``doc`` and replace the file atomically, keeping its permission bits."""
        try:
            data = tomli_w.dumps(doc).encode("utf-8")
        except (TypeError, ValueError) as err:
            raise ConfigError(f"Cannot write {self.path}: {err}") from None
        try:
            ensure_dir(self.path.parent)
            target = write_target(self.path)
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode)
            except FileNotFoundError:
                mode = _DEFAULT_FILE_MODE
            atomic_write(self.path, data, mode=mode)
        except OSError as err:
            raise ConfigError(
                f"Cannot write {self.path}: {err.strerror or err}. "
                f"Check that its folder exists and is writable; the old file is unchanged."
            ) from None


def _sorted_names(tables: dict[str, Any]) -> list[str]:
    """Profile names sorted case-insensitively (ties broken by exact spelling)."""
    return sorted(tables, key=lambda name: (name.lower(), name))
