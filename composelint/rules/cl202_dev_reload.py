"""The start command runs a development server or a reload/debug mode."""

from __future__ import annotations

import re

from composelint.analysis.image.services import dev_intent, package_scripts, start_targets
from composelint.analysis.commands.start import start_analysis
from composelint.analysis.commands.operands import dev_mode, dev_script_text
from composelint.diagnostics import Fix, Related
from composelint.records import record
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule

# The fix drops the flag only where that alone leaves the production server: uvicorn, hypercorn
# and gunicorn serve the same app without it. `runserver`, nodemon or a package script have no
# mechanical production twin.
_RELOAD_SERVER = re.compile(r"`(uvicorn|hypercorn|gunicorn) --reload`\Z")


@record(frozen=True, slots=True)
class Options:
    # Skip services that say they are for development: a build target or a compose file name
    # such as `dev`, `development`, `dev-envs`, `compose.dev.yaml`.
    allow_development_targets: bool = True


@rule(code="CL202", name="dev-reload", severity="error", options=Options,
      summary="start command runs a dev server or reload/debug mode (`--reload`, `runserver`, nodemon …)")
def check(project, options):
    for target in start_targets(project):
        if options.allow_development_targets and dev_intent(target):
            continue
        view = target.view
        env = view.env() if view is not None else {}
        for invocation in start_analysis(project, target.start).invocations:
            # `npm start` / `npm run x`: the script in the image's package.json decides, when it can be read.
            script = package_scripts(project, target, invocation) if invocation.role == "main" else None
            notes: tuple[Related, ...] = ()
            if script is not None:
                found, notes = _package_script(script)
            else:
                found = dev_mode(invocation, env)
            if found is None:
                continue
            what, word = found
            span = (word.span if word is not None else None) or invocation.span() or invocation.part.span
            fix = None
            if script is None and word is not None and word.span is not None and _RELOAD_SERVER.match(what):
                edit = _fix.delete_word(project, word.span, "--reload")
                fix = Fix.unsafe("Remove `--reload`", edit) if edit is not None else None
            flag = _env_flag(target, what)
            if flag is not None:
                notes = notes + (Related(flag.span, f"`{flag.name}` is set here"),)
            yield Violation(
                span,
                f"{target.who} starts with {what}: a development mode that watches files, restarts the app "
                "and shows debug pages, not meant to serve production traffic",
                help="run the production server instead (gunicorn/uvicorn without `--reload`, `node server.js`, "
                     "a built bundle) and keep the dev command in a development-only compose file or build target",
                related=notes + target.notes(span),
                subject=target.subject,
                anchor_text=what,
                fix=fix)


@record(frozen=True)
class _Flag:
    name: str
    span: object


def _env_flag(target, what: str):
    """Where an environment flag named in ``what`` is set (compose `environment:`)."""
    match = re.search(r"`(FLASK_DEBUG|FLASK_ENV|UVICORN_RELOAD|GUNICORN_CMD_ARGS)", what)
    if match is None or target.service is None:
        return None
    value = target.service.environment.get(match.group(1))
    return _Flag(match.group(1), value.key_span) if value is not None else None


def _package_script(script):
    """A package.json script that runs a dev server: ((what, word), notes), else (None, ())."""
    script_name, script_text, span, word = script
    if not dev_script_text(script_text):
        return None, ()
    return (f"`{script_name}` (`{script_text}` in package.json)", word), (
        (Related(span, f"the `{script_name}` script is defined here"),) if span is not None else ())
