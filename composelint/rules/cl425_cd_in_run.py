"""A RUN step that starts by changing directory, where a WORKDIR would do."""

from __future__ import annotations

import posixpath

from composelint.analysis.commands.tables import SHELLS
from composelint.analysis.layers import run_steps
from composelint.rules._rule import Violation, rule

# Commands that may come before the `cd` of a step that only works in one directory (`mkdir -p /app && cd /app`).
_PREPARATION = frozenset(("mkdir", "set", "true", ":"))
# A walk through a temporary directory is a download-and-build step, not a working directory.
_TEMPORARY = ("/tmp", "/var/tmp", "/dev/shm")


def _first_cd(commands):
    """The `cd` a script starts with (after only preparation), when it is its one top-level `cd`."""
    first = None
    for command in commands:
        argv = command.argv
        if not argv:
            continue
        name = posixpath.basename(argv[0])
        if first is None:
            if name in _PREPARATION and not command.grouped:
                continue
            if name != "cd" or command.grouped or any(
                    posixpath.basename(word.text) not in SHELLS for word in command.wrappers):
                return None  # `sh -c "cd x && …"` is the whole step too; `sudo cd` and the like are not
            first = command
        elif name == "cd" and not command.subshell:
            return None  # it moves on (or back): a walk through directories, not one working directory
    return first


def _working_directory(command) -> str | None:
    """The directory a `cd` names, when WORKDIR could name it too: one literal, not `-`, not temporary."""
    operands = [word for word in command.words[1:] if word.text != "--"]
    if len(operands) != 1 or operands[0].dynamic or operands[0].text.startswith(("-", "~")):
        return None
    directory = operands[0].text
    if "$" in directory or any(directory == t or directory.startswith(t + "/") for t in _TEMPORARY):
        return None
    return directory


@rule(code="CL425", name="cd-in-run", severity="info",
      summary="a RUN step starts with `cd DIR` where `WORKDIR DIR` would do",
      equivalents=("hadolint:DL3003",))
def check(project, options):
    for _, _, instruction, commands, _ in run_steps(project):
        for script in sorted({command.script for command in commands}):
            first = _first_cd([command for command in commands if command.script == script])
            directory = _working_directory(first) if first is not None else None
            if directory is None:
                continue
            yield Violation(
                first.span(0, 1),
                f"`cd {directory}` lasts only for this RUN step: the next step starts again in the WORKDIR, "
                f"so every later instruction that means `{directory}` has to repeat it, and a COPY or CMD that "
                "forgets it works in the wrong directory",
                help=f"set `WORKDIR {directory}` before the step and drop the `cd` (WORKDIR creates the "
                     "directory if needed)",
                anchor_text=instruction.first_line)
