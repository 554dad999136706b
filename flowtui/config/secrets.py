"""Client secrets and cached tokens: a 0600 TOML file, or the OS keyring.

The credentials file (``credentials.toml`` in :func:`flowtui.config.paths.data_dir`) looks
like::

    [profiles.shop]
    client_secret = "..."
    token = { access_token = "...", expires = 1700000000.0, kind = "client_credentials" }

It is always written with mode 0600 (whatever the umask) and refused, unread, when group or
other users can access it. Changes edit it in place (comments stay), under a lock across
processes, and a file nested too deeply is refused before it is parsed (see
:mod:`flowtui.config._toml`). With the optional ``keyring`` extra a profile can keep its secret
in the OS keyring instead (service ``flowtui``).

Secrets never appear in ``repr()``, exception messages or logs: nothing here formats a secret
value, stores never cache one, and errors raised while a secret is in hand are not chained
to the exceptions that may carry it. Nothing here imports Textual.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import time
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowtui.config import paths
from flowtui.config._files import POSIX, LockTimeout, atomic_write, ensure_dir, locked
from flowtui.config._toml import MAX_DEPTH, TomlEditError, dumps, editable, nesting_line
from flowtui.config.profiles import Profile, validate_name

if TYPE_CHECKING:  # tomlkit is imported on the first edit: reading needs only tomllib
    from tomlkit.toml_document import TOMLDocument

__all__ = [
    "CREDENTIALS_FILE",
    "KEYRING_SERVICE",
    "CachedToken",
    "FileSecrets",
    "KeyringSecrets",
    "SecretStore",
    "SecretsError",
    "secret_store",
]

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "credentials.toml"
KEYRING_SERVICE = "flowtui"
FILE_MODE = 0o600
DIR_MODE = 0o700
KEYRING_HINT = "pip install 'flowtui[keyring]'"
#: Seconds a change waits for another flowtui process that is changing the file.
LOCK_TIMEOUT = 30.0


@dataclass(frozen=True)
class CachedToken:
    """An access token and when it stops working; ``repr()`` never shows the token."""

    access_token: str = field(repr=False)
    expires: float
    """Unix time (seconds) at which the token expires."""
    kind: str
    """The grant that produced it: ``"client_credentials"`` or ``"implicit"``."""

    def valid(self, now: float | None = None, margin: float = 60.0) -> bool:
        """Whether the token is still usable ``margin`` seconds from ``now`` (default: now)."""
        current = time.time() if now is None else now
        return current < self.expires - margin

    def to_dict(self) -> dict[str, Any]:
        """The token as plain data, for the credentials file or the keyring."""
        return {"access_token": self.access_token, "expires": self.expires, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: object) -> CachedToken | None:
        """Rebuild a token from :meth:`to_dict` data; ``None`` if the data is malformed."""
        if not isinstance(data, dict):
            return None
        token, expires, kind = data.get("access_token"), data.get("expires"), data.get("kind")
        if (
            not isinstance(token, str)
            or not token
            or isinstance(expires, bool)
            or not isinstance(expires, int | float)
            or not isinstance(kind, str)
        ):
            return None
        return cls(access_token=token, expires=float(expires), kind=kind)


class SecretsError(Exception):
    """Secrets cannot be read or stored; the message says where and what to do (never the
    secret itself)."""


class SecretStore(ABC):
    """Where a profile's client secret and cached token are kept."""

    @abstractmethod
    def get_secret(self, profile: str) -> str | None:
        """The client secret of ``profile``, or ``None`` if none is stored."""

    @abstractmethod
    def set_secret(self, profile: str, secret: str) -> None:
        """Store ``secret`` as the client secret of ``profile``."""

    @abstractmethod
    def get_token(self, profile: str) -> CachedToken | None:
        """The cached access token of ``profile``, or ``None``."""

    @abstractmethod
    def set_token(self, profile: str, token: CachedToken | None) -> None:
        """Cache ``token`` for ``profile``; ``None`` clears the cached token."""

    @abstractmethod
    def delete(self, profile: str) -> None:
        """Forget both the secret and the token of ``profile`` (no error if there are none)."""

    def replace(self, profile: str, secret: str | None, token: CachedToken | None) -> None:
        """Forget what ``profile`` had, then store ``secret`` and ``token`` (``None``: none)."""
        self.delete(profile)
        if secret is not None:
            self.set_secret(profile, secret)
        if token is not None:
            self.set_token(profile, token)


def _check_profile_name(profile: str) -> None:
    """Raise SecretsError if ``profile`` is not a valid profile name."""
    problem = validate_name(profile)
    if problem:
        raise SecretsError(problem)


