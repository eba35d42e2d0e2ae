"""Building the deployment graph: which files each deployment loads, its services and what they reference.

A deployment loads its own files, those it includes (their services join it) and the bases of
``extends.file`` (templates). Services only undeployed files define get nodes of their own; the
references between them all are added by :mod:`composelint.graph.references`.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from composelint.diagnostics import Span
from composelint.graph.deployment_graph import RESOURCE_KINDS, DeploymentGraph, Node, Scope
from composelint.graph.references import (add_host_references, add_service_references, named_hosts, own_hosts,
                                          seq_items, undeployed_node)
from composelint.model import Service
from composelint.yamltree import YMap, YNode, YScalar, YSeq, scalar_text

if TYPE_CHECKING:
    from composelint.model import Project


def graph_of(project: "Project") -> DeploymentGraph:
    """The project's deployment graph, built on first use and shared by every rule and renderer that asks."""
    return project.derived("graph", build_graph)


def build_graph(project: "Project") -> DeploymentGraph:
    graph = DeploymentGraph(project)
    compose_files = project.compose_files
    defined_in: dict[str, list[str]] = {}  # service name -> files defining it
    for path, compose in compose_files.items():
        for name in compose.services:
            defined_in.setdefault(name, []).append(path)

    # Which files each deployment loads: its own, include: (their services join), extends.file (bases only).
    loaded: dict[str, tuple[list[str], list[str]]] = {}
    for deployment in project.deployments:
        files, templates = _closure(project, tuple(deployment.files) + tuple(deployment.included))
        loaded[deployment.name] = (files, templates)
        graph.included_files.update(files)
        graph.included_files.update(templates)
    deployed_names = set()
    for path in graph.included_files:
        compose = compose_files.get(path)
        if compose is not None:
            deployed_names.update(compose.services)

    # Services that only undeployed files define. One whose name some deployment also defines gets a
    # node only when a deployment that lacks it needs it (_shadowed): an unrelated project's `redis`
    # does not start the one this deployment needs.
    graph.deployed_names = frozenset(deployed_names)
    undeployed_index: dict[str, list[Node]] = {}
    for path in sorted(compose_files):
        compose = compose_files[path]
        if path in graph.included_files or not compose.services:
            continue
        scope = Scope(path, None, (path,), dict(compose.services), set(compose.services))
        graph.file_scopes[path] = scope
        for name, service in compose.services.items():
            if name in deployed_names:
                for host in own_hosts(service):
                    graph.shadowed.setdefault(host.lower(), []).append((scope, name, service))
                continue
            undeployed_node(graph, scope, name, service, undeployed_index)
        _index_hosts(scope)

    for deployment in project.deployments:
        files, templates = loaded[deployment.name]
        services = dict(deployment.services)
        active = set(deployment.active)
        enabled = set(deployment.profiles)
        for path in files:
            compose = compose_files.get(path)
            for name, service in (compose.services.items() if compose is not None else ()):
                if name not in services:
                    services[name] = service
                    if not service.profiles or enabled & set(service.profiles):
                        active.add(name)
        scope = Scope(deployment.name, deployment, tuple(files), services, active)
        graph.scopes[deployment.name] = scope
        for name, service in services.items():
            scope.nodes[name] = graph.add_node(Node(f"{deployment.name}/{name}", name, "service", deployment.name,
                                                    service, deployment, service.file, name in active))
        _index_hosts(scope)
        _declare_resources(project, scope)

    for scope in list(graph.scopes.values()) + list(graph.file_scopes.values()):
        for name, node in list(scope.nodes.items()):
            add_service_references(graph, scope, node, defined_in, undeployed_index)
            add_host_references(graph, scope, node, defined_in, undeployed_index)
    graph._flush()
    return graph


