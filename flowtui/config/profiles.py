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

Secrets never go in this file: they live in :mod:`flowtui.config.secrets`. Changes edit the
file in place (tomlkit): comments, blank lines, key order and keys flowtui does not know are
kept, so an older flowtui does not destroy a newer one's settings nor a person's notes. Every
change holds a lock across processes (:func:`flowtui.config._files.locked`), and a file nested
more than :data:`flowtui.config._toml.MAX_DEPTH` levels deep is refused before parsing.

Validation helpers are pure functions returning a problem sentence or ``None``. Nothing here
imports Textual.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import logging
import math
import os
import re
import shlex
import stat
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from flowtui.config import paths
from flowtui.config._files import LockTimeout, atomic_write, ensure_dir, locked, write_target
from flowtui.config._toml import (
    MAX_DEPTH,
    TomlEditError,
    dumps,
    editable,
    loads,
    nesting_line,
    plain,
)
from flowtui.core.textsafe import printable

if TYPE_CHECKING:  # tomlkit is imported on the first edit: reading needs only tomllib
    from tomlkit.toml_document import TOMLDocument

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
#: Seconds a change waits for another flowtui process that is changing the file.
LOCK_TIMEOUT = 30.0

DefaultChoice = Literal["never", "first", "always"]
"""When :meth:`ProfileStore.save` makes the saved profile the default."""


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

    def _read_text(self) -> str | None:
        """The file's text (``None`` when it is missing); ConfigError if it cannot be read."""
        path = self.path
        keep = "flowtui has not changed it"
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
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
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ConfigError(
                f"{path} is not UTF-8 text (bad byte at offset {err.start}). "
                f"Fix or move it away; {keep}."
            ) from None

    def _parse_text(self, text: str | None) -> dict[str, Any]:
        """The parsed document of ``text`` (``{}`` for a missing file); ConfigError if unusable.

        The nesting depth is checked before parsing (see :func:`_toml.nesting_line`), so a
        hostile file is one sentence, never a RecursionError.
        """
        if text is None:
            return {}
        keep = "flowtui has not changed it"
        line = nesting_line(text)
        if line is not None:
            raise ConfigError(
                f"{self.path} nests tables, arrays or dotted keys more than {MAX_DEPTH} levels "
                f"deep (line {line}); flowtui reads at most {MAX_DEPTH}. Fix or move it away; "
                f"{keep}."
            )
        try:
            doc = loads(text, keep=True)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(
                f"{self.path} is not valid TOML: {err}. Fix that line or move the file away; "
                f"{keep}."
            ) from None
        self._check_structure(doc)
        return doc

    def _load(self) -> dict[str, Any]:
        """The parsed document (``{}`` when the file is missing); ConfigError if unusable."""
        return self._parse_text(self._read_text())

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
        quoted = printable(shlex.quote(name))  # a hand-written name may hold anything
        fix = (
            f"Fix it in the file, replace it with `flowtui profile add {quoted} --client-id ID` "
            f"(plus --region or --url) or delete it with `flowtui profile remove {quoted}`."
        )
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table ([profiles.{name}]). {fix}")
        name_problem = validate_name(name)
        if name_problem:
            raise ConfigError(
                f"{where} has an unusable name: {name_problem} Rename it in the file or delete "
                f"it with `flowtui profile remove {quoted}`."
            )
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

    def table(self, name: str) -> dict[str, Any]:
        """Profile ``name``'s table as written, even when its values are invalid (a table
        that is not one reads as ``{}``); :class:`ProfileNotFound` when there is none."""
        doc = self._load()
        tables = self._tables(doc)
        if name not in tables:
            raise self._not_found(name, doc)
        found = tables[name]
        return copy.deepcopy(found) if isinstance(found, dict) else {}

    def default_name(self) -> str | None:
        """The ``default_profile`` named in the file, or ``None``."""
        return self._load().get("default_profile")

    def settings(self) -> dict[str, Any]:
        """A copy of the ``[settings]`` table (empty when there is none)."""
        return copy.deepcopy(self._load().get("settings", {}))

    # -- writing -------------------------------------------------------------------------
    #
    # Every change is a read-modify-write under locked(): the file is read, checked and edited
    # in place (tomlkit keeps comments, blank lines and key order) while the lock is held, so
    # concurrent flowtui processes never lose each other's changes.

    def save(self, profile: Profile, *, default: DefaultChoice = "never") -> bool:
        """Add or replace ``profile``; keys flowtui does not know in its table are kept.

        A replaced profile's table is edited value by value, so comments beside its lines
        survive; a profile whose old values were invalid is repaired. ``default`` makes it the
        default profile ``"always"``, or only when it is the ``"first"`` profile in the file;
        the return value says whether it became the default. The base URL is stored
        normalised (see :func:`normalise_base_url`). Raises ConfigError, without writing
        anything, if the profile is invalid or the existing file cannot be read.
        """
        problems = validate_profile(profile)
        if problems:
            raise ConfigError(
                f"Cannot save profile {profile.name!r} to {self.path}: {' '.join(problems)}"
            )
        made_default = False

        def change(doc: dict[str, Any], edit: TOMLDocument) -> None:
            nonlocal made_default
            old = self._tables(doc).get(profile.name)
            if isinstance(old, dict):
                leaked = sorted(_SECRET_KEYS & old.keys())
                if leaked:
                    raise ConfigError(
                        f"{self.path}: profile {profile.name!r} holds {', '.join(leaked)}: "
                        f"secrets do not belong in the config file. Delete that line first."
                    )
            first = not self._tables(doc)
            _put_profile(edit, profile.name, _profile_table(profile))
            if default == "always" or (default == "first" and first):
                made_default = True
                if doc.get("default_profile") != profile.name:
                    edit["default_profile"] = profile.name

        self._change(change)
        log.debug("saved profile %s to %s", profile.name, self.path)
        return made_default

    def remove(self, name: str) -> dict[str, Any]:
        """Delete profile ``name`` (and the default if it pointed there), even one whose
        values are invalid; returns its table as it was. Secrets are kept: delete them
        through the profile's secret store."""
        self._check_exists(name)
        removed: dict[str, Any] = {}

        def change(doc: dict[str, Any], edit: TOMLDocument) -> None:
            nonlocal removed
            tables = self._tables(doc)
            if name not in tables:
                raise self._not_found(name, doc)
            old = tables[name]
            removed = copy.deepcopy(old) if isinstance(old, dict) else {}
            container = edit["profiles"]
            del container[name]
            if len(tables) == 1:
                del edit["profiles"]
            if doc.get("default_profile") == name:
                del edit["default_profile"]

        self._change(change)
        log.debug("removed profile %s from %s", name, self.path)
        return removed

    def set_default(self, name: str | None) -> None:
        """Make ``name`` the default profile (it must exist); ``None`` clears the default."""
        current = self._load()
        if name is None and "default_profile" not in current:
            return
        if name is not None and name not in self._tables(current):
            raise self._not_found(name, current)

        def change(doc: dict[str, Any], edit: TOMLDocument) -> None:
            if name is None:
                if "default_profile" in doc:
                    del edit["default_profile"]
                return
            if name not in self._tables(doc):
                raise self._not_found(name, doc)
            if doc.get("default_profile") != name:
                edit["default_profile"] = name

        self._change(change)
        log.debug("default profile in %s is now %s", self.path, name)

    def _check_exists(self, name: str) -> None:
        """ProfileNotFound (before any lock or write) when there is no profile ``name``."""
        doc = self._load()
        if name not in self._tables(doc):
            raise self._not_found(name, doc)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the file's lock across processes; its failures become ConfigError."""
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(locked(self.path, timeout=LOCK_TIMEOUT, what=str(self.path)))
            except LockTimeout as err:
                raise ConfigError(str(err)) from None
            except OSError as err:
                raise ConfigError(
                    f"Cannot change {self.path}: {err.strerror or err}. Check that its folder "
                    f"is writable; the file is unchanged."
                ) from None
            yield

    def _change(self, change: Callable[[dict[str, Any], TOMLDocument], None]) -> None:
        """Apply ``change`` to the file under its lock: ``change`` gets the parsed document
        (to check) and the editable one (to edit); the result is written atomically."""
        # A broken file is refused before anything (even the lock) is created.
        before = self._read_text()
        doc = self._parse_text(before)
        with self._locked():
            text = self._read_text()
            if text != before:  # another process changed it meanwhile
                doc = self._parse_text(text)
            try:
                edit = _new_document() if text is None else editable(text)
            except TomlEditError as err:
                raise ConfigError(
                    f"Cannot change {self.path}: {err}. Fix or move it away; flowtui has not "
                    f"changed it."
                ) from None
            change(doc, edit)
            self._write(edit, text or "")

    def _write(self, edit: TOMLDocument, before: str) -> None:
        """Write the edited document atomically, keeping the file's permission bits; the
        text is checked first (:func:`_toml.dumps` reads it back), so a file flowtui cannot
        read is never written. The file ends as ``before`` did: a new last table's blank
        line is not left behind."""
        try:
            data = dumps(edit, like=before, keep=True)
        except TomlEditError as err:
            raise ConfigError(
                f"Cannot write {self.path}: {err}; the old file is unchanged."
            ) from None
        try:
            ensure_dir(self.path.parent)
            target = write_target(self.path)
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode)
            except FileNotFoundError:
                mode = _DEFAULT_FILE_MODE
            atomic_write(self.path, data.encode("utf-8"), mode=mode)
        except OSError as err:
            raise ConfigError(
                f"Cannot write {self.path}: {err.strerror or err}. "
                f"Check that its folder exists and is writable; the old file is unchanged."
            ) from None


