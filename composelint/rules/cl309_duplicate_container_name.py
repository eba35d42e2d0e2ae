"""Two services of one deployment share a `container_name`."""

from __future__ import annotations

from composelint.analysis.service_facts import concerns, inherited_notes, subject
from composelint.diagnostics import Related
from composelint.rules._rule import Violation, rule
from composelint.yamltree import scalar_text


@rule(code="CL309", name="duplicate-container-name", severity="error",
      summary="two services share a `container_name`")
def check(project, options):
    for deployment in project.linted_deployments():
        if deployment.swarm:
            continue  # Swarm ignores container_name: it names the tasks itself
        owners = {}
        for service in deployment.active_services():
            node = service.get("container_name")
            name = scalar_text(node)
            if not name:
                continue
            first = owners.setdefault(name, (service, node))
            if first[0] is service:
                continue
            other, other_node = first
            if not concerns(deployment, service.name, other.name):
                continue
            yield Violation(
                node.span,
                f"service '{service.name}' sets `container_name: {name}`, which service '{other.name}' already "
                f"uses: Compose refuses to start the deployment (\"container name is already in use\")",
                help="give each service its own `container_name`, or remove it and let Compose name the "
                     "containers (`<project>-<service>-1`)",
                related=inherited_notes(project, deployment, service, node.span)
                + (Related(other_node.span, f"service '{other.name}' uses the name here"),),
                subject=subject(service),
                anchor_text=name,
            )
