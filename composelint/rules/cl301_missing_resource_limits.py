"""A service runs without a memory or CPU limit."""

from __future__ import annotations

from composelint.analysis.service_facts import by_context, inherited_notes, resource_limits, selected, subject
from composelint.settings import ConfigError
from composelint.records import record
from composelint.rules._rule import Violation, rule

_KINDS = ("memory", "cpus")
_WORDS = {"memory": "memory limit", "cpus": "CPU limit"}


@record(frozen=True, slots=True)
class Options:
    require: tuple[str, ...] = _KINDS  # which limits every service must have: memory, cpus

    def __post_init__(self):
        unknown = [kind for kind in self.require if kind not in _KINDS]
        if unknown:
            raise ConfigError(f"option `require`: `{unknown[0]}` is not a limit (expected memory, cpus)")


@rule(code="CL301", name="missing-resource-limits", severity="warning",
      summary="a service has no memory or CPU limit", options=Options)
def check(project, options: Options):
    for deployment, services in by_context(project):
        for service, limits, missing in selected(project, "CL301.unlimited", deployment, services,
                                                 lambda services: _unlimited(services, options.require),
                                                 (options.require,)):
            yield _violation(project, deployment, service, limits, missing)


def _unlimited(services, require) -> list:
    """The services that lack a limit ``require`` names: (service, limits, the kinds missing)."""
    found = []
    for service in services:
        limits = resource_limits(service)
        missing = [kind for kind in _KINDS if kind in require and getattr(limits, kind) is None]
        if missing:
            found.append((service, limits, missing))
    return found


def _violation(project, deployment, service, limits, missing) -> Violation:
    what = " and no ".join(_WORDS[kind] for kind in missing)
    keys = " and ".join(f"`{kind}`" for kind in missing)
    return Violation(
        limits.anchor,
        f"service '{service.name}' has no {what}: one runaway container can starve every other "
        f"service on the host",
        help=f"set {keys} under `deploy.resources.limits` (for example `memory: 512M`, `cpus: \"1.0\"`)",
        related=inherited_notes(project, deployment, service, limits.anchor),
        subject=subject(service),
        anchor_text=",".join(missing),
        keyed_on_anchor=True,  # about the service: the text at the span is only where it is
    )
