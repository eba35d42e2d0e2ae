"""`condition: service_healthy` on a service that has no healthcheck."""

from __future__ import annotations

import fnmatch

from composelint.imageref import parse_image_ref
from composelint.analysis.service_facts import healthcheck
from composelint.diagnostics import Related
from composelint.graph import graph_of
from composelint.records import record
from composelint.rules._rule import Violation, rule

_FAILS = "`docker compose up` stops with \"dependency failed to start: … has no healthcheck configured\""


@record(frozen=True, slots=True)
class Options:
    # Images (globs, without tag) that ship their own HEALTHCHECK, for services that pull them.
    images_with_healthcheck: tuple[str, ...] = (
        "healthcheck/*", "vaultwarden/server", "pihole/pihole", "gitlab/gitlab-ce", "gitlab/gitlab-ee",
        "authelia/authelia", "louislam/uptime-kuma", "jc21/nginx-proxy-manager", "containrrr/watchtower")


@rule(code="CL105", name="unhealthy-dependency", severity="error",
      summary="`condition: service_healthy` on a service without a healthcheck", options=Options)
def check(project, options: Options):
    for ref in graph_of(project).healthy_dependencies():
        if ref.source.deployment is not None and ref.source.deployment.swarm:
            continue  # Swarm ignores depends_on: nothing waits, nothing fails
        target = ref.target.service
        health = healthcheck(target)
        if health.defined:
            continue
        if health.disabled:
            why = "disables its healthcheck"
        elif target.build is not None and target.dockerfile is None:
            continue  # a remote or inline build: its HEALTHCHECK cannot be seen
        else:
            image = _image_of(target)
            allowed = options.images_with_healthcheck
            if image is not None and any(fnmatch.fnmatchcase(image, pattern.lower()) for pattern in allowed):
                continue
            where = "in compose or in its Dockerfile" if target.dockerfile is not None else "in compose"
            why = f"has no healthcheck {where}"
            if image is not None and target.build is None:
                why += f" (and the image `{image}` is not known to define one)"
        related = [Related(target.name_span, f"`{ref.name}` is defined here")]
        if health.disabled and health.span is not None:
            related.append(Related(health.span, "its healthcheck is disabled here"))
        yield Violation(
            ref.condition_span or ref.span,
            f"service '{ref.source.name}' waits for `{ref.name}` to be healthy, but `{ref.name}` {why}: {_FAILS}",
            help=f"add a `healthcheck:` with a `test` to `{ref.name}` (or a HEALTHCHECK to its Dockerfile), or wait "
                 "with `condition: service_started`",
            related=tuple(related),
            subject=f"service '{ref.source.name}'",
            anchor_text=f"service_healthy {ref.name}",
        )


def _image_of(service) -> str | None:
    """The pulled image, or the external base its Dockerfile builds FROM, without tag."""
    if service.build is None and service.image is not None:
        return parse_image_ref(service.image.value).short
    if service.dockerfile is not None and service.stage is not None:
        from composelint.assembly.linking import stage_chain

        base = stage_chain(service.dockerfile, service.stage)[-1].base_resolved
        if base.lower() != "scratch":
            return parse_image_ref(base).short
    return None
