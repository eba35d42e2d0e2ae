"""Project-relative paths: POSIX separators, ``""`` for the project root."""

from __future__ import annotations

import posixpath


def dirname(relpath: str) -> str:
    """The directory holding ``relpath`` (``""``: the root)."""
    return relpath.rsplit("/", 1)[0] if "/" in relpath else ""


def parents(directory: str) -> list[str]:
    """``a/b`` -> [a/b, a, ""]: a directory and those above it, nearest first."""
    result = [directory]
    while directory:
        directory = dirname(directory)
        result.append(directory)
    return result


def resolve_relative(base_dir: str, written: str) -> str | None:
    """``written`` relative to ``base_dir``, project-relative; None when absolute (``/``, ``~``, a drive
    letter) or outside the root."""
    if not written or written.startswith(("/", "~")) or (len(written) > 1 and written[1] == ":"):
        return None
    joined = posixpath.normpath(posixpath.join(base_dir, written) if base_dir else written)
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined
