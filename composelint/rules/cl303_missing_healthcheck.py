"""A service that others depend on has no healthcheck."""

from __future__ import annotations

from composelint.analysis.service_facts import by_context, healthcheck, matches, selected, subject
from composelint.diagnostics import Related
from composelint.graph import graph_of
from composelint.records import record
from composelint.rules._rule import Violation, rule

_HOW = {"depends_on": "depends on it", "links": "links to it", "network_mode": "joins its network namespace",
        "volumes_from": "mounts its volumes", "ipc": "shares its IPC namespace", "pid": "shares its PID namespace"}
_NOTES = 5  # dependents listed as notes
_KINDS = frozenset((*_HOW, "host"))


@record(frozen=True, slots=True)
class Options:
    allow: tuple[str, ...] = ()  # service names or images (globs) that need no healthcheck


def _how(ref) -> str:
    if ref.kind == "host" and ref.host is not None:
        return f"reaches it in {ref.host.describe()}"
    return _HOW.get(ref.kind, "depends on it")


@rule(code="CL303", name="missing-healthcheck", severity="warning",
      summary="a service that others depend on has no healthcheck", options=Options)
def check(project, options: Options):
    graph = graph_of(project)
    for deployment, services in by_context(project):
        for service in selected(project, "CL303.unchecked", deployment, services,
                                lambda services: _unchecked(services, options.allow), (options.allow,)):
            yield from _finding(graph, deployment, service)


def _unchecked(services, allow) -> list:
    """The services with no healthcheck (compose or image), none disabled on purpose, and not allowed: most
    services that others need have one, and the question is theirs alone, not the graph's."""
    found = []
    for service in services:
        health = healthcheck(service)
        if not (health.defined or health.disabled or matches(allow, service)):
            found.append(service)
    return found


def _finding(graph, deployment, service):
    node = graph.service_node(deployment.name, service.name)
    if node is None:
        return
    refs = [ref for ref in graph.dependents_of(node, _KINDS)
            if ref.source.kind == "service" and ref.source.active and ref.source.name != service.name]
    if not refs or any(ref.condition == "service_healthy" for ref in refs if ref.kind == "depends_on"):
        return  # nobody needs it, or CL105 reports the `service_healthy` wait that cannot succeed
    if all(ref.kind == "depends_on" and ref.condition == "service_completed_successfully" for ref in refs):
        return  # a one-shot job (migration, configurator): its dependents wait for it to exit, not be ready
    refs.sort(key=lambda ref: (ref.span.path, ref.span.start))
    users = {}
    for ref in refs:
        users.setdefault(ref.source.name, ref)
    names = ", ".join(f"'{name}'" for name in list(users)[:3]) + (", …" if len(users) > 3 else "")
    one = len(users) == 1
    where = "compose or its Dockerfile" if service.dockerfile is not None else "compose"
    yield Violation(
        service.name_span,
        f"service '{service.name}' has no healthcheck in {where}, but {names} "
        f"{'depends' if one else 'depend'} on it: {'it starts' if one else 'they start'} as soon as its "
        f"container exists, before it accepts connections, and nothing can wait until it is ready",
        help="add a `healthcheck:` whose `test` proves the service is ready, and give the dependents "
             "`depends_on: {" + service.name + ": {condition: service_healthy}}`; write "
             "`healthcheck: {disable: true}` to opt out deliberately",
        related=tuple(Related(ref.span, f"service '{name}' {_how(ref)} here")
                      for name, ref in list(users.items())[:_NOTES]),
        subject=subject(service),
        anchor_text="no healthcheck",
        keyed_on_anchor=True,  # about the service: the text at the span is only where it is
    )
