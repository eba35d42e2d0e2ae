"""`MAINTAINER`, deprecated since Docker 1.13: a label says who maintains the image."""

from __future__ import annotations

from composelint.diagnostics import Edit, Fix, Span
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule


@rule(code="CL432", name="maintainer-instruction", severity="info",
      summary="`MAINTAINER` is deprecated: use `LABEL org.opencontainers.image.authors=…`",
      equivalents=("hadolint:DL4000", "buildkit:MaintainerDeprecated"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for instruction in dockerfile.instructions:
            if instruction.keyword != "MAINTAINER":
                continue
            author = instruction.arguments.strip()
            if not (len(author) >= 2 and author[0] == author[-1] == '"'):  # already quoted: what was meant
                author = '"' + author.replace("\\", "\\\\").replace('"', '\\"') + '"'
            yield Violation(
                instruction.keyword_span,
                "`MAINTAINER` is deprecated: Docker writes it only to the image's legacy `Author` field, which "
                "registries and OCI tools do not read, so the image shows no author",
                help=f"replace the line with `LABEL org.opencontainers.image.authors={author}`",
                anchor_text=instruction.first_line,
                fix=_label_fix(project, dockerfile, instruction))


def _label_fix(project, dockerfile, instruction):
    """The instruction, on one line, replaced by the label.

    The value is written in double quotes with `\\`, `"` and `$` escaped, so that LABEL (which, unlike
    MAINTAINER, expands variables and removes quotes) stores the text MAINTAINER stored; an author
    already in double quotes keeps the text inside them, as the rule's help says. Safe: the build and
    the container are the same; the image gets the label instead of the legacy `Author` field."""
    start, end = instruction.span.start, instruction.span.end
    if end is None or end.line != start.line or dockerfile.escape != "\\":
        return None
    span = Span(instruction.span.path, start, end)
    written = _fix.at(project, span)
    if written is None or written.rstrip(" \t") != instruction.text.rstrip(" \t"):
        return None
    author = instruction.arguments.strip()
    if len(author) >= 2 and author[0] == author[-1] == '"':  # quoted already: the text inside was meant
        author = author[1:-1]
        if any(char in author for char in '"\\$'):
            return None
    if not author:
        return None
    value = author.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return Fix.safe("Use `LABEL org.opencontainers.image.authors`",
                    Edit.replace(span, f'LABEL org.opencontainers.image.authors="{value}"'))
