"""`apt-get update` in a RUN step that leaves the package lists in the image layer."""

from __future__ import annotations

from composelint.analysis.layers import kept_caches
from composelint.rules._rule import Violation, rule


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
            anchor_text=instruction.first_line)
