"""A local build context or Dockerfile does not exist."""

from __future__ import annotations

import posixpath

from composelint.analysis.service_facts import inherited_notes, subject
from composelint.rules._rule import Violation, rule


def _shown(path: str) -> str:
    return path or "."


@rule(code="CL305", name="missing-build-context", severity="error",
      summary="a build context or Dockerfile does not exist")
def check(project, options):
    for deployment, service in project.deployed_services():
        build = service.build
        if deployment.swarm:
            continue  # Swarm ignores build: it runs the image, built elsewhere
        if build is None or build.remote or build.context_path is None:
            continue  # remote contexts are fetched at build time; paths outside the root are another rule's
        notes = inherited_notes(project, deployment, service, build.context.span)
        if not project.path_exists(build.context_path):
            yield Violation(
                build.context.span,
                f"the build context `{build.context.value}` of service '{service.name}' does not exist "
                f"(`{_shown(build.context_path)}`): `docker compose build` fails with \"path not found\"",
                help="fix the path (it is relative to the directory of the compose file), or create the directory",
                related=notes, subject=subject(service), anchor_text=build.context.value)
            continue
        if build.inline is not None or build.dockerfile_path is None:
            continue
        if _dockerfile_exists(project, build.dockerfile_path):
            continue
        if build.dockerfile is not None:
            span, written = build.dockerfile.span, build.dockerfile.value
            what = f"the Dockerfile `{written}`"
        else:
            span, written = build.context.span, "Dockerfile"
            what = "a `Dockerfile`"
        yield Violation(
            span,
            f"service '{service.name}' builds with {what}, but `{build.dockerfile_path}` does not exist: "
            f"`docker compose build` fails with \"failed to read dockerfile\"",
            help="`build.dockerfile` is relative to the build context; fix the name or add the file",
            related=inherited_notes(project, deployment, service, span),
            subject=subject(service), anchor_text=written)


def _dockerfile_exists(project, path: str) -> bool:
    if path in project.dockerfiles or project.path_exists(path):
        return True
    if posixpath.basename(path) == "Dockerfile":  # BuildKit also accepts a lower-case `dockerfile`
        return project.path_exists(posixpath.join(posixpath.dirname(path), "dockerfile"))
    return False
