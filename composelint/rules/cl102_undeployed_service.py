"""A service is defined only in compose files that no deployment runs."""

from __future__ import annotations

import posixpath

from composelint.diagnostics import Related, Severity
from composelint.graph import VERBS, graph_of, names_list
from composelint.rules._rule import Violation, rule

_NOTES = 8
_PLURAL = {"depends_on": "depend on", "links": "link to", "host": "address", "extends": "extend",
           "network_mode": "use the network stack of", "volumes_from": "mount the volumes of",
           "ipc": "share the IPC namespace of", "pid": "share the PID namespace of"}


@rule(code="CL102", name="undeployed-service", severity="error",
      summary="a service is defined only in compose files no deployment runs (error when a deployed service "
              "needs it)")
def check(project, options):
    graph = graph_of(project)
    for item in graph.undeployed_services():
        node = item.node
        needers = sorted({ref.source.name for ref in item.needers})
        where = f"defined only in `{node.file}`, which no deployment runs"
        if needers:
            message = (f"service '{node.name}' is {where}, but {names_list(needers)} "
                       f"need{'s' if len(needers) == 1 else ''} it: nothing starts it, so "
                       f"{names_list(needers) if len(needers) == 1 else 'they'} cannot reach it")
        else:
            message = f"service '{node.name}' is {where}: it never starts"
        deployments = []
        for ref in item.needers:
            if ref.source.deployment is not None and ref.source.deployment not in deployments:
                deployments.append(ref.source.deployment)
        by_span: dict = {}  # one note per place, naming every service that reaches it
        for ref in item.needers:
            what = f" in {ref.host.describe()}" if ref.host is not None else ""
            key = (ref.span, ref.kind, ref.name, what)
            names = by_span.setdefault(key, [])
            if ref.source.name not in names:
                names.append(ref.source.name)
        related = []
        for (span, kind, name, what), names in list(by_span.items())[:_NOTES]:
            verb = VERBS[kind] if len(names) == 1 else _PLURAL.get(kind, VERBS[kind])
            who = ", ".join(f"'{n}'" for n in names[:-1]) + (" and " if len(names) > 1 else "") + f"'{names[-1]}'"
            related.append(Related(span, f"{who} {verb} `{name}`{what} here"))
        yield Violation(
            node.span, message,
            help=_how_to_deploy(node.file, deployments or list(project.deployments)) + (
                "" if needers else ", or delete the service if nothing should run it"),
            related=tuple(related),
            subject=f"service '{node.name}'",
            severity=Severity.ERROR if needers else Severity.INFO,
            anchor_text=f"{node.file} {node.name}",
        )


def _how_to_deploy(path: str, deployments) -> str:
    ways = []
    for deployment in deployments[:2]:
        origin = deployment.origin
        at = f" at {origin.path}:{origin.line}" if origin is not None else ""
        first = deployment.files[0] if deployment.files else ""
        if deployment.source == "automation":
            ways.append(f"add `-f {_relative(path, deployment.project_dir)}` to the `docker compose` call{at}")
        elif deployment.source == "dotenv":
            ways.append(f"add `{_relative(path, deployment.project_dir)}` to `COMPOSE_FILE`{at}")
        elif deployment.source == "config":
            ways.append(f"add `{path}` to the deployment's `files` in the configuration{at}")
        else:
            env = posixpath.join(deployment.project_dir, ".env") if deployment.project_dir else ".env"
            ways.append(f"`include:` it from `{first}` (`include: [{_relative(path, posixpath.dirname(first))}]`), "
                        f"or list both files in `COMPOSE_FILE` in `{env}`")
    if not ways:
        return (f"deploy it: list `{path}` in a deployment (`deployments:` in the configuration, `COMPOSE_FILE`, "
                "or a `docker compose -f` call), or delete the file if nothing should run it")
    return "deploy it: " + "; or ".join(ways)


def _relative(path: str, directory: str) -> str:
    return posixpath.relpath(path, directory) if directory else path
