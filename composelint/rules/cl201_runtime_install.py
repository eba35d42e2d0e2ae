"""The start command installs packages every time the container starts."""

from __future__ import annotations

from composelint.analysis.image.services import start_targets
from composelint.analysis.commands.start import describe, start_analysis
from composelint.analysis.commands.installs import package_install
from composelint.rules._rule import Violation, rule


@rule(code="CL201", name="runtime-install", severity="error",
      summary="start command installs packages (pip, npm, apt-get, apk …) at run time")
def check(project, options):
    for target in start_targets(project):
        for invocation in start_analysis(project, target.start).invocations:
            if not package_install(invocation):
                continue
            span = invocation.span() or invocation.part.span
            text = describe(invocation)
            where = "in the Dockerfile, after copying the dependency list" if target.dockerfile is not None \
                else "in a Dockerfile (`FROM` this image, then `RUN …`), and build that image"
            yield Violation(
                span,
                f"{target.who} runs `{text}` every time it starts: every restart reinstalls, needs the "
                "network and may get other versions",
                help=f"install at build time instead: move `{text}` to a `RUN` step {where}, and start the "
                     "application directly",
                related=target.notes(span),
                subject=target.subject,
                anchor_text=text)
