"""A service restarts forever and has no healthcheck."""

from __future__ import annotations

from composelint.analysis.service_facts import healthcheck, inherited_notes, matches, restart_policy, subject
from composelint.records import record
from composelint.rules._rule import Violation, rule


@record(frozen=True, slots=True)
class Options:
    allow: tuple[str, ...] = ()  # service names or images (globs) that may restart without bound


@rule(code="CL302", name="unbounded-restart", severity="warning",
      summary="a service restarts without bound and has no healthcheck", options=Options)
def check(project, options: Options):
    for deployment, service in project.deployed_services():
        policy = restart_policy(service)
        if policy is None or policy.max_attempts or matches(options.allow, service):
            continue
        health = healthcheck(service)
        if health.defined:
            continue
        why = "its healthcheck is disabled" if health.disabled else "it has no healthcheck"
        yield Violation(
            policy.span,
            f"service '{service.name}' restarts without limit (`{policy.text}`) and {why}: a broken "
            f"service crash-loops forever, burning CPU, and nothing reports it unhealthy",
            help="add a `healthcheck:` (or HEALTHCHECK in the Dockerfile), or bound the restarts: "
                 "`restart: on-failure:5` or `deploy.restart_policy.max_attempts`",
            related=inherited_notes(project, deployment, service, policy.span),
            subject=subject(service),
            anchor_text=policy.text,
        )
