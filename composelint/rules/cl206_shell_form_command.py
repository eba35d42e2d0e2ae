"""A Dockerfile CMD or ENTRYPOINT written in shell form."""

from __future__ import annotations

import json

from composelint.analysis.commands.syntax import parse_script
from composelint.rules._rule import Violation, rule


@rule(code="CL206", name="shell-form-command", severity="warning",
      summary="Dockerfile CMD/ENTRYPOINT in shell form: signals go to `/bin/sh`, not the application",
      equivalents=("hadolint:DL3025", "buildkit:JSONArgsRecommended"))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
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
                anchor_text=instruction.first_line)


def _short(script: str) -> str:
    script = " ".join(script.split())
    return script if len(script) <= 60 else script[:59] + "…"


def _exec_form(keyword: str, script: str) -> str:
    parsed = parse_script(script)
    commands = parsed.commands
    if parsed.complete and len(commands) == 1 and not commands[0].redirects and not commands[0].assignments \
            and all(word.literal for word in commands[0].words):
        array = json.dumps([word.text for word in commands[0].words])
        return f"write the exec form: `{keyword} {array}`"
    return (f"write the exec form (`{keyword} [\"program\", \"arg\"]`); if the shell is needed, start the "
            f"last command with `exec` (`{keyword} … && exec program`)")
