"""A download piped into another command in RUN, in a shell without `pipefail`: its failure is hidden."""

from __future__ import annotations

import posixpath

from composelint.analysis.commands.tables import DOWNLOADERS, SHELLS
from composelint.analysis.python_deps import stage_run_commands
from composelint.assembly.linking import stage_chain
from composelint.rules._rule import Violation, rule


@rule(code="CL415", name="pipe-without-pipefail", severity="warning",
      summary="`curl … | sh` (a download piped into a command) in RUN without `pipefail`: a failed download "
              "does not fail the build",
      equivalents=("hadolint:DL4006",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for stage in dockerfile.stages:
            shell_pipefail = _shell_pipefail(dockerfile, stage)
            for instruction, commands in zip(stage.instructions, stage_run_commands(project, dockerfile, stage)):
                if instruction.keyword == "SHELL":
                    shell_pipefail = _enables_pipefail(instruction.exec_args or ())
                if instruction.keyword != "RUN" or shell_pipefail or not commands:
                    continue
                if instruction.form == "exec" and _enables_pipefail(instruction.exec_args or ()):
                    continue
                if _outer_shell_pipefail(instruction.arguments):
                    continue
                pipefail_in: set[int] = set()  # scripts that ran `set -o pipefail` so far
                for command in commands:
                    if command.argv[:1] == ("set",) and _enables_pipefail(command.argv[1:]):
                        pipefail_in.add(command.script)
                    downloader = posixpath.basename(command.argv[0])
                    if not command.pipes_to or downloader not in DOWNLOADERS or command.script in pipefail_in:
                        continue
                    consumer = posixpath.basename(command.pipes_to)
                    yield Violation(
                        command.span(0),
                        f"`{downloader} … | {consumer}` runs without `pipefail`: when the download fails, the "
                        f"pipeline's status is `{consumer}`'s, so the step can succeed with nothing (or half a "
                        "file) installed",
                        help="add `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before this RUN (images "
                             "with bash), or begin the script with `set -o pipefail` (BusyBox ash on Alpine "
                             "supports it; dash, Debian's and Ubuntu's /bin/sh, only in its newest versions); "
                             "or download to a file first (`curl -fsSLo file …`)",
                        anchor_text=instruction.first_line)


def _enables_pipefail(argv) -> bool:
    """`-o pipefail`, also in a cluster (`-euo pipefail`), among ``argv`` (set's or a shell's options)."""
    words = list(argv)
    return any(word.startswith("-") and "o" in word[1:] and not word.startswith("--") and index + 1 < len(words)
               and words[index + 1] == "pipefail" for index, word in enumerate(words))


def _shell_pipefail(dockerfile, stage) -> bool:
    """Whether the SHELL the stage inherits from the stages it is built FROM sets pipefail."""
    for parent in stage_chain(dockerfile, stage)[1:]:
        shells = [i for i in parent.instructions if i.keyword == "SHELL"]
        if shells:
            return _enables_pipefail(shells[-1].exec_args or ())
    return False


def _outer_shell_pipefail(arguments: str) -> bool:
    """`RUN bash -o pipefail -c '…'`: the script's own shell sets it."""
    words = arguments.split()
    if not words or posixpath.basename(words[0]) not in SHELLS:
        return False
    options = words[1:words.index("-c")] if "-c" in words else words[1:3]
    return _enables_pipefail(options)
