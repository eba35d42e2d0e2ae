"""Hover on a finding: what it says, then its rule's documentation page."""

from __future__ import annotations

from composelint.diagnostics import Diagnostic


def findings_at(diagnostics, line: int, column: int) -> list[Diagnostic]:
    """The findings whose span holds the 1-based (line, column); a span without an end holds its line."""
    found = []
    for diagnostic in diagnostics:
        span = diagnostic.span
        if span.end is None:
            if span.start.line == line and column >= span.start.column:
                found.append(diagnostic)
        elif (span.start.line, span.start.column) <= (line, column) <= (span.end.line, span.end.column):
            found.append(diagnostic)
    return found


def hover_markdown(diagnostics: list[Diagnostic]) -> str | None:
    from composelint.docs import rule_page
    from composelint.rules import rule_by_key

    parts = []
    for diagnostic in diagnostics:
        head = f"**{diagnostic.code} {diagnostic.name}** ({diagnostic.severity.label}): {diagnostic.message}"
        if diagnostic.help:
            head += f"\n\nhelp: {diagnostic.help}"
        meta = rule_by_key(diagnostic.code)
        page = rule_page(meta) if meta is not None else None
        if page:
            head += "\n\n---\n\n" + _demote_headings(page.strip())
        elif diagnostic.url:
            head += f"\n\n[{diagnostic.code} documentation]({diagnostic.url})"
        parts.append(head)
    return "\n\n---\n\n".join(parts) if parts else None


def _demote_headings(page: str) -> str:
    """A page's ``#`` title would shout in a hover box: one level down for every heading."""
    lines = []
    fenced = False
    for line in page.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        lines.append("#" + line if not fenced and line.startswith("#") else line)
    return "\n".join(lines)