def _check_secret(secret: object) -> None:
    """Raise SecretsError (without echoing it) if ``secret`` is not a non-empty string."""
    if not isinstance(secret, str) or not secret:
        raise SecretsError("A client secret must be non-empty text.")


class FileSecrets(SecretStore):
    """Secrets in a TOML file readable only by its owner (mode 0600, folder 0700 if created).

    The file is read on every call (nothing is cached in the object) and replaced atomically
    on every change. A file others can access, or one that cannot be parsed, raises
    :class:`SecretsError` and is never overwritten.
    """

    def __init__(self, path: Path | None = None) -> None:
        """Use ``path``, or ``credentials.toml`` in :func:`paths.data_dir`."""
        self.path: Path = Path(path) if path is not None else paths.data_dir() / CREDENTIALS_FILE

    def __repr__(self) -> str:
        """Show the file's location only."""
        return f"FileSecrets(path={str(self.path)!r})"

    def _read_text(self) -> str | None:
        """The file's text (``None`` if missing), after checking that only its owner can
        use it."""
        path = self.path
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except PermissionError:
            raise SecretsError(
                f"Cannot read {path}: permission denied. It should belong to you; "
                f"then run: chmod 600 {path}"
            ) from None
        except OSError as err:
            raise SecretsError(f"Cannot open {path}: {err.strerror or err}.") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise SecretsError(
                    f"{path} is not a regular file; move it out of the way and enter the "
                    f"secrets again."
                )
            if POSIX and info.st_mode & 0o077:
                raise SecretsError(f"{path} is readable by other users; run: chmod 600 {path}")
            with os.fdopen(fd, "rb") as handle:
                fd = -1
                raw = handle.read()
        finally:
            if fd >= 0:
                os.close(fd)
        text = None
        with contextlib.suppress(UnicodeDecodeError):  # its text would carry the file's bytes
            text = raw.decode("utf-8")
        del raw
        if text is None:
            raise self._unusable("is not UTF-8 text")
        return text

    def _unusable(self, problem: str) -> SecretsError:
        """The error for a credentials file that cannot be used as it is."""
        return SecretsError(
            f"{self.path} {problem}. Fix it, or move it away and enter the secrets again; "
            f"flowtui has not changed it."
        )

    def _parse(self, text: str | None) -> dict[str, Any]:
        """The parsed file (``{}`` if missing); SecretsError if it is not usable TOML.

        The nesting depth is checked before parsing (see :func:`_toml.nesting_line`).
        """
        if text is None:
            return {}
        line = nesting_line(text)
        if line is not None:
            raise self._unusable(
                f"nests tables, arrays or dotted keys more than {MAX_DEPTH} levels deep "
                f"(line {line}); flowtui reads at most {MAX_DEPTH}"
            )
        # Parse without keeping any exception around: they can carry the file's text.
        problem = None
        doc: dict[str, Any] = {}
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            problem = f"is not valid TOML ({_position(err)})"
        if problem is None and not isinstance(doc.get("profiles", {}), dict):
            problem = "has a 'profiles' key that is not a table"
        if problem is not None:
            raise self._unusable(problem)
        return doc

    def _read(self) -> dict[str, Any]:
        """The parsed file (``{}`` if missing), after checking that only its owner can use it."""
        return self._parse(self._read_text())

    def check(self) -> None:
        """Raise SecretsError if the file cannot be used as it is (nothing is changed)."""
        self._read()

    def _entry(self, doc: dict[str, Any], profile: str) -> dict[str, Any]:
        """The table of ``profile`` in ``doc`` (empty if absent); SecretsError if malformed."""
        entry = doc.get("profiles", {}).get(profile, {})
        if not isinstance(entry, dict):
            raise SecretsError(
                f"{self.path}: the entry of profile {profile!r} is not a table. Fix or delete "
                f"it, then enter the secret again."
            )
        return entry

    def _change(self, change: Callable[[dict[str, Any], TOMLDocument], bool]) -> None:
        """Apply ``change`` under the file's lock across processes: it gets the parsed file
        (to check) and the editable one (to edit in place) and says whether it changed
        anything; then the file is replaced, mode 0600, its folder created 0700 if needed."""
        ensure = "Check that its folder is writable; the old file is unchanged."
        with contextlib.ExitStack() as stack:
            try:
                ensure_dir(self.path.parent, DIR_MODE)
                stack.enter_context(locked(self.path, timeout=LOCK_TIMEOUT, what=str(self.path)))
            except LockTimeout as err:
                raise SecretsError(str(err)) from None
            except OSError as err:
                raise SecretsError(
                    f"Cannot change {self.path}: {err.strerror or err}. {ensure}"
                ) from None
            text = self._read_text()
            doc = self._parse(text)
            edit: TOMLDocument | None = None
            with contextlib.suppress(TomlEditError):
                if text is None:
                    import tomlkit  # on the first edit: reading needs only tomllib

                    edit = tomlkit.document()
                else:
                    edit = editable(text)
            before = text or ""
            del text
            if edit is None:
                raise self._unusable("cannot be edited in place")
            if not change(doc, edit):
                return
            data = b""
            try:
                data = dumps(edit, like=before).encode("utf-8")
                atomic_write(self.path, data, mode=FILE_MODE)
            except TomlEditError as err:
                raise SecretsError(f"Cannot write {self.path}: {err}. {ensure}") from None
            except OSError as err:
                raise SecretsError(
                    f"Cannot write {self.path}: {err.strerror or err}. {ensure}"
                ) from None
            finally:
                del data, before

    def _update(self, profile: str, values: dict[str, Any], *, replace: bool = False) -> None:
        """Set the keys of ``values`` in the entry of ``profile`` (``None`` removes a key) and
        save; with ``replace`` the entry's other keys go too. Nothing is written (nor
        created) when nothing changes."""

        def needed(doc: dict[str, Any]) -> bool:
            entry = self._entry(doc, profile)
            if replace and entry.keys() - {k for k, v in values.items() if v is not None}:
                return True
            return any(entry.get(k) != v or (v is not None and k not in entry)
                       for k, v in values.items())  # fmt: skip

        if not needed(self._read()):
            return

        def change(doc: dict[str, Any], edit: TOMLDocument) -> bool:
            import tomlkit

            if not needed(doc):
                return False
            if "profiles" not in edit:
                edit["profiles"] = tomlkit.table(is_super_table=True)
            tables: Any = edit["profiles"]
            if profile not in tables:
                tables[profile] = tomlkit.table()
            entry = tables[profile]
            if replace:
                for key in [k for k in entry if values.get(k) is None]:
                    del entry[key]
            for key, value in values.items():
                if value is None:
                    if key in entry:
                        del entry[key]
                elif isinstance(value, dict):
                    inline = tomlkit.inline_table()
                    inline.update(value)
                    entry[key] = inline
                else:
                    entry[key] = value
            if not entry:
                del tables[profile]
            return True

        self._change(change)

    def replace(self, profile: str, secret: str | None, token: CachedToken | None) -> None:
        """Forget what ``profile`` had and store ``secret`` and ``token``, in one write."""
        _check_profile_name(profile)
        if secret is not None:
            _check_secret(secret)
        values = {
            "client_secret": secret,
            "token": None if token is None else token.to_dict(),
        }
        self._update(profile, values, replace=True)
        log.debug("replaced the credentials of profile %s in %s", profile, self.path)

    def get_secret(self, profile: str) -> str | None:
        """The client secret of ``profile`` from the file, or ``None``."""
        value = self._entry(self._read(), profile).get("client_secret")
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise SecretsError(
                f"{self.path}: the client_secret of profile {profile!r} is not text. Fix it "
                f"or enter the secret again."
            )
        return value

    def set_secret(self, profile: str, secret: str) -> None:
        """Store the client secret of ``profile`` in the file."""
        _check_profile_name(profile)
        _check_secret(secret)
        self._update(profile, {"client_secret": secret})
        log.debug("stored the client secret of profile %s in %s", profile, self.path)

    def get_token(self, profile: str) -> CachedToken | None:
        """The cached token of ``profile`` from the file, or ``None``."""
        data = self._entry(self._read(), profile).get("token")
        if data is None:
            return None
        token = CachedToken.from_dict(data)
        if token is None:
            raise SecretsError(
                f"{self.path}: the cached token of profile {profile!r} is malformed. Delete "
                f"its 'token' entry; flowtui will sign in again."
            )
        return token

    def set_token(self, profile: str, token: CachedToken | None) -> None:
        """Cache ``token`` for ``profile`` in the file; ``None`` removes it."""
        _check_profile_name(profile)
        self._update(profile, {"token": None if token is None else token.to_dict()})
        log.debug("%s the token of profile %s", "cleared" if token is None else "cached", profile)

    def delete(self, profile: str) -> None:
        """Remove the secret and token of ``profile``; the file is not created if missing."""
        if profile not in self._read().get("profiles", {}):
            return

        def change(doc: dict[str, Any], edit: TOMLDocument) -> bool:
            if profile not in doc.get("profiles", {}):
                return False
            tables: Any = edit["profiles"]
            del tables[profile]
            return True

        self._change(change)
        log.debug("deleted the credentials of profile %s from %s", profile, self.path)


