"""The one place composelint writes a user's files (``--fix``): atomically, or not at all.

Every file is written in two phases. First each new content goes to a temporary file in the same
directory (flushed to disk, with the original's mode): a full disk, a permission problem or a
Ctrl-C here removes the temporary files and leaves every original untouched. Then each temporary
file is renamed over its original (``os.replace``, atomic on POSIX and Windows): a file is at any
moment either the old one or the new one, never half-written, whatever interrupts the run.

Refused, with a one-line reason: a file whose bytes changed since composelint read them (someone
saved it meanwhile: the fix was computed for other text), a path whose real location is outside
the project root (a symlink out of it: the link's target is not the project's to change), a file
that is not a regular file, a read-only file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from typing import Sequence

from composelint.records import record

TEMP_SUFFIX = ".composelint-tmp"


class WriteError(Exception):
    """One file could not be written; the message is one line and names the file. ``written``: the
    files renamed into place before it happened (none when the first phase failed)."""

    def __init__(self, message: str, written: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.written = list(written)


@record(frozen=True, slots=True)
class Change:
    path: str  # relative to the root, "/"-separated
    expected: str  # sha256 of the bytes read when the fix was computed
    data: bytes  # the new content


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def target_of(root: str, relpath: str) -> str:
    """The real file behind ``relpath``; WriteError when it leads outside the root."""
    full = os.path.join(root, *relpath.split("/"))
    real = os.path.realpath(full)
    if not _inside(real, os.path.realpath(root)):
        raise WriteError(f"{relpath}: not written: it is a symlink to {real}, outside the project root")
    return real


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as stream:
        return stream.read()


def _check(root: str, change: Change) -> tuple[str, os.stat_result]:
    real = target_of(root, change.path)
    try:
        info = os.stat(real)
        if not stat.S_ISREG(info.st_mode):
            raise WriteError(f"{change.path}: not written: not a regular file")
        current = read_bytes(real)
    except OSError as exc:
        raise WriteError(f"{change.path}: not written: {exc.strerror or exc}") from None
    if digest(current) != change.expected:
        raise WriteError(f"{change.path}: not written: the file changed on disk since composelint read it; "
                         "run the fix again")
    if not os.access(real, os.W_OK) or not info.st_mode & stat.S_IWUSR:
        raise WriteError(f"{change.path}: not written: the file is read-only")
    return real, info


def _write_temp(real: str, info: os.stat_result, data: bytes) -> str:
    directory, name = os.path.split(real)
    import tempfile

    fd, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=directory)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if hasattr(os, "fchmod"):
            os.fchmod(fd, stat.S_IMODE(info.st_mode))
        if hasattr(os, "fchown"):
            try:
                os.fchown(fd, info.st_uid, info.st_gid)
            except OSError:
                pass  # another user's file in a directory we may write: it becomes ours, mode kept
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _remove(temp)
        raise
    os.close(fd)
    return temp


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_all(root: str, changes: Sequence[Change]) -> list[str]:
    """Write every change, all or none in phase one; returns the paths written.

    WriteError (nothing was written) for a refused file or a failed temporary write. A
    KeyboardInterrupt propagates after the temporary files are removed; in the renaming phase the
    paths already renamed are in ``exc.written`` (each file old or new, never half-written).
    """
    prepared: list[tuple[Change, str, str]] = []
    try:
        for change in changes:
            real, info = _check(root, change)
            try:
                temp = _write_temp(real, info, change.data)
            except OSError as exc:
                reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
                raise WriteError(f"{change.path}: not written: {reason}") from None
            prepared.append((change, real, temp))
    except BaseException:
        for _change, _real, temp in prepared:
            _remove(temp)
        raise
    written: list[str] = []
    try:
        for change, real, temp in prepared:
            os.replace(temp, real)
            written.append(change.path)
    except BaseException as exc:
        for _change, _real, temp in prepared[len(written):]:
            _remove(temp)
        if isinstance(exc, OSError):
            raise WriteError(f"{prepared[len(written)][0].path}: not written: {exc.strerror or exc}",
                             written) from None
        exc.written = list(written)  # type: ignore[attr-defined]
        raise
    return written
