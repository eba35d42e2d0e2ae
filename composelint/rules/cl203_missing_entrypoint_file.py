"""The start command runs a file (script, module, jar) that the container does not have."""

from __future__ import annotations

from composelint.analysis.image.builds import assumed_context_misses_sources
from composelint.analysis.image.startfiles import explain_missing, missing_start_files
from composelint.analysis.mounts import MISSING, bind_source
from composelint.diagnostics import Severity
from composelint.rules._rule import Violation, rule

_WHAT = {"program": "the program", "script": "the script", "node-script": "the script", "jar": "the jar",
         "module": "the module", "package.json": "`package.json` for"}


@rule(code="CL203", name="missing-entrypoint-file", severity="error",
      summary="start command runs a file or module that is not in the container: not in the image, or hidden "
              "by a mount")
def check(project, options):
    for missing in missing_start_files(project):
        target, invocation, result = missing.target, missing.invocation, missing.check
        mount = result.mount
        if mount is not None and mount.kind == "bind" and bind_source(project, mount) == MISSING:
            continue  # CL208 reports it at the mount, the line to fix
        operand = result.operand
        span = operand.word.span or invocation.span() or invocation.part.span
        reason, fix, notes = explain_missing(target, result)
        # A mount's verdict does not depend on the build context; the image's does.
        assumed = assumed_context_misses_sources(project, target) if mount is None else None
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
