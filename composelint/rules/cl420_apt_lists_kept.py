"""`apt-get update` in a RUN step that leaves the package lists in the image layer."""

from __future__ import annotations

import re

from composelint.analysis.layers import kept_caches
from composelint.diagnostics import Edit, Fix
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule

_REMOVE = " && rm -rf /var/lib/apt/lists/*"
# A later RUN that runs apt may install from the lists without updating them first.
_APT = r"(?<![\w.-])(apt-get|apt|aptitude)(?![\w.-])"


@rule(code="CL420", name="apt-lists-kept", severity="info",
      summary="`apt-get update` in RUN without removing `/var/lib/apt/lists/*` in the same step (or a cache mount)",
      equivalents=("hadolint:DL3009",))
def check(project, options):
    for _, instruction, command, (verb, last) in kept_caches(project, ("apt-lists",)):
        yield Violation(
            command.span(0, last),
            f"`{command.argv[0]} {verb}` leaves the package lists in the image layer: `/var/lib/apt/lists` (tens of "
            "MB) ships with the image although nothing reads it at run time, and a later step's removal cannot "
            "shrink this layer",
            help="end the same RUN with `&& rm -rf /var/lib/apt/lists/*`, or keep them out of the layer with "
                 "`RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked …`",
            anchor_text=instruction.first_line,
            fix=_remove_fix(project, instruction, command))


def _remove_fix(project, instruction, command):
    """`&& rm -rf /var/lib/apt/lists/*` appended to the RUN, after its last command.

    Only when that command's last word ends the instruction (nothing after it: no `;`, `&`, `)`, `fi`,
    comment, quote or heredoc), so the removal runs last and only when the RUN succeeded, as written.
    Safe when no later RUN of the Dockerfile runs apt (an `apt-get install` without its own update
    would no longer find the lists); unsafe otherwise. A container that installs packages at run time
    already needs `apt-get update`: Debian's and Ubuntu's images ship without lists."""
    if not _fix.in_run_line(command):
        return None
    last = (command.all_commands or (command,))[-1]
    if not _fix.in_run_line(last) or not last.words:
        return None
    span = _fix.word_span(project, last.words[-1])
    end = instruction.span.end
    if span is None or end is None or span.end.line != end.line:
        return None
    rest = (_fix.line(project, span.path, end.line) or "")[span.end.column - 1:]
    if rest.strip(" \t"):
        return None
    dockerfile = project.dockerfiles.get(span.path)
    later = [other for other in (dockerfile.instructions if dockerfile is not None else ())
             if other.keyword == "RUN" and other.span.start.line > end.line]
    make = Fix.unsafe if any(re.search(_APT, other.text) for other in later) else Fix.safe
    return make("Remove `/var/lib/apt/lists/*` at the end of the RUN",
                Edit.insert(span.path, span.end.line, span.end.column, _REMOVE))
