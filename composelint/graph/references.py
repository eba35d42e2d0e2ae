"""The typed references of each service: start order, extends, and the hosts its settings address.

Each reference resolves to a service of the same deployment, else to a service only an undeployed
file defines (``undeployed``), else to a name nothing defines (``undefined``).
"""

from __future__ import annotations

import posixpath
from typing import Iterator

from composelint.analysis.hosts import host_references, narrow_in_value
from composelint.diagnostics import Span
from composelint.graph.deployment_graph import DeploymentGraph, Node, Reference, Scope
from composelint.model import Service
from composelint.yamltree import YMap, YNode, YScalar, YSeq, scalar_text


def undeployed_node(graph: DeploymentGraph, scope: Scope, name: str, service: Service,
                    undeployed_index: dict) -> Node:
    path = scope.name
    node = graph.add_node(Node(f"undeployed:{path}/{name}", name, "undeployed", path, service, None, path))
    scope.nodes[name] = node
    graph.undeployed_nodes.append(node)
    for host in own_hosts(service):
        undeployed_index.setdefault(host.lower(), []).append(node)
    return node


def _undeployed(graph: DeploymentGraph, key: str, undeployed_index: dict) -> list[Node]:
    """Undeployed services answering to ``key``, those whose name a deployment also defines included."""
    for scope, name, service in graph.shadowed.pop(key, ()):
        if name not in scope.nodes:
            undeployed_node(graph, scope, name, service, undeployed_index)
    return undeployed_index.get(key, [])


def named_hosts(service: Service) -> Iterator[tuple[str, str]]:
    """The host names a service gives itself besides its own name, each with the key that gives it
    (``hostname``, ``container_name``, ``alias``)."""
    node = service.node
    for key in ("hostname", "container_name"):
        text = scalar_text(node.get(key))
        if text:
            yield text, key
    networks = node.get("networks")
    if isinstance(networks, YMap):
        for _, value in networks.items():
            aliases = value.get("aliases") if isinstance(value, YMap) else None
            for item in aliases.items if isinstance(aliases, YSeq) else ():
                text = scalar_text(item)
                if text:
                    yield text, "alias"


def own_hosts(service: Service) -> list[str]:
    """Names under which other containers reach this service."""
    return [service.name, *(text for text, _ in named_hosts(service))]


def seq_items(node: YNode | None) -> tuple:
    return node.items if isinstance(node, YSeq) else ()



def _resolve_service(graph: DeploymentGraph, scope: Scope, name: str,
                     defined_in: dict, undeployed_index: dict) -> list[Node]:
    node = scope.nodes.get(name)
    if node is not None:
        return [node]
    if scope.deployment is not None:
        matches = [candidate for candidate in _undeployed(graph, name.lower(), undeployed_index)
                   if candidate.name == name]
        if matches:
            return matches
    elif name in defined_in:
        return []  # an undeployed file naming a service of another file: meant to be combined with it
    return [_undefined(graph, scope, name, defined_in)]


def _id_prefix(scope: Scope) -> str:
    return scope.name if scope.deployment is not None else f"undeployed:{scope.name}"


def _undefined(graph: DeploymentGraph, scope: Scope, name: str, defined_in: dict) -> Node:
    key = name.lower()
    node = scope.undefined.get(key)
    if node is None:
        elsewhere = tuple(path for path in defined_in.get(name, ()) if path not in scope.files)
        node = graph.add_node(Node(f"{_id_prefix(scope)}/?{name}", name, "undefined", scope.name,
                                   deployment=scope.deployment, defined_in=elsewhere))
        scope.undefined[key] = node
    return node


_RARE_KEYS = frozenset(("links", "network_mode", "ipc", "pid", "volumes_from"))


def add_service_references(graph: DeploymentGraph, scope: Scope, node: Node, defined_in: dict,
                           undeployed_index: dict) -> None:
    service = node.service
    if service is None:
        return
    sources = graph.project.sources

    def add(kind: str, name: str, span: Span, **extra) -> None:
        for target in _resolve_service(graph, scope, name, defined_in, undeployed_index):
            graph.add_reference(Reference(kind, node, target, name, span, **extra))

    depends = service.get("depends_on")
    for dependency in service.depends_on:
        condition_span = None
        if isinstance(depends, YMap):
            options = depends.get(dependency.service.value)
            condition_node = options.get("condition") if isinstance(options, YMap) else None
            condition_span = condition_node.span if condition_node is not None else None
        add("depends_on", dependency.service.value, dependency.service.span, condition=dependency.condition,
            required=dependency.required, condition_span=condition_span)
    if not _RARE_KEYS.isdisjoint(service.node.entries):  # most services have none of them
        _add_rare_references(service, add, sources)
    _add_extends(graph, scope, node, defined_in)


