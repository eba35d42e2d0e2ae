"""More than one CMD, ENTRYPOINT or HEALTHCHECK in a stage: only the last takes effect."""

from __future__ import annotations

from composelint.diagnostics import Position, Related, Span
from composelint.rules._rule import Violation, rule

_ONCE = ("CMD", "ENTRYPOINT", "HEALTHCHECK")


@rule(code="CL410", name="repeated-start-instruction", severity="warning",
      summary="more than one CMD, ENTRYPOINT or HEALTHCHECK in a stage: only the last takes effect",
      equivalents=("hadolint:DL4003", "hadolint:DL4004", "hadolint:DL3012", "buildkit:MultipleInstructionsDisallowed"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for stage in dockerfile.stages:
            for keyword in _ONCE:
                found = [instruction for instruction in stage.instructions if instruction.keyword == keyword]
                if len(found) < 2:
                    continue
                last = found[-1]
                for instruction in found[:-1]:
                    start = instruction.span.start
                    written = instruction.first_line.split(None, 1)[0]
                    shown = instruction.first_line if len(instruction.first_line) <= 60 else \
                        instruction.first_line[:59] + "…"
                    yield Violation(
                        Span(instruction.span.path, start, Position(start.line, start.column + len(written))),
                        f"`{shown}` is overridden by the `{keyword}` on line {last.span.start.line} in the same stage: "
                        f"only the last `{keyword}` takes effect, so this one never does",
                        help=f"delete this `{keyword}` (to run several programs, start them from one script)"
                        if keyword != "HEALTHCHECK" else "delete this `HEALTHCHECK`, or merge the two checks in "
                                                         "one command",
                        related=(Related(last.span, f"this `{keyword}` is the one the image keeps"),),
                        subject=f"stage '{stage.label()}'", anchor_text=instruction.first_line)
