"""Reading project files safely, and recording what a run read.

Every read stays inside the project root (no symlink leads out), opens only regular files without
blocking, stops at a size limit, and turns every I/O fault into a problem with a location instead
of an exception. While a run is observed (``observing``), each read and probe is recorded, so that
the result cache can tell later, by repeating them, whether the run's inputs are unchanged.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from composelint.records import record

def is_inside(real: str, real_root: str) -> bool:
    """Whether a resolved path is the resolved root or below it."""
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


@record(frozen=True, slots=True)
class ReadResult:
    text: str | None
    error: str | None = None  # one line: why the file could not be used
    line: int = 1
    column: int = 1
    kind: str = "io"  # "io" | "binary" | "encoding" | "limit"


# What a run observed of the file system, while composelint.cache records it: ("read", relpath,
# max_bytes, ReadResult, stamp) for every read, (kind, relpath, outcome) for every other probe. None otherwise.
_observed: list | None = None


class observing:
    """Collect what reads and probes return for the duration of a ``with`` block (nestable)."""

    def __enter__(self) -> list:
        global _observed
        self._previous = _observed
        self.entries: list = []
        _observed = self.entries
        return self.entries

    def __exit__(self, *exc_info) -> None:
        global _observed
        _observed = self._previous


def is_observing() -> bool:
    return _observed is not None


def export_observations(entries: list) -> list:
    """Observations as plain values (``marshal``-safe), for a forked process to send back."""
    plain = []
    for entry in entries:
        if entry[0] == "read":
            _, relpath, limit, result, stamp = entry
            plain.append(("read", relpath, limit, (result.text, result.error, result.line, result.column, result.kind),
                          stamp))
        else:
            plain.append(tuple(entry))
    return plain


def import_observations(plain: list) -> None:
    """Record, as this process's own, what another process observed (see export_observations)."""
    if _observed is None:
        return
    for entry in plain:
        if entry[0] == "read":
            _observed.append(("read", entry[1], entry[2], ReadResult(*entry[3]), entry[4]))
        else:
            _observed.append(tuple(entry))


def note(kind: str, relpath: str, outcome: object) -> None:
    """Record a probe of the file system (an ``is_file``, a ``stat``) made for the model."""
    if _observed is not None:
        _observed.append((kind, relpath, outcome))


# The probes note() records: the run that records them and the cache's replay must probe alike.
def probe_is_file(root: Path, relpath: str) -> bool:
    return (root / relpath).is_file()


def probe_exists(root: Path, relpath: str) -> bool:
    """Whether a path exists, following symlinks; a path that cannot be checked counts as existing."""
    try:
        os.stat(root.joinpath(*relpath.split("/")))
        return True
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True


def read_text(root: Path, relpath: str, max_bytes: int, realpaths: dict | None = None) -> ReadResult:
    """Read a project file as UTF-8 text without blocking, following no path out of the root.

    ``realpaths`` memoizes resolved directories for the duration of one build (resolving every
    component of every path again costs a ``lstat`` each: seconds for thousands of files).
    """
    return read_stamped(root, relpath, max_bytes, realpaths)[0]


def read_stamped(root: Path, relpath: str, max_bytes: int, realpaths: dict | None = None
                 ) -> tuple[ReadResult, tuple | None]:
    """read_text's result, and the file's stamp when it was read whole and has settled (else None)."""
    result, stamp = _read_text(root, relpath, max_bytes, realpaths)
    if _observed is not None:
        _observed.append(("read", relpath, max_bytes, result, stamp))
    return result, stamp


def still_as_read(root: Path, relpath: str, stamp: tuple, realpaths: dict | None = None) -> bool:
    """Whether the file that read_text read when it took ``stamp`` is still that file, unchanged,
    reached the same way: one ``stat``, no read (the result cache checks a thousand files so)."""
    full = os.path.join(str(root), *relpath.split("/"))
    try:
        info = os.lstat(full)  # the file itself, unless it is a link: then what it leads to
        link = stat.S_ISLNK(info.st_mode)
        if not _leads_inside(root, relpath, full, realpaths, link):
            return False
        if link:
            info = os.stat(full)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(info.st_mode) and stamp_of(info) == stamp


class StampCheck:
    """still_as_read for the many files of one root, as the result cache checks them: each directory
    is joined and resolved once, and a file costs one ``lstat`` (symlinks and unusual paths take the
    general way)."""

    def __init__(self, root: Path, realpaths: dict):
        self._root, self._realpaths = root, realpaths
        self._directories: dict[str, tuple[str, bool] | None] = {}

    def __call__(self, relpath: str, stamp: tuple) -> bool:
        directory, _, name = relpath.rpartition("/")
        if directory in self._directories:
            known = self._directories[directory]
        else:
            known = self._directories[directory] = self._directory(directory)
        if known is None or name in ("", ".", ".."):
            return still_as_read(self._root, relpath, stamp, self._realpaths)
        full_directory, inside = known
        try:
            info = os.lstat(os.path.join(full_directory, name))
        except (OSError, ValueError):
            return False
        if stat.S_ISLNK(info.st_mode):
            return still_as_read(self._root, relpath, stamp, self._realpaths)
        # A file's resolved path is its resolved directory's and its name: inside when the directory is.
        return inside and stat.S_ISREG(info.st_mode) and stamp_of(info) == stamp

    def _directory(self, directory: str) -> tuple[str, bool] | None:
        """The directory joined to the root, and whether it resolves inside the root; None: see still_as_read."""
        parts = directory.split("/") if directory else []
        if ".." in parts:
            return None
        root_text = str(self._root)
        full = os.path.join(root_text, *parts) if parts else root_text
        try:
            return full, is_inside(_real_directory(full, self._realpaths), _real_root(root_text, self._realpaths))
        except (OSError, ValueError):
            return None