def _add_rare_references(service: Service, add, sources) -> None:
    """links, network_mode / ipc / pid: service:…, volumes_from."""
    for item in seq_items(service.get("links")):
        text = scalar_text(item)
        if text:
            target = text.partition(":")[0]
            add("links", target, narrow_in_value(item.span, text, 0, len(target), sources))
    for key in ("network_mode", "ipc", "pid"):
        item = service.get(key)
        text = scalar_text(item)
        if text and text.startswith("service:") and len(text) > 8:
            add(key, text[8:], narrow_in_value(item.span, text, 8, len(text) - 8, sources))
    for item in seq_items(service.get("volumes_from")):
        text = scalar_text(item)
        if text and not text.startswith("container:"):
            target = text.split(":", 1)[0]
            add("volumes_from", target, narrow_in_value(item.span, text, 0, len(target), sources))


def _add_extends(graph: DeploymentGraph, scope: Scope, node: Node, defined_in: dict) -> None:
    """``extends`` as written in each file that defines the service (a deployment's model has it resolved)."""
    compose_files = graph.project.compose_files
    if scope.deployment is None:
        definitions = [node.service]
    else:
        definitions = [compose_files[path].services[node.name] for path in scope.files
                       if path in compose_files and node.name in compose_files[path].services]
    seen = set()
    for service in definitions:
        extends = service.get("extends")
        if isinstance(extends, YScalar):
            name_node, file_node = extends, None
        elif isinstance(extends, YMap):
            name_node, file_node = extends.get("service"), extends.get("file")
        else:
            continue
        name = scalar_text(name_node)
        if not name or name_node.span in seen:
            continue
        seen.add(name_node.span)
        target = _extends_target(graph, scope, name, name_node, file_node, defined_in)
        if target is not None and target is not node:  # self-extension is Compose's own error
            graph.add_reference(Reference("extends", node, target, name, name_node.span))


def _extends_target(graph: DeploymentGraph, scope: Scope, name: str, name_node: YNode, file_node: YNode | None,
                    defined_in: dict) -> Node | None:
    compose_files = graph.project.compose_files
    written = scalar_text(file_node)
    if written:
        from composelint.parsers.compose import resolve_path

        path = resolve_path(posixpath.dirname(file_node.span.path), written)
        compose = compose_files.get(path) if path else None
        if compose is None:
            return None  # a file composelint did not load: nothing to check against
        if name not in compose.services:
            return _undefined_in_file(graph, scope, name, path)
        if path in scope.files and name in scope.nodes:
            return scope.nodes[name]
        return _template(graph, path, name, compose.services[name])
    written_in = compose_files.get(name_node.span.path)
    if written_in is not None and name in written_in.services:
        if name in scope.nodes and written_in.path in scope.files:
            return scope.nodes[name]
        return _template(graph, written_in.path, name, written_in.services[name])
    if name in scope.nodes:
        return scope.nodes[name]
    return _undefined(graph, scope, name, defined_in)


def _undefined_in_file(graph: DeploymentGraph, scope: Scope, name: str, path: str) -> Node:
    key = f"{path}#{name}"
    node = scope.undefined.get(key)
    if node is None:
        node = scope.undefined[key] = graph.add_node(Node(f"{_id_prefix(scope)}/?{key}", name, "undefined",
                                                          scope.name, deployment=scope.deployment, file=path))
    return node


def _template(graph: DeploymentGraph, path: str, name: str, service: Service) -> Node:
    key = (path, name)
    if key not in graph.templates:
        graph.templates[key] = graph.add_node(Node(f"template:{path}/{name}", name, "template", path, service,
                                                   None, path))
    return graph.templates[key]


def _kept_host_references(project, service: Service):
    """A service's host references, reused while its merged YAML node and the values built from it are the
    same objects: across the runs of a language-server session, for every deployment an edit did not touch."""
    if service.node is None:
        return host_references(service, project.sources)
    return project.facts.kept("graph.host_references",
                              (service.node, service.environment, service.command, service.entrypoint),
                              lambda: host_references(service, project.sources))


def add_host_references(graph: DeploymentGraph, scope: Scope, node: Node, defined_in: dict,
                        undeployed_index: dict) -> None:
    service = node.service
    if service is None or node.kind == "template":
        return
    refs = graph._host_cache.get(id(service))
    if refs is None:
        refs = graph._host_cache[id(service)] = _kept_host_references(graph.project, service)
    for host in refs:
        if host.external:
            continue
        key = host.host.lower()
        if key in graph.known_hosts:
            continue
        resolved = scope.hosts.get(key)
        if resolved is not None:
            target_name, how = resolved
            target = scope.nodes.get(target_name) if target_name else None
            if target is not None and target is not node:
                graph.add_reference(Reference("host", node, target, host.host, host.span, host=host, via=how))
            continue
        if scope.deployment is None:
            continue  # an undeployed file: its hosts may live in the files it is meant to join
        targets = _undeployed(graph, key, undeployed_index) or [_undefined(graph, scope, host.host, defined_in)]
        for target in targets:
            graph.add_reference(Reference("host", node, target, host.host, host.span, host=host, via="undeployed"
                                          if target.kind == "undeployed" else "unresolved"))
