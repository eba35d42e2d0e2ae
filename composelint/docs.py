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


def page_sections(text: str) -> dict[str, str]:
    """A rule page's ``## `` sections by heading (fenced blocks are never headings), bodies stripped."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    fenced = False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
            continue
        if current is not None:
            current.append(line)
    return {heading: "\n".join(body).strip() for heading, body in sections.items()}


def rules_listing(metas, output_format: str, off_by_default) -> str:
    """`composelint rules`: one line per rule, or JSON with each rule's equivalents in other tools."""
    if output_format == "json":
        import json

        return json.dumps([{"code": m.code, "name": m.name, "severity": m.severity.label, "family": m.family,
                            "summary": m.summary, "url": m.url, "default": m.code not in off_by_default,
                            "equivalents": list(m.equivalents)} for m in metas], indent=2)
    width = max(len(m.name) for m in metas)
    return "\n".join(f"{m.code}  {m.name:<{width}}  {m.severity.label:<7}  {m.summary}"
                     + ("  (off by default)" if m.code in off_by_default else "") for m in metas)