def _new_document() -> TOMLDocument:
    import tomlkit

    return tomlkit.document()


def _put_profile(edit: TOMLDocument, name: str, values: dict[str, Any]) -> None:
    """Set profile ``name``'s known keys to ``values`` in the editable document, in place.

    An existing table is edited key by key (unchanged values, their comments and keys
    flowtui does not know stay as they are; known keys absent from ``values`` go); a new one
    is added after the other profiles.
    """
    import tomlkit
    from tomlkit.items import InlineTable

    if "profiles" not in edit:
        edit["profiles"] = tomlkit.table(is_super_table=True)
    tables = edit["profiles"]
    old = tables.get(name)
    if not isinstance(old, dict):
        if isinstance(tables, InlineTable):  # profiles = { shop = { ... } }
            tables[name] = tomlkit.inline_table()
            tables[name].update(values)
            return
        table = tomlkit.table()
        table.update(values)
        table.add(tomlkit.nl())  # a blank line before whatever table follows it
        tables[name] = table
        return
    for key in _FIELD_NAMES:
        if key not in values:
            if key in old:
                del old[key]
            continue
        value = values[key]
        current = plain(old.get(key))
        if type(current) is not type(value) or current != value:
            old[key] = value


def _sorted_names(tables: dict[str, Any]) -> list[str]:
    """Profile names sorted case-insensitively (ties broken by exact spelling)."""
    return sorted(tables, key=lambda name: (name.lower(), name))