def _closure(project, start: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Files a deployment loads (its own and include:d ones), and the extends.file bases they use."""
    from composelint.parsers.compose import resolve_path

    files: list[str] = []
    templates: list[str] = []
    seen: set[str] = set()
    queue = list(start)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        files.append(path)
        compose = project.compose_files.get(path)
        root = compose.root if compose is not None else None
        if not isinstance(root, YMap):
            continue
        base = posixpath.dirname(path)
        for written in _include_paths(root.get("include")):
            resolved = resolve_path(base, written)
            if resolved and resolved not in seen:
                queue.append(resolved)
        for service in compose.services.values():
            target = _extends_file(service)
            if target is not None and target not in seen and target not in templates:
                templates.append(target)
    # bases may themselves extend further files
    index = 0
    while index < len(templates):
        compose = project.compose_files.get(templates[index])
        index += 1
        for service in (compose.services.values() if compose is not None else ()):
            target = _extends_file(service)
            if target is not None and target not in seen and target not in templates:
                templates.append(target)
    return files, [path for path in templates if path not in seen]


def _include_paths(node: YNode | None) -> list[str]:
    paths = []
    for item in node.items if isinstance(node, YSeq) else ():
        if isinstance(item, YScalar):
            text = scalar_text(item)
            if text:
                paths.append(text)
        elif isinstance(item, YMap):
            value = item.get("path")
            if isinstance(value, YSeq):
                paths.extend(t for t in (scalar_text(v) for v in value.items) if t)
            elif scalar_text(value):
                paths.append(scalar_text(value))
    return paths


def _extends_file(service: Service) -> str | None:
    from composelint.parsers.compose import resolve_path

    node = service.get("extends")
    if not isinstance(node, YMap):
        return None
    file_node = node.get("file")
    written = scalar_text(file_node)
    if not written:
        return None
    return resolve_path(posixpath.dirname(file_node.span.path), written)


# The keys by which a service gives itself, or another container, more host names (_index_hosts).
_HOST_KEYS = frozenset(("hostname", "container_name", "networks", "links", "external_links", "extra_hosts"))


def _index_hosts(scope: Scope) -> None:
    hosts = scope.hosts
    for name in scope.services:
        hosts.setdefault(name.lower(), (name, "service"))
    for name, service in scope.services.items():
        node = service.node
        if _HOST_KEYS.isdisjoint(node.entries):
            continue  # most services: known by their name alone
        for text, how in named_hosts(service):
            hosts.setdefault(text.lower(), (name, how))
        for item in seq_items(node.get("links")):
            text = scalar_text(item) or ""
            target, _, alias = text.partition(":")
            if alias:
                hosts.setdefault(alias.lower(), (target, "link"))
        for item in seq_items(node.get("external_links")):
            for part in (scalar_text(item) or "").split(":"):
                if part:
                    hosts.setdefault(part.lower(), ("", "external_links"))
        extra = node.get("extra_hosts")
        if isinstance(extra, YMap):
            for key in extra.keys():
                hosts.setdefault(str(key).lower(), ("", "extra_hosts"))
        for item in seq_items(extra):
            text = scalar_text(item) or ""
            separator = "=" if "=" in text else ":"
            host = text.partition(separator)[0].strip()
            if host:
                hosts.setdefault(host.lower(), ("", "extra_hosts"))


def _declare_resources(project, scope: Scope) -> None:
    roots = []
    deployment = scope.deployment
    if deployment is not None and isinstance(deployment.root, YMap):
        roots.append(deployment.root)
    for path in scope.files:
        compose = project.compose_files.get(path)
        if compose is not None and isinstance(compose.root, YMap) and (
                deployment is None or deployment.root is None or path not in deployment.files):
            roots.append(compose.root)
    for kind in RESOURCE_KINDS:
        declared: dict[str, Span] = {}
        for root in roots:
            section = root.get(kind)
            if not isinstance(section, YMap):
                continue
            for name, entry in section.entries.items():
                declared.setdefault(name, entry.key.span)
                if kind == "networks" and isinstance(entry.value, YMap) and _external(entry.value.get("external")):
                    scope.external_networks.add(name)
        scope.declared[kind] = declared


def _external(node: YNode | None) -> bool:
    """``external: true``, or the legacy ``external: {name: …}``."""
    return isinstance(node, YMap) or scalar_text(node) == "true"
