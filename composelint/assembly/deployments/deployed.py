"""What the deployments run, for the rules: the compose files they deploy, those they leave out, and a
service's container environment as Compose computes it.
"""

from __future__ import annotations

from typing import Iterator

from composelint.relpaths import resolve_relative


def deployed_files(project) -> frozenset:
    """Every compose file some deployment runs, directly or through include: / extends.file."""
    return project.derived("deployments.deployed_files", lambda p: frozenset(
        path for deployment in p.deployments for path in deployment.files + deployment.included))


def env_file_entries(service) -> Iterator[tuple[object, bool]]:
    """The ``env_file`` entries of a service: (path node, required)."""
    from composelint.yamltree import YMap, YScalar, YSeq

    node = service.node.get("env_file")
    items = node.items if isinstance(node, YSeq) else (node,) if node is not None else ()
    for item in items:
        required = True
        value = item
        if isinstance(item, YMap):
            value = item.get("path")
            flag = item.get("required")
            required = not (isinstance(flag, YScalar) and str(flag.value).lower() == "false")
        if isinstance(value, YScalar) and isinstance(value.value, str) and value.value:
            yield value, required


def resolved_environment(project, deployment, service) -> dict[str, str | None]:
    """The container environment Compose computes: ``env_file`` values, then ``environment``,
    a key without a value taken from the deployment's variables (None when unset there)."""
    from composelint.parsers.dotenv import parse_dotenv

    variables = deployment.variables
    result: dict[str, str | None] = {}
    for node, _required in env_file_entries(service):
        path = resolve_relative(deployment.base_dir(node.span.path), node.value)
        text = project.read_text(path) if path is not None else None
        if text is None:
            continue
        for entry in parse_dotenv(text, variables.get).entries:
            value = entry.value if entry.value is not None else variables.get(entry.key)
            if value is not None:
                result[entry.key] = value
    for key, value in service.environment.items():
        result[key] = value.value if value.value is not None else variables.get(key)
    return result


def undeployed_files(project) -> tuple[str, ...]:
    """Compose files of the project that no deployment includes, sorted."""
    deployed = deployed_files(project)
    return tuple(sorted(path for path in project.compose_files if path not in deployed))
