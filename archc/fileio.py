"""Every file archc writes goes through here: nothing a user has is lost.

A write goes to a temporary file in the target's folder, is flushed and synced,
and is renamed over the target, so a crash, a full disk or a kill at any moment
leaves either the old file or the new one, never a half-written one. A new file
gets the umask's mode; an existing one keeps its mode. Writing through a symlink
replaces the file it points to, not the link. A target that exists and is not a
regular file (a folder, a FIFO, a device) is refused, never replaced. A command
never writes over one of its own inputs, however the path is spelled (``./``, a
symlink, a hard link).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from archc.errors import ArchcError


class FileError(ArchcError):
    """A file cannot be read or written: the message names the path."""


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_input(out: str | Path, inputs: Iterable[str | Path | None], what: str = "output") -> None:
    """Refuse an output path that names one of the command's inputs."""
    shown, out = out, Path(out)
    for given in inputs:
        if given is None:
            continue
        src = Path(given)
        if (src.exists() and out.exists() and _same_file(out, src)) or \
                os.path.realpath(out) == os.path.realpath(src):
            raise FileError(f"{shown}: the {what} would overwrite the input {given}",
                            hint="choose another output path")


def check_regular(path: str | Path, what: str = "output") -> None:
    """Refuse an output path that exists and is not a regular file (or a symlink to one): a folder,
    a FIFO, a device such as /dev/null, a socket; replacing it would destroy it."""
    target = Path(path)
    if target.is_dir():
        raise FileError(f"{path}: is a directory", hint=f"give a file name for the {what}")
    if target.exists() and not target.is_file():
        kind = "a FIFO" if target.is_fifo() else "a socket" if target.is_socket() else "a device"
        raise FileError(f"{path}: is {kind}, not a regular file; archc writes only regular files",
                        hint=f"give the path of a regular file for the {what}")


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | Path, data: bytes | str | Callable[[BinaryIO], None],
                 inputs: Iterable[str | Path | None] = (), what: str = "output") -> Path:
    """Write ``data`` (bytes, text as UTF-8, or a function that writes to a binary file) to ``path``.

    Returns the path written. Raises FileError, naming the path, on any failure; the old file
    (if any) is then untouched and no temporary file is left behind.
    """
    target = Path(path)
    check_not_input(path, inputs, what)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    check_regular(path, what)
    folder = target.parent
    if not folder.is_dir():
        raise FileError(f"{path}: the folder {folder} does not exist")
    mode = target.stat().st_mode & 0o7777 if target.exists() else _umask_mode()
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise FileError(f"{path}: cannot write in {folder}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data.encode("utf-8") if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise FileError(f"{path}: cannot write: {e.strerror or e}") from None
        if isinstance(e, ArchcError):
            raise
        if isinstance(e, Exception):
            raise FileError(f"{path}: cannot write: {e}") from None
        raise
    _sync_folder(folder)
    return Path(path)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_bytes(path: str | Path, what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of a regular file, or a FileError naming the path (missing, a folder, unreadable, too big)."""
    p = Path(path)
    try:
        if p.is_dir():
            raise FileError(f"{path}: is a directory, not a {what}")
        if not p.exists():
            raise FileError(f"{path}: no such file")
        if not p.is_file():
            raise FileError(f"{path}: not a regular file")
        size = p.stat().st_size
        if limit is not None and size > limit:
            raise FileError(f"{path}: {size:,} bytes is larger than the limit for a {what} ({limit:,} bytes)")
        with open(p, "rb") as f:
            data = f.read(limit + 1 if limit is not None else -1)
    except OSError as e:
        raise FileError(f"{path}: cannot read: {e.strerror or e}") from None
    if limit is not None and len(data) > limit:
        raise FileError(f"{path}: larger than the limit for a {what} ({limit:,} bytes)")
    return data
