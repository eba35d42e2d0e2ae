"""The start command runs a file (script, module, jar) that the container does not have."""

from __future__ import annotations

from composelint.analysis.image import (ABSENT, assumed_context_misses_sources, check_operand, explain_missing,
                                       start_targets)
from composelint.diagnostics import Severity
from composelint.analysis.shell import Operand, operands, start_analysis
from composelint.rules._rule import Violation, rule

_WHAT = {"program": "the program", "script": "the script", "node-script": "the script", "jar": "the jar",
         "module": "the module", "package.json": "`package.json` for"}


@rule(code="CL203", name="missing-entrypoint-file", severity="error",
      summary="start command runs a file or module that is not in the image and no mount provides")
def check(project, options):
    for target in start_targets(project):
        view = target.view
        if view is None or not view.known:
            continue
        semantics = target.argv_semantics()
        if semantics == "unknown":
            continue
        prefix = view.base.entrypoint if semantics == "prefix" else ()
        analysis = start_analysis(project, target.start, prefix)
        env = view.env()
        for index, invocation in enumerate(analysis.invocations):
            if invocation.conditional:
                continue
            found = operands(invocation, env)
            if semantics == "node" and index == 0 and not found and invocation.words:
                first = invocation.words[0]
                if first.text.endswith((".js", ".mjs", ".cjs")):
                    found = [Operand(first, "node-script", first.text)]
            for operand in found:
                if operand.kind == "requirements" or _guarded(invocation, operand.value):
                    continue  # CL201 and CL401 speak for `pip install -r FILE`; `test -f x && run x`
                result = check_operand(target, invocation, operand)
                if result.state != ABSENT:
                    continue
                span = operand.word.span or invocation.span() or invocation.part.span
                reason, fix, notes = explain_missing(target, result)
                assumed = assumed_context_misses_sources(project, target)
                if assumed is not None:
                    # The build context is a guess, and COPY sources are missing from it: the real
                    # context may well provide the file.
                    reason += (f" (if `{assumed or '.'}` is its build context: nothing in the repository says which "
                               "context builds this Dockerfile, and some COPY sources are not there)")
                what = _WHAT.get(operand.kind, "the file")
                written = operand.word.text
                shown = f"`{written}`" if written == result.path else f"`{written}` (`{result.path}`)"
                if operand.kind == "module":
                    shown = f"`{operand.value}`"
                if operand.kind == "package.json":
                    shown = f"`{written}` (no `package.json` in `{result.cwd}` or above)"
                yield Violation(
                    span,
                    f"{target.who} runs {what} {shown}, which is not in the container: {reason}",
                    help=fix,
                    related=notes + target.notes(span),
                    subject=target.subject,
                    severity=Severity.WARNING if assumed is not None else None,
                    anchor_text=written)


def _guarded(invocation, value: str) -> bool:
    """Whether the script tests for the file before running it (`[ -f x ] && python x`)."""
    if invocation.shell is None:
        return False
    for command in invocation.shell.parsed.commands:
        argv = command.argv
        if argv and argv[0] in ("test", "[", "[[") and value in argv:
            return True
    return False
