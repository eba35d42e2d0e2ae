"""A Dockerfile CMD or ENTRYPOINT written in shell form."""

from __future__ import annotations

import json

from composelint.analysis.commands.syntax import parse_script
from composelint.diagnostics import Edit, Fix, Span
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule


@rule(code="CL206", name="shell-form-command", severity="warning",
      summary="Dockerfile CMD/ENTRYPOINT in shell form: signals go to `/bin/sh`, not the application",
      equivalents=("hadolint:DL3025", "buildkit:JSONArgsRecommended"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        shells = {instruction.stage for instruction in dockerfile.instructions if instruction.keyword == "SHELL"}
        cmds = {instruction.stage for instruction in dockerfile.instructions if instruction.keyword == "CMD"}
        for instruction in dockerfile.instructions:
            if instruction.keyword not in ("CMD", "ENTRYPOINT") or instruction.form != "shell":
                continue
            script = instruction.arguments.strip()
            if not script or script.startswith("exec ") or script == "exec":
                continue
            keyword = instruction.keyword
            extra = "; a shell-form ENTRYPOINT also ignores CMD and compose `command:`" if keyword == "ENTRYPOINT" \
                else ""
            yield Violation(
                instruction.arguments_span or instruction.span,
                f"`{keyword} {_short(script)}` is in shell form: Docker runs `/bin/sh -c` as PID 1, which does not "
                f"pass SIGTERM on to the application, so `docker stop` waits and then kills it{extra}",
                help=_exec_form(keyword, script),
                anchor_text=instruction.first_line,
                fix=None if instruction.stage in shells else _exec_fix(project, instruction, script,
                                                                        instruction.stage in cmds))


def _short(script: str) -> str:
    script = " ".join(script.split())
    return script if len(script) <= 60 else script[:59] + "…"


def _argv(script: str) -> list[str] | None:
    """The words of a script with no shell syntax (one command, no redirection, assignment, variable,
    glob or operator), as the shell would pass them; None otherwise."""
    parsed = parse_script(script)
    commands = parsed.commands
    if parsed.complete and len(commands) == 1 and not commands[0].redirects and not commands[0].assignments \
            and commands[0].words and all(word.literal for word in commands[0].words):
        return [word.text for word in commands[0].words]
    return None


def _exec_fix(project, instruction, script: str, has_cmd: bool):
    """The exec form for a one-line shell form without shell syntax.

    Safe for CMD: the same program gets the same arguments, now as PID 1. An ENTRYPOINT in exec form
    takes CMD and compose `command:` as arguments where the shell form ignored them, so that fix is
    unsafe, and none is offered when the stage has a CMD."""
    argv = _argv(script)
    start = instruction.arguments_span
    if argv is None or start is None or instruction.span.end_line != instruction.span.line or \
            (instruction.keyword == "ENTRYPOINT" and has_cmd):
        return None
    text = _fix.line(project, start.path, start.line)
    if text is None:
        return None
    written = text[start.column - 1:].rstrip(" \t")
    if written != script:
        return None
    span = Span.at(start.path, start.line, start.column, start.line, start.column + len(written))
    array = json.dumps(argv, ensure_ascii=False)
    make = Fix.safe if instruction.keyword == "CMD" else Fix.unsafe
    return make(f"Use the exec form `{instruction.keyword} {array}`", Edit.replace(span, array))


def _exec_form(keyword: str, script: str) -> str:
    argv = _argv(script)
    if argv is not None:
        array = json.dumps(argv)
        return f"write the exec form: `{keyword} {array}`"
    return (f"write the exec form (`{keyword} [\"program\", \"arg\"]`); if the shell is needed, start the "
            f"last command with `exec` (`{keyword} … && exec program`)")
