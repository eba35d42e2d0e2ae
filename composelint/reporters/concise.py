"""One line per finding: ``path:line:col: CODE severity: message``.

The rule pages' ``expect`` blocks and the VS Code problem matcher parse this
exact shape, so it never changes; there is no summary line. A suppressed
finding (shown only on request) gets `` (suppressed)`` appended.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from composelint.reporters import RenderContext, one_line

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic


def format_line(diagnostic: "Diagnostic", display=str) -> str:
    span = diagnostic.span
    line = (f"{one_line(display(span.path))}:{span.line}:{span.column}: {diagnostic.code} "
            f"{diagnostic.severity.label}: {one_line(diagnostic.message)}")
    if diagnostic.suppression is not None:
        line += " (suppressed)"
    return line


def render(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    return "".join(format_line(diagnostic, ctx.display) + "\n" for diagnostic in diagnostics)
