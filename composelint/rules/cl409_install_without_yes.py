"""A package manager subcommand that asks for confirmation, run in RUN without `-y`: the build fails."""

from __future__ import annotations

from composelint.analysis.commands.installs import unanswered_prompt
from composelint.analysis.commands.tables import PROMPTS
from composelint.analysis.python_deps import stage_run_commands
from composelint.diagnostics import Fix
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule


@rule(code="CL409", name="install-without-yes", severity="error",
      summary="`apt-get install` (apt, yum, dnf, zypper …) in RUN without `-y`: it asks for confirmation and "
              "the build aborts",
      equivalents=("hadolint:DL3014", "hadolint:DL3030", "hadolint:DL3038", "hadolint:DL3034"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for stage in dockerfile.stages:
            for instruction, commands in zip(stage.instructions, stage_run_commands(project, dockerfile, stage)):
                previous = None
                for command in commands:
                    found = unanswered_prompt(command.argv)
                    piped_yes = previous is not None and command.after == "|" and previous.argv[:1] == ("yes",)
                    previous = command
                    if found is None or piped_yes:
                        continue
                    if any(word.dynamic and word.raw.lstrip("\"'").startswith("$") for word in command.words):
                        continue  # `apt-get install $APT_OPTS …`: the variable may hold `-y`
                    tool, verb = found
                    prompt = PROMPTS[tool]
                    shown = f"{command.argv[0]} {command.argv[verb]}"
                    flag = prompt.answer
                    fixed = f"{command.argv[0]} {flag} {command.argv[verb]}" if prompt.answer_first else \
                        f"{shown} {flag}"
                    yield Violation(
                        command.span(0, verb),
                        f"`{shown}` has no `{flag}`: it asks \"{prompt.question}\", `docker build` gives "
                        f"it no terminal to answer, so it aborts and the build fails",
                        help=f"write `{fixed}`; `DEBIAN_FRONTEND=noninteractive` does not answer this question",
                        anchor_text=instruction.first_line,
                        fix=_answer_fix(project, command, 0 if prompt.answer_first else verb, flag))


def _answer_fix(project, command, index: int, flag: str):
    """`-y` right after the subcommand (zypper's `-n` after the program, before it): safe, the command can
    only have aborted at the question, and the answer lets it do what it was written to do."""
    edit = _fix.insert_after_word(project, command, index, f" {flag}")
    return Fix.safe(f"Add `{flag}`", edit) if edit is not None else None
