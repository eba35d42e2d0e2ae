"""``--statistics``: how many findings each rule has, most frequent first (ruff's ``--statistics``).

    3  CL301  missing-resource-limits
    1  CL004  duplicate-key

There is no "fixable" column yet: composelint has no ``--fix``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Sequence

from composelint.reporters import RenderContext

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic


def rows(diagnostics: Sequence["Diagnostic"]) -> list[tuple[int, str, str]]:
    """(count, code, name) of each rule with a reported finding, most findings first, then by code."""
    counts = Counter((d.code, d.name) for d in diagnostics if d.suppression is None)
    return sorted(((count, code, name) for (code, name), count in counts.items()), key=lambda r: (-r[0], r[1]))


def render_statistics(diagnostics: Sequence["Diagnostic"], ctx: RenderContext, fmt: str) -> str:
    table = rows(diagnostics)
    if fmt == "json":
        return json.dumps([{"code": code, "name": name, "count": count} for count, code, name in table],
                          indent=2) + "\n"
    if not table:
        return ""
    width = len(str(table[0][0]))
    return "".join(f"{count:>{width}}  {code}  {name}\n" for count, code, name in table)
