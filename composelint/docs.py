"""Rule pages: shipped in the wheel as composelint/_docs, read from rules/ in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def pages_directory() -> Path | None:
    for candidate in (_PACKAGE_DIR / "_docs", _PACKAGE_DIR.parent / "rules"):
        if candidate.is_dir():
            return candidate
    return None


def rule_page(meta) -> str | None:
    directory = pages_directory()
    if directory is None:
        return None
    page = directory / meta.page
    try:
        return page.read_text(encoding="utf-8")
    except OSError:
        return None
