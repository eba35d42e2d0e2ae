"""Two services of one deployment publish the same host port."""

from __future__ import annotations

from composelint.analysis.ports import PortBinding, PortTable, parse_ports
from composelint.analysis.service_facts import concerns, inherited_notes, selected, subject
from composelint.diagnostics import Related
from composelint.rules._rule import Violation, rule
from composelint.yamltree import scalar_text

_BUDGET = 200_000  # host ports expanded per deployment; huge ranges beyond it are not checked


def _shown(binding: PortBinding, port: int) -> str:
    return f"{binding.address()}{port}/{binding.protocol}"


@rule(code="CL308", name="port-conflict", severity="error",
      summary="two services publish the same host address, port and protocol")
def check(project, options):
    for deployment in project.linted_deployments():
        services = tuple(deployment.active_services())
        for service, binding, clash in selected(project, "CL308.clashes", deployment, services, _clashes):
            if _concerns(deployment, service, clash[0][0]):
                yield _violation(project, deployment, service, binding, clash)


def _clashes(services) -> list:
    """Each binding that takes a host port an earlier one holds, in the order Compose starts
    ``services``: (service, binding, ((the earlier service, its binding), port))."""
    found = []
    table = PortTable()
    budget = _BUDGET
    for service in services:
        mode = scalar_text(service.get("network_mode")) or ""
        if mode == "host" or mode.startswith(("service:", "container:")):
            continue  # Compose discards published ports there
        node = service.get("ports")
        for binding in parse_ports(node) if node is not None else ():
            ports = binding.host_ports()
            if len(ports) > budget:
                continue
            budget -= len(ports)
            clash = table.claim(binding, ports, (service, binding))
            if clash is not None:
                found.append((service, binding, clash))
    return found


def _concerns(deployment, service, other) -> bool:
    """A variant reports only clashes of the services it lints; the rest are its parent's. A profile's
    service that takes a port of a default one is often its alternative (`up debug`): not reported."""
    return concerns(deployment, service.name, other.name)


def _violation(project, deployment, service, binding: PortBinding, clash) -> Violation:
    (other, other_binding), port = clash
    owner = "it" if other.name == service.name else f"service '{other.name}'"
    notes = (Related(other_binding.span, f"{owner} publishes `{other_binding.text}` here"),)
    return Violation(
        binding.span,
        f"service '{service.name}' publishes host port `{_shown(binding, port)}` (`{binding.text}`), which "
        f"{owner} already publishes: the second container fails to start with \"port is already allocated\"",
        help="publish a different host port, or bind each to a different host address "
             "(an address of `0.0.0.0` or none at all takes the port on every address)",
        related=inherited_notes(project, deployment, service, binding.span) + notes,
        subject=subject(service),
        anchor_text=_shown(binding, port),
    )
