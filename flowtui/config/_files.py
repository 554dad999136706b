"""Small file helpers shared by every file flowtui writes.

Atomic replacement (a temporary file in the same folder, fsync, ``os.replace``) so a crash or
a full disk never leaves a half-written config or credentials file behind; a lock across
processes for every read-modify-write of a shared file (:func:`locked`); and files that hold
customer data created 0600 in a 0700 folder (:func:`open_private`). Nothing here imports
Textual.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

try:  # POSIX; on Windows the lock is a no-op (see locked())
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

#: Whether POSIX permission bits mean anything here (they do not on Windows).
POSIX = os.name == "posix"


def write_target(path: Path) -> Path:
    """The file that writing ``path`` should replace: the target of a symlink, else ``path``.

    Replacing a symlink itself would silently turn a dotfile manager's link into a plain file.
    """
    return path.resolve() if path.is_symlink() else path


def ensure_dir(path: Path, mode: int | None = None) -> None:
    """Create ``path`` (and its parents) if missing; give a newly created leaf ``mode``.

    An existing folder is left exactly as it is: its permissions are the user's business.
    """
    if path.is_dir():
        return
    try:
        path.mkdir(parents=True)
    except FileExistsError:
        return
    if mode is not None and POSIX:
        os.chmod(path, mode)


def _fsync_dir(directory: Path) -> None:
    """Flush a folder's entry table so a rename survives a power cut (best effort, POSIX)."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int) -> None:
    """Replace ``path`` with ``data`` atomically; the new file gets permission bits ``mode``.

    The temporary file is created by ``mkstemp`` (mode 0600 whatever the umask), chmod-ed to
    ``mode`` before any byte is written, fsync-ed, then renamed over the target. On any failure
    the temporary file is removed and the original file is untouched.
    """
    target = write_target(path)
    directory = target.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            if POSIX:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


class LockTimeout(OSError):
    """Another flowtui process held a shared file's lock for longer than we wait."""


@contextlib.contextmanager
def locked(path: Path, *, timeout: float = 30.0, what: str | None = None) -> Iterator[None]:
    """Hold an exclusive lock, across processes, on ``path`` for a read-modify-write of it.

    The lock is ``fcntl.flock`` on a sidecar file ``.NAME.lock`` beside ``path`` (never the
    file itself, which atomic writes replace). A concurrent writer waits up to ``timeout``
    seconds, then gets :class:`LockTimeout` saying plainly what to wait for. Locks are
    released by the kernel when a process dies, so a crash never leaves one behind.
    """
    target = write_target(path)
    ensure_dir(target.parent, 0o700)
    lock_path = target.parent / f".{target.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise LockTimeout(
                            f"{what or target.name} is being changed by another flowtui "
                            f"process; wait for it to finish and try again ({lock_path})"
                        ) from None
                    time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def open_private(path: Path, mode: str = "w", **kwargs: object) -> IO:
    """Open ``path`` for writing as a file that holds customer data: created 0600 whatever the
    umask (an existing file is set to 0600 too), in a folder created 0700 when missing."""
    ensure_dir(path.parent, 0o700)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    if POSIX:
        with contextlib.suppress(OSError):  # not ours to change (say, /dev/stdout)
            if os.path.isfile(path):
                os.fchmod(fd, 0o600)
    return os.fdopen(fd, mode, **kwargs)  # type: ignore[call-overload]
