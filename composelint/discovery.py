"""Which files of a repository composelint reads, and reading them safely.

The walk never follows a directory symlink (so no loop and no escape from the
root), never opens anything but a regular file (a FIFO named ``Dockerfile``
must not block), never reads more than a size limit, and turns every I/O
fault into a problem with a location instead of an exception.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
from dataclasses import field
from pathlib import Path

from composelint.records import record

SKIP_DIRS = frozenset((".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".composelint_cache",
                       ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"))

_COMPOSE_NAME = re.compile(
    r"^(?:(?:docker-)?compose(?:\.[^/]+)?|[^/]+\.compose)\.ya?ml$", re.IGNORECASE)
_DOCKERFILE_NAME = re.compile(r"^(?:(?:Dockerfile|Containerfile)(?:\.[^/]+)?|[^/]+\.[Dd]ockerfile)$")
# Files the model reads besides compose files and Dockerfiles.
_AUTOMATION_NAME = re.compile(
    r"^(?:Makefile|GNUmakefile|makefile|[^/]+\.mk|[^/]+\.sh|[^/]+\.bash|justfile|Justfile|\.justfile|"
    r"Taskfile\.ya?ml|\.gitlab-ci\.ya?ml|package\.json)$")
ROOT_MARKERS = (".git", ".composelint.yaml", ".composelint.yml")


def is_compose_name(name: str) -> bool:
    return bool(_COMPOSE_NAME.match(name))


def is_dockerfile_name(name: str) -> bool:
    return bool(_DOCKERFILE_NAME.match(name))


def is_automation_path(relpath: str) -> bool:
    name = relpath.rsplit("/", 1)[-1]
    if _AUTOMATION_NAME.match(name):
        return True
    return relpath.startswith(".github/workflows/") and name.endswith((".yml", ".yaml"))


def find_project_root(start: Path) -> Path:
    """The nearest ancestor holding .git, .composelint.yaml or a pyproject with [tool.composelint]."""
    start = start.resolve()
    directory = start if start.is_dir() else start.parent
    for candidate in (directory, *directory.parents):
        for marker in ROOT_MARKERS:
            if (candidate / marker).exists():
                return candidate
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                with open(pyproject, "rb") as handle:
                    head = handle.read(1_000_000)
            except OSError:
                continue
            if b"[tool.composelint" in head:
                return candidate
    return directory


@record
class FileSet:
    """Project-relative POSIX paths of what the walk found."""

    root: Path
    compose: list[str] = field(default_factory=list)
    dockerfiles: list[str] = field(default_factory=list)
    dockerignores: list[str] = field(default_factory=list)
    automation: list[str] = field(default_factory=list)
    all_files: set[str] = field(default_factory=set)
    directories: set[str] = field(default_factory=set)
    # (relpath, message) of entries the walk could not use: a symlink out of the root, a special file
    skipped: list[tuple[str, str]] = field(default_factory=list)


def _excluded(relpath: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatchcase(relpath, pattern) or fnmatch.fnmatchcase(relpath.rsplit("/", 1)[-1], pattern):
            return True
        if relpath.startswith(pattern + "/"):
            return True
    return False


def walk(root: Path, exclude: tuple[str, ...] = ()) -> FileSet:
    found = FileSet(root)
    root_str = str(root)
    real_root = os.path.realpath(root_str)

    def on_error(error: OSError) -> None:
        rel = os.path.relpath(error.filename or root_str, root_str).replace(os.sep, "/")
        found.skipped.append((rel, f"cannot list directory: {error.strerror or error}"))

    for directory, dirnames, filenames in os.walk(root_str, onerror=on_error, followlinks=False):
        reldir = os.path.relpath(directory, root_str).replace(os.sep, "/")
        reldir = "" if reldir == "." else reldir
        kept = []
        for name in sorted(dirnames):
            relpath = f"{reldir}/{name}" if reldir else name
            if name in SKIP_DIRS or _excluded(relpath, exclude):
                continue
            full = os.path.join(directory, name)
            if os.path.islink(full):
                continue  # directory symlinks are not followed: no loops, no escape from the root
            kept.append(name)
            found.directories.add(relpath)
        dirnames[:] = kept
        for name in sorted(filenames):
            relpath = f"{reldir}/{name}" if reldir else name
            if _excluded(relpath, exclude):
                continue
            full = os.path.join(directory, name)
            if os.path.islink(full):
                if not _inside(os.path.realpath(full), real_root):
                    if is_compose_name(name) or is_dockerfile_name(name):
                        found.skipped.append((relpath, "the file is a symlink that leads outside the project root; "
                                                       "composelint does not read it"))
                    continue
            found.all_files.add(relpath)
            if is_compose_name(name):
                found.compose.append(relpath)
            elif is_dockerfile_name(name):
                found.dockerfiles.append(relpath)
            elif name == ".dockerignore" or name.endswith(".dockerignore"):
                found.dockerignores.append(relpath)
            elif is_automation_path(relpath):
                found.automation.append(relpath)
    return found


def _inside(real: str, real_root: str) -> bool:
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
# max_bytes, ReadResult) for every read, (kind, relpath, outcome) for every other probe. None otherwise.
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
            _, relpath, limit, result = entry
            plain.append(("read", relpath, limit, (result.text, result.error, result.line, result.column, result.kind)))
        else:
            plain.append(tuple(entry))
    return plain


def import_observations(plain: list) -> None:
    """Record, as this process's own, what another process observed (see export_observations)."""
    if _observed is None:
        return
    for entry in plain:
        if entry[0] == "read":
            _observed.append(("read", entry[1], entry[2], ReadResult(*entry[3])))
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
    result = _read_text(root, relpath, max_bytes, realpaths)
    if _observed is not None:
        _observed.append(("read", relpath, max_bytes, result))
    return result


def _realpath(path: str, realpaths: dict | None) -> str:
    if realpaths is None:
        return os.path.realpath(path)
    directory, name = os.path.split(path)
    if not name or name in (".", "..") or os.path.islink(path):
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


def _read_text(root: Path, relpath: str, max_bytes: int, realpaths: dict | None) -> ReadResult:
    full = os.path.join(str(root), *relpath.split("/"))
    try:
        if realpaths is not None and ".." in relpath.split("/"):
            realpaths = None
        real = _realpath(full, realpaths)
        root_text = str(root)
        real_root = realpaths.get(root_text) if realpaths is not None else None
        if real_root is None:
            real_root = os.path.realpath(root_text)
            if realpaths is not None:
                realpaths[root_text] = real_root
        if not _inside(real, real_root):
            return ReadResult(None, "the path leads outside the project root; composelint does not read it")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(full, flags)
    except FileNotFoundError:
        return ReadResult(None, "the file does not exist (it may have been removed while composelint ran)")
    except PermissionError:
        return ReadResult(None, "permission denied: composelint cannot read this file")
    except OSError as exc:
        return ReadResult(None, f"cannot open the file: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ReadResult(None, "not a regular file (a FIFO, socket or device); composelint reads only files")
        if info.st_size > max_bytes:
            return ReadResult(None, f"the file is {info.st_size:,} bytes, over the {max_bytes:,}-byte limit; "
                                    "raise `limits.max-file-size` to lint it", kind="limit")
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
        return ReadResult(None, f"cannot read the file: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return ReadResult(None, f"the file grew over the {max_bytes:,}-byte limit while being read", kind="limit")
    return decode(data)


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
