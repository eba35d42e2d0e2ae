"""GitHub Actions workflow commands: each finding becomes an annotation.

    ::error file=compose.yaml,line=4,col=21,endLine=4,endColumn=37,title=CL201 [runtime-install]::message

error -> ``::error``, warning -> ``::warning``, info -> ``::notice``; a
suppressed finding (shown only on request) is a ``::notice`` whose title says
so. Escaping follows actions/toolkit (packages/core/src/command.ts): in the
message ``%``, CR and LF are percent-encoded; in property values also ``:``
and ``,``. GitHub only accepts columns when the annotation stays on one
line, and its ``endColumn`` is inclusive (it defaults to ``col``), so a
multi-line span carries lines only. The help text follows the message on a
second line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from composelint.reporters import RenderContext, last_line

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic

_COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(diagnostic: "Diagnostic", display=str) -> str:
    span = diagnostic.span
    properties = [("file", display(span.path)), ("line", str(span.line))]
    if span.end_line == span.line:
        properties.append(("col", str(span.column)))
        properties.append(("endLine", str(span.line)))
        properties.append(("endColumn", str(max(span.end_column - 1, span.column))))
    else:
        properties.append(("endLine", str(last_line(span))))
    title = f"{diagnostic.code} [{diagnostic.name}]"
    name = _COMMANDS[diagnostic.severity.label]
    if diagnostic.suppression is not None:
        name = "notice"
        title += f" (suppressed: {diagnostic.suppression})"
    properties.append(("title", title))

    message = diagnostic.message
    if diagnostic.help:
        message += f"\nhelp: {diagnostic.help}"
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{name} {rendered}::{escape_data(message)}"


def render(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    return "".join(command(diagnostic, ctx.display) + "\n" for diagnostic in diagnostics)
