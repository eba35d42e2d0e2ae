"""A service restarts forever and has no healthcheck."""

from __future__ import annotations

from composelint.analysis.service_facts import (by_context, healthcheck, inherited_notes, matches, restart_policy,
                                                selected, subject)
from composelint.records import record
from composelint.rules._rule import Violation, rule


@record(frozen=True, slots=True)
class Options:
    allow: tuple[str, ...] = ()  # service names or images (globs) that may restart without bound


@rule(code="CL302", name="unbounded-restart", severity="warning",
      summary="a service restarts without bound and has no healthcheck", options=Options)
def check(project, options: Options):
    for deployment, services in by_context(project):
        swarm = deployment.swarm
        for service, policy, health in selected(project, "CL302.unbounded", deployment, services,
                                                lambda services: _unbounded(services, swarm, options.allow),
                                                (swarm, options.allow)):
            yield _violation(project, deployment, service, policy, health)


def _unbounded(services, swarm: bool, allow) -> list:
    """The services that restart without bound and have no healthcheck: (service, policy, health)."""
    found = []
    for service in services:
        policy = restart_policy(service, swarm)
        if policy is None or policy.max_attempts or matches(allow, service):
            continue
        health = healthcheck(service)
        if not health.defined:
            found.append((service, policy, health))
    return found


def _violation(project, deployment, service, policy, health) -> Violation:
    why = "its healthcheck is disabled" if health.disabled else "it has no healthcheck"
    if policy.ignored:
        where = f" at {deployment.origin.path}:{deployment.origin.line}" if deployment.origin else ""
        how = (f"service '{service.name}' runs on Swarm (`docker stack deploy`{where}), which ignores "
               f"`{policy.text}` and restarts it without limit,")
        fix = "bound the restarts with `deploy.restart_policy.max_attempts` (Swarm reads `deploy.*`, not " \
              "`restart`), or add a `healthcheck:` (or HEALTHCHECK in the Dockerfile)"
    else:
        how = f"service '{service.name}' restarts without limit (`{policy.text}`)"
        fix = "add a `healthcheck:` (or HEALTHCHECK in the Dockerfile), or bound the restarts: " \
              "`restart: on-failure:5` or `deploy.restart_policy.max_attempts`"
    return Violation(
        policy.span,
        f"{how} and {why}: a broken service crash-loops forever, burning CPU, and nothing reports it "
        f"unhealthy",
        help=fix,
        related=inherited_notes(project, deployment, service, policy.span),
        subject=subject(service),
        anchor_text=policy.text,
    )
