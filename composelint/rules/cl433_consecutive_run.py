"""Consecutive RUN instructions that could be one (opt-in)."""

from __future__ import annotations

from composelint.analysis.python_deps import stage_run_commands
from composelint.diagnostics import Related
from composelint.rules._rule import Violation, rule

# More commands than this in either RUN and the split is taken as deliberate, as hadolint's DL3059 does (measured
# on hadolint 2.15: `RUN a && b`, `a; b` or `a | b` next to `RUN c` passes): a chain is a choice of cache steps.
_SIMPLE = 1


def _flags(instruction) -> tuple:
    return tuple((flag.name, flag.value) for flag in instruction.flags)


@rule(code="CL433", name="consecutive-run", severity="info",
      summary="a single-command RUN right after another with the same flags; off by default",
      equivalents=("hadolint:DL3059",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for stage in dockerfile.stages:
            group = previous = None  # the RUN that opened the run of mergeable RUNs, and the last RUN
            for instruction, commands in zip(stage.instructions, stage_run_commands(project, dockerfile, stage)):
                if instruction.keyword != "RUN":
                    group = previous = None  # any other instruction separates them (comments are not instructions)
                    continue
                count = len(commands)
                if group is None or _flags(group[0]) != _flags(instruction) or count > _SIMPLE or group[1] > _SIMPLE:
                    group = (instruction, count)
                else:
                    yield Violation(
                        instruction.keyword_span,
                        f"this `RUN` follows another `RUN` (line {previous.span.start.line}) with the same flags, and "
                        "each runs a single command: each `RUN` adds an image layer and a cache step",
                        help="join them into one `RUN` (`a && b`, or a heredoc) if they belong together; keep them "
                             "apart on purpose when the first is a slow step worth caching on its own",
                        related=(Related(previous.keyword_span, "the previous RUN"),),
                        anchor_text=instruction.first_line)
                previous = instruction
