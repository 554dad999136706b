"""The sandbox's database file holds names, emails and custom values: it is created 0600 in a
folder created 0700, like every other file of flowtui that holds customer data.

(The sandbox imports only :mod:`flowtui.core` and itself, hence this small helper rather than
:func:`flowtui.config._files.open_private`.) SQLite gives its ``-wal`` and ``-shm`` files the
mode of the database file, so they are private too.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

#: Mode of the database file, and of a folder created for it.
FILE_MODE, FOLDER_MODE = 0o600, 0o700


def make_folder(folder: Path) -> None:
    """Create ``folder`` 0700 when it is missing (its missing parents with the usual mode, as
    they hold other things too); an existing folder is left as it is."""
    if folder.exists():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=FOLDER_MODE)
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered by the umask


def prepare_database(path: str) -> None:
    """Make sure the database file at ``path`` exists and only its owner can read it.

    A new file is created 0600 (its folder 0700); an existing file that others may read (made
    by an older flowtui, with the umask) is tightened to 0600 when it is ours.
    """
    file = Path(path)
    make_folder(file.parent)
    fd = os.open(file, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        info = os.fstat(fd)
        if stat.S_IMODE(info.st_mode) & 0o077 and info.st_uid == os.getuid():
            os.fchmod(fd, stat.S_IMODE(info.st_mode) & 0o700)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        with contextlib.suppress(OSError):
            if side.stat().st_uid == os.getuid():
                os.chmod(side, FILE_MODE)
