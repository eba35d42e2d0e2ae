"""Paths as Docker reads them, shared by every part of the image model and by the mount overlay.

A lookup answers one of three states: ``present``, ``absent`` (certain: nothing could have put it
there) or ``unknown``. Paths are normalised as BuildKit does (a leading ``//`` is ``/``; a COPY
source's ``..`` stops at the context root), and the directories no analysis descends into are named
once here.
"""

from __future__ import annotations

import posixpath
import re


PRESENT, ABSENT, UNKNOWN = "present", "absent", "unknown"
DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


SKIP_DIRS = frozenset((".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".composelint_cache",
                       ".hg", ".svn", ".mypy_cache", ".pytest_cache", ".ruff_cache"))


ARCHIVE = re.compile(r"\.(?:tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|gz|bz2|xz)\Z", re.IGNORECASE)
URL = re.compile(r"^(?:https?://|git@|git://|ssh://|github\.com/)", re.IGNORECASE)
GLOB = re.compile(r"[*?\[]")


def norm(path: str) -> str:
    """posixpath.normpath, but a leading `//` is `/` (as Docker treats it)."""
    normalized = posixpath.normpath(path)
    if normalized.startswith("//"):
        normalized = "/" + normalized.lstrip("/")
    return normalized


def clean_rel(path: str) -> str | None:
    """A COPY source as a context-relative path (BuildKit clamps `..` at the context root)."""
    if "\x00" in path:
        return None
    cleaned = norm("/" + path).lstrip("/")
    return "" if cleaned == "." else cleaned
