"""A pulled image has no tag, or the moving `latest` tag."""

from __future__ import annotations

from composelint.assembly.created import project_built_images
from composelint.imageref import parse_image_ref
from composelint.analysis.service_facts import has_variable, inherited_notes, matches, subject
from composelint.records import record
from composelint.rules._rule import Violation, rule


@record(frozen=True, slots=True)
class Options:
    allow: tuple[str, ...] = ()  # service names or image repositories (globs) that may float


@rule(code="CL304", name="unpinned-image", severity="warning",
      summary="an image is pulled without a tag or digest, or as `latest`", options=Options)
def check(project, options: Options):
    for deployment, service in project.deployed_services():
        if service.image is None or service.get("build") is not None or matches(options.allow, service):
            continue
        if has_variable(getattr(service.get("image"), "raw", None)):
            continue  # the tag comes from the deployment's environment
        ref = parse_image_ref(service.image.value)
        if ref.digest is not None or not ref.repository or ref.name in project_built_images(project):
            continue
        if ref.tag is None:
            problem = "has no tag, so Compose pulls `latest`"
        elif ref.tag.lower() == "latest":
            problem = "uses the `latest` tag"
        else:
            continue
        span = service.image.span
        yield Violation(
            span,
            f"image `{service.image.value}` of service '{service.name}' {problem}: every pull can bring a "
            f"different version, so two hosts, or one host before and after a restart, run different code",
            help=f"pin a version tag (`{ref.repository}:<version>`) or a digest (`{ref.repository}@sha256:…`)",
            related=inherited_notes(project, deployment, service, span),
            subject=subject(service),
            anchor_text=service.image.value,
        )