# A file changed within this long of its last recorded change may change again within the same clock
# tick of the file system's timestamps (coarse on Linux, 2 s on FAT) without its stamp changing.
_SETTLED_NS = 2_000_000_000


def stamp_of(info: os.stat_result) -> tuple | None:
    """What tells this version of a file from any other without reading it (as git's index and ruff's
    cache do): device, inode, size, and the modification and status-change times (the latter no tool
    can set back). None while the file is too recently changed for that to hold."""
    if os.name != "posix":
        return None  # Windows reports the creation time as st_ctime: an edit could keep every field
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < _SETTLED_NS:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _realpath(path: str, realpaths: dict | None, link: bool | None = None) -> str:
    """``link``: whether ``path`` is a symlink, when the caller has just looked (None: look)."""
    if realpaths is None:
        return os.path.realpath(path)
    directory, name = os.path.split(path)
    if not name or name in (".", "..") or (os.path.islink(path) if link is None else link):
        return os.path.realpath(path)
    return os.path.join(_real_directory(directory, realpaths), name)


def _real_directory(directory: str, realpaths: dict) -> str:
    """realpath() of a directory, built on its parent's memoized one: one ``lstat`` per new directory."""
    real = realpaths.get(directory)
    if real is None:
        parent, name = os.path.split(directory)
        if not name or name in (".", "..") or parent == directory or os.path.islink(directory):
            real = os.path.realpath(directory)
        else:
            real = os.path.join(_real_directory(parent, realpaths), name)
        realpaths[directory] = real
    return real


def _leads_inside(root: Path, relpath: str, full: str, realpaths: dict | None, link: bool | None = None) -> bool:
    if realpaths is not None and ".." in relpath.split("/"):
        realpaths = None
    return is_inside(_realpath(full, realpaths, link), _real_root(str(root), realpaths))


def _real_root(root_text: str, realpaths: dict | None) -> str:
    """realpath() of the root, kept in ``realpaths`` when there is one."""
    if realpaths is None:
        return os.path.realpath(root_text)
    real = realpaths.get(root_text)
    if real is None:
        real = realpaths[root_text] = os.path.realpath(root_text)
    return real


def _read_text(root: Path, relpath: str, max_bytes: int, realpaths: dict | None) -> tuple[ReadResult, tuple | None]:
    """The result, and the file's stamp when it was read whole (None otherwise)."""
    full = os.path.join(str(root), *relpath.split("/"))
    try:
        if not _leads_inside(root, relpath, full, realpaths):
            return ReadResult(None, "the path leads outside the project root; composelint does not read it"), None
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(full, flags)
    except FileNotFoundError:
        return ReadResult(None, "the file does not exist (it may have been removed while composelint ran)"), None
    except PermissionError:
        return ReadResult(None, "permission denied: composelint cannot read this file"), None
    except OSError as exc:
        return ReadResult(None, f"cannot open the file: {exc.strerror or exc}"), None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ReadResult(None, "not a regular file (a FIFO, socket or device); composelint reads only files"), None
        if info.st_size > max_bytes:
            return ReadResult(None, f"the file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit; "
                                    "raise `limits.max-file-size` to lint it", kind="limit"), None
        # One read of the size fstat reported (+1 to see growth): asking for a fixed large
        # buffer makes every read allocate, and page in, that much memory.
        chunks = []
        remaining = max_bytes + 1
        request = min(info.st_size + 1, remaining)
        while remaining > 0:
            chunk = os.read(fd, request)
            chunks.append(chunk)
            remaining -= len(chunk)
            if len(chunk) < request:
                break  # a short read of a regular file: its end
            request = min(1 << 16, remaining)  # it grew since fstat: read on in modest chunks
        data = b"".join(chunks)
    except OSError as exc:
        return ReadResult(None, f"cannot read the file: {exc.strerror or exc}"), None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return ReadResult(None, f"the file grew over the {max_bytes:,}-byte limit while being read", kind="limit"), None
    # Stamped from the fstat before the read: a change during it makes the stamp stale, never wrong.
    return decode(data), (stamp_of(info) if len(data) == info.st_size else None)


def decode(data: bytes) -> ReadResult:
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        column = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        return ReadResult(None, "the file is binary (it contains NUL bytes), not text", line, column, "binary")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[data.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")) + 1
        return ReadResult(None, f"the file is not UTF-8 text: byte 0x{data[exc.start]:02x} cannot be decoded",
                          line, column, "encoding")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return ReadResult(text)
