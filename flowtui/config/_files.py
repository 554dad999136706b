"""Small file helpers shared by the profile store and the credentials file.

Atomic replacement (a temporary file in the same folder, fsync, ``os.replace``) so a crash or
a full disk never leaves a half-written config or credentials file behind. Nothing here
imports Textual.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

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