def _position(err: tomllib.TOMLDecodeError) -> str:
    """Where a TOML error happened, e.g. ``"line 3, column 7"``, without any file content."""
    line, column = getattr(err, "lineno", None), getattr(err, "colno", None)
    if line is None:  # Python < 3.14: the position is only in the message
        text = str(err)
        start = text.rfind("(at ")
        return text[start + 4 : -1] if start >= 0 and text.endswith(")") else "syntax error"
    return f"line {line}, column {column}"


class KeyringSecrets(SecretStore):
    """Secrets in the OS keyring (service ``flowtui``): the secret under ``<profile>``, the
    token as JSON under ``<profile>:token``. Needs the optional ``keyring`` package."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        """Import ``keyring``; SecretsError with the install command if it is missing."""
        try:
            import keyring
        except ImportError:
            raise SecretsError(
                f"Keeping secrets in the OS keyring needs the optional keyring package: "
                f'{KEYRING_HINT} (or set secret_backend = "file" in the profile).'
            ) from None
        self._keyring = keyring
        self.service = service

    def __repr__(self) -> str:
        """Show the keyring service name only."""
        return f"KeyringSecrets(service={self.service!r})"

    def _call(self, action: str, profile: str, func: Any, *args: str, secret: str = "") -> Any:
        """Call a keyring function; its failures become SecretsError with ``secret`` redacted."""
        try:
            return func(*args)
        except Exception as err:
            detail = str(err)
            if secret:
                detail = detail.replace(secret, "***")
            message = (
                f"The OS keyring could not {action} for profile {profile!r} (service "
                f"{self.service!r}): {type(err).__name__}: {detail}"
            )
        # Raised outside the except block so the original exception is not chained.
        raise SecretsError(message)

    def get_secret(self, profile: str) -> str | None:
        """The client secret of ``profile`` from the keyring, or ``None``."""
        value = self._call(
            "read the secret", profile, self._keyring.get_password, self.service, profile
        )
        return value or None

    def set_secret(self, profile: str, secret: str) -> None:
        """Store the client secret of ``profile`` in the keyring."""
        _check_profile_name(profile)
        _check_secret(secret)
        self._call(
            "store the secret",
            profile,
            self._keyring.set_password,
            self.service,
            profile,
            secret,
            secret=secret,
        )
        log.debug("stored the client secret of profile %s in the keyring", profile)

    def get_token(self, profile: str) -> CachedToken | None:
        """The cached token of ``profile`` from the keyring, or ``None``."""
        key = f"{profile}:token"
        raw = self._call("read the token", profile, self._keyring.get_password, self.service, key)
        if not raw:
            return None
        token = None
        with contextlib.suppress(ValueError):  # the decoder's error would carry the token
            token = CachedToken.from_dict(json.loads(raw))
        if token is None:
            raise SecretsError(
                f"The keyring entry {self.service}/{key} is not a valid cached token. Delete "
                f"it (keyring del {self.service} '{key}'); flowtui will sign in again."
            )
        return token

    def set_token(self, profile: str, token: CachedToken | None) -> None:
        """Cache ``token`` for ``profile`` in the keyring; ``None`` removes it."""
        _check_profile_name(profile)
        key = f"{profile}:token"
        if token is None:
            self._remove(profile, key)
            return
        self._call(
            "store the token",
            profile,
            self._keyring.set_password,
            self.service,
            key,
            json.dumps(token.to_dict()),
            secret=token.access_token,
        )

    def _remove(self, profile: str, key: str) -> None:
        """Delete one keyring entry if it exists."""
        get, remove = self._keyring.get_password, self._keyring.delete_password
        if self._call("read", profile, get, self.service, key) is not None:
            self._call("delete an entry", profile, remove, self.service, key)

    def delete(self, profile: str) -> None:
        """Remove the secret and token of ``profile`` from the keyring."""
        self._remove(profile, profile)
        self._remove(profile, f"{profile}:token")
        log.debug("deleted the keyring entries of profile %s", profile)


def secret_store(profile: Profile) -> SecretStore:
    """The store that keeps ``profile``'s secrets, chosen by its ``secret_backend``."""
    if profile.secret_backend == "file":
        return FileSecrets()
    if profile.secret_backend == "keyring":
        return KeyringSecrets()
    raise SecretsError(
        f"Profile {profile.name!r} has an unknown secret_backend {profile.secret_backend!r}: "
        f"use 'file' or 'keyring'."
    )
