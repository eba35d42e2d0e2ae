"""The start command goes through a shell (or starts background jobs) with no init process."""

from __future__ import annotations

from composelint.analysis.image.services import start_targets
from composelint.analysis.commands.tables import INIT_PROGRAMS
from composelint.analysis.commands.start import describe, start_analysis
from composelint.diagnostics import Fix
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule
from composelint.yamltree import YScalar


@rule(code="CL205", name="missing-init", severity="warning",
      summary="`sh -c` chains or background jobs as PID 1 without `init: true` or tini/dumb-init")
def check(project, options):
    for target in start_targets(project):
        if _has_init(target) or target.argv_semantics() not in ("direct", "node"):
            continue
        analysis = start_analysis(project, target.start)
        if any(inv.role == "wrapper" and inv.name in INIT_PROGRAMS for inv in analysis.invocations):
            continue
        shells = [shell for shell in analysis.shells if not shell.implicit]
        if not shells:
            continue
        shell = shells[0]  # the outermost: the one running as PID 1
        shell_invocation = next((inv for inv in analysis.invocations if inv.role == "shell"), None)
        if shell_invocation is not None and (shell_invocation.wrapped_by or shell_invocation.background):
            continue
        name = shell.shell.text
        if shell.backgrounds:
            job = " ".join(shell.backgrounds[0].argv)
            job = job if len(job) <= 50 else job[:49] + "…"
            message = (f"{target.who} starts `{job} &` in the background from `{name} -c` with no init: the shell "
                       "is PID 1, forwards no signal to the job and nobody reaps exited child processes (zombies)")
        elif shell.foreground >= 2 and not shell.exec_last:
            last = [inv for inv in analysis.invocations if inv.shell is shell and inv.role == "main"]
            app = describe(last[-1], 50) if last else "the last command"
            message = (f"{target.who} runs `{app}` behind `{name} -c` with no init: the shell may stay PID 1 "
                       "and not forward SIGTERM (`docker stop` waits, then kills), and nobody reaps exited "
                       "child processes (zombies)")
        else:
            continue
        span = shell.shell.span or shell.part.span
        fix = "add `init: true` to the service" if target.service is not None else \
            "run it with an init (`docker run --init`, compose `init: true`, or `ENTRYPOINT [\"tini\", \"--\"]`)"
        yield Violation(
            span,
            message,
            help=f"{fix}, and start the long-running command with `exec` so it replaces the shell",
            related=target.notes(span),
            subject=target.subject,
            anchor_text=shell.script.text[:80],
            fix=_init_fix(project, target.service) if target.service is not None else None)


def _init_fix(project, service):
    """`init: true` on the line after the service's key, indented as the keys written below it.

    Only for a block mapping whose first own key starts its line; a flow mapping (`web: {image: x}`),
    a service made only of merged or aliased keys, or one that already says `init:` gets no fix."""
    if "init" in service.node:
        return None
    name = service.name_span
    keys = [entry.key.span for entry in service.node.entries.values()
            if not entry.merged and entry.key.span.path == name.path and entry.key.span.line > name.line]
    if not keys or not _fix.opens_block(project, name):
        return None
    first = min(keys, key=lambda span: (span.line, span.column))
    text = _fix.line(project, name.path, first.line)
    if text is None or not _fix.starts_line(project, first) or first.column <= name.column:
        return None
    return Fix.safe("Add `init: true` to the service",
                    _fix.insert_line(name.path, name.line + 1, text[:first.column - 1] + "init: true"))


def _has_init(target) -> bool:
    service = target.service
    if service is None:
        return False
    node = service.get("init")
    return isinstance(node, YScalar) and node.value is True
