"""The deployment graph: every service of every deployment and what it references.

One multigraph, built once per project (:func:`graph_of`). Nodes are a
service of a deployment, a name that is referenced but defined nowhere the deployment
loads (``undefined``), a service that only undeployed compose files define
(``undeployed``), or a base service of an ``extends.file`` outside the deployment
(``template``). Edges are typed references, each with the span it is written at:
``depends_on``, ``links``, ``network_mode``, ``volumes_from``, ``ipc``, ``pid``
(the start-order kinds), ``extends``, and ``host`` (an address in the environment, the
command or the healthcheck).

networkx is imported lazily, and only to take a cycle apart: an acyclic repository is linted
without it. Rules use the typed queries of :class:`DeploymentGraph`; the renderers
(:mod:`composelint.reporters.graph`, :mod:`composelint.reporters.graph_html`) draw it.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import field
from typing import TYPE_CHECKING, Iterable, Iterator

from composelint.analysis.hosts import HostRef, host_references, narrow_in_value
from composelint.diagnostics import Span
from composelint.model import Deployment, Service
from composelint.records import record
from composelint.yamltree import YMap, YNode, YScalar, YSeq, scalar_text

if TYPE_CHECKING:
    from composelint.model import Project

ORDER_KINDS = frozenset(("depends_on", "links", "network_mode", "volumes_from", "ipc", "pid"))
SERVICE_KINDS = ORDER_KINDS | {"extends"}
EDGE_KINDS = ("depends_on", "links", "network_mode", "volumes_from", "ipc", "pid", "extends", "host")
RESOURCE_KINDS = ("networks", "volumes", "secrets", "configs")
# How many start-order hops `ordered` follows: A waits for B through at most this many services. A bound keeps
# the check linear in the size of the graph; real chains (web -> api -> db) are short.
ORDER_DEPTH = 4
_VARIABLE = re.compile(r"\$(?:\([^)]*\)|\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)|`[^`]*`")


# --------------------------------------------------------------------------- adjacency


class _MultiDiGraph:
    """The part of ``networkx.MultiDiGraph`` this module uses, iterating in exactly its order.

    Importing networkx costs more than linting a whole repository, and an acyclic deployment
    needs none of its algorithms: networkx is imported only for a cycle (``dependency_cycles``).
    Nodes iterate in insertion order; edges grouped by source (node order), then by target
    (order of the first edge between the two), then in insertion order — networkx's order.
    """

    __slots__ = ("_node", "_succ", "_pred")

    def __init__(self) -> None:
        self._node: dict = {}
        self._succ: dict = {}
        self._pred: dict = {}

    def add_node(self, node_id, **attributes) -> None:
        if node_id in self._node:
            self._node[node_id].update(attributes)
            return
        self._node[node_id] = attributes
        self._succ[node_id] = {}
        self._pred[node_id] = {}

    def add_edges_from(self, edges) -> None:
        """``(source, target, ref)`` triples; a missing node is added as networkx adds it."""
        for source, target, ref in edges:
            if source not in self._node:
                self.add_node(source)
            if target not in self._node:
                self.add_node(target)
            parallel = self._succ[source].get(target)
            if parallel is None:
                parallel = self._succ[source][target] = self._pred[target][source] = []
            parallel.append(ref)

    def node_data(self, node_id) -> dict:
        return self._node[node_id]

    def node_values(self):
        return self._node.values()

    def edge_refs(self):
        for targets in self._succ.values():
            for parallel in targets.values():
                yield from parallel

    def out_refs(self, node_id) -> list:
        targets = self._succ.get(node_id)
        return [ref for parallel in targets.values() for ref in parallel] if targets else []

    def in_refs(self, node_id) -> list:
        sources = self._pred.get(node_id)
        return [ref for parallel in sources.values() for ref in parallel] if sources else []

    def number_of_nodes(self) -> int:
        return len(self._node)

    def number_of_edges(self) -> int:
        return sum(len(parallel) for targets in self._succ.values() for parallel in targets.values())


class _DiGraph:
    """A start-order graph: ``succ[a][b]`` is the reference by which ``a`` waits for ``b``.

    Same node and edge order as the ``networkx.DiGraph`` it replaces; :meth:`to_networkx`
    rebuilds that graph, edge for edge, when an algorithm only networkx has is needed (cycles).
    """

    __slots__ = ("succ", "pred")

    def __init__(self) -> None:
        self.succ: dict = {}
        self.pred: dict = {}

    def __contains__(self, node_id) -> bool:
        return node_id in self.succ

    def add_node(self, node_id) -> None:
        if node_id not in self.succ:
            self.succ[node_id] = {}
            self.pred[node_id] = {}

    def add_edge(self, source, target, ref) -> None:
        self.add_node(source)
        self.add_node(target)
        self.succ[source][target] = ref
        self.pred[target][source] = ref

    def has_edge(self, source, target) -> bool:
        targets = self.succ.get(source)
        return targets is not None and target in targets

    def generations(self, reverse: bool = False) -> list[list] | None:
        """``networkx.topological_generations`` (of the reversed graph with ``reverse``); None on a cycle."""
        after, before = (self.pred, self.succ) if reverse else (self.succ, self.pred)
        indegree = {node: len(sources) for node, sources in before.items() if sources}
        ready = [node for node, sources in before.items() if not sources]
        layers = []
        while ready:
            layer, ready = ready, []
            for node in layer:
                for child in after[node]:
                    indegree[child] -= 1
                    if indegree[child] == 0:
                        ready.append(child)
                        del indegree[child]
            layers.append(layer)
        return None if indegree else layers

    def within(self, source, depth: int) -> frozenset:
        """Nodes reachable from ``source`` in at most ``depth`` edges (``source`` included)."""
        seen = {source}
        frontier = [source]
        for _ in range(depth):
            following = []
            for node in frontier:
                for child in self.succ[node]:
                    if child not in seen:
                        seen.add(child)
                        following.append(child)
            if not following:
                break
            frontier = following
        return frozenset(seen)

    def to_networkx(self):
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self.succ)
        for source, targets in self.succ.items():
            for target, ref in targets.items():
                graph.add_edge(source, target, ref=ref)
        return graph


@record(eq=False)
class Node:
    id: str  # unique and stable: "compose.yaml/web", "compose.yaml/?redis-cache", "undeployed:infra.yml/consul"
    name: str
    kind: str  # "service" | "undefined" | "undeployed" | "template"
    scope: str  # the deployment's name, or the file of an undeployed / template node
    service: Service | None = None
    deployment: Deployment | None = None
    file: str | None = None  # where it is defined
    active: bool = True  # enabled by the deployment's profiles
    defined_in: tuple[str, ...] = ()  # undefined nodes: files defining the name that the deployment does not load

    @property
    def span(self) -> Span | None:
        return self.service.name_span if self.service is not None else None

    def __repr__(self) -> str:
        return f"Node({self.id!r}, {self.kind})"


@record(eq=False)
class Reference:
    """One typed edge: ``source`` names ``target`` at ``span``."""

    kind: str  # one of EDGE_KINDS
    source: Node
    target: Node
    name: str  # the name as written: "redis-cache", "consul"
    span: Span  # the name in the reference (the host inside a URL)
    condition: str = "service_started"  # depends_on
    required: bool = True  # depends_on
    condition_span: Span | None = None  # depends_on long syntax
    host: HostRef | None = None  # kind "host"
    via: str = "service"  # how a host resolved: service, hostname, container_name, alias, link

    @property
    def label(self) -> str:
        if self.kind == "depends_on":
            extra = []
            if self.condition != "service_started":
                extra.append(self.condition.replace("service_", ""))
            if not self.required:
                extra.append("optional")
            return "depends_on" + (f" ({', '.join(extra)})" if extra else "")
        if self.kind == "host" and self.host is not None:
            host = self.host
            text = f"{host.key}={host.text}" if host.key else host.text
            return text if len(text) <= 60 else text[:57] + "..."
        return self.kind

    def __repr__(self) -> str:
        return f"Reference({self.kind}: {self.source.id} -> {self.target.id} at {self.span})"


@record(eq=False)
class Undeployed:
    node: Node
    needers: tuple[Reference, ...]  # references from active services of deployments


@record(eq=False)
class Scope:
    """What one deployment (or one undeployed file) sees: its services, hosts and resources."""

    name: str
    deployment: Deployment | None
    files: tuple[str, ...]  # compose files whose services and resources it loads (include: too)
    services: dict  # name -> Service
    active: set
    nodes: dict = field(default_factory=dict)  # name -> Node
    hosts: dict = field(default_factory=dict)  # lowered host -> (service name or "", how)
    external_networks: set = field(default_factory=set)
    declared: dict = field(default_factory=dict)  # resource kind -> {name: Span}
    undefined: dict = field(default_factory=dict)  # lowered name -> Node
    order: object = None  # _DiGraph of start-order edges, built on first use


# --------------------------------------------------------------------------- the graph


class DeploymentGraph:
    """Typed queries over the graph; rules never touch networkx."""

    def __init__(self, project: "Project"):
        self.project = project
        self.graph = _MultiDiGraph()
        self.scopes: dict[str, Scope] = {}  # deployment name -> scope
        self.file_scopes: dict[str, Scope] = {}  # undeployed file -> scope
        self.undeployed_nodes: list[Node] = []
        self.deployed_names: frozenset = frozenset()  # service names some deployment loads
        self.shadowed: dict[str, list] = {}  # host -> (file scope, name, service) of undeployed, deployed names
        self.templates: dict[tuple[str, str], Node] = {}
        self.included_files: set[str] = set()
        self.known_hosts = frozenset(h.lower() for h in getattr(project, "known_hosts", ()) or ())
        self._host_cache: dict[int, tuple[HostRef, ...]] = {}
        self._pending: list[tuple[str, str, Reference]] = []
        self._levels_cache: dict[str, dict | None] = {}
        self._reach: dict[str, frozenset] = {}

    # ---------------------------------------------------------------- nodes and edges

    def add_node(self, node: Node) -> Node:
        self.graph.add_node(node.id, node=node)
        return node

    def add_reference(self, ref: Reference) -> None:
        self._pending.append((ref.source.id, ref.target.id, ref))

    def _flush(self) -> None:
        """Add the collected references in one batch (cheaper than one add_edge each)."""
        self.graph.add_edges_from(self._pending)
        self._pending = []

    def node(self, node_id: str) -> Node:
        return self.graph.node_data(node_id)["node"]

    def nodes(self, scope: str | None = None, kinds: Iterable[str] | None = None) -> list[Node]:
        wanted = set(kinds) if kinds is not None else None
        result = []
        for data in self.graph.node_values():
            node = data["node"]
            if (scope is None or node.scope == scope) and (wanted is None or node.kind in wanted):
                result.append(node)
        return result

    def references(self, kinds: Iterable[str] | None = None, scope: str | None = None) -> Iterator[Reference]:
        wanted = set(kinds) if kinds is not None else None
        for ref in self.graph.edge_refs():
            if (wanted is None or ref.kind in wanted) and (scope is None or ref.source.scope == scope):
                yield ref

    def references_from(self, node: Node, kinds: Iterable[str] | None = None) -> list[Reference]:
        wanted = set(kinds) if kinds is not None else None
        return [ref for ref in self.graph.out_refs(node.id) if wanted is None or ref.kind in wanted]

    def dependents_of(self, node: Node, kinds: Iterable[str] | None = None) -> list[Reference]:
        """References that point at ``node`` (who depends on it, who addresses it)."""
        wanted = set(kinds) if kinds is not None else None
        return [ref for ref in self.graph.in_refs(node.id) if wanted is None or ref.kind in wanted]

    def service_node(self, deployment: str, name: str) -> Node | None:
        scope = self.scopes.get(deployment)
        return scope.nodes.get(name) if scope is not None else None

    # ---------------------------------------------------------------- queries for rules

    def deployment_scopes(self) -> list[Scope]:
        return list(self.scopes.values())

    def undefined_references(self) -> list[Reference]:
        """Service references (depends_on, links, extends …) to a name nothing the deployment loads defines."""
        return sorted((ref for ref in self.references(SERVICE_KINDS) if ref.target.kind == "undefined"),
                      key=_ref_key)

    def inactive_dependencies(self) -> list[Reference]:
        """Required start-order references from an active service to one its deployment's profiles disable."""
        found = []
        for ref in self.references(ORDER_KINDS):
            if (ref.source.kind == "service" and ref.source.active and ref.target.kind == "service"
                    and not ref.target.active and (ref.required or ref.kind != "depends_on")):
                found.append(ref)
        return sorted(found, key=_ref_key)

    def undeployed_services(self) -> list[Undeployed]:
        """Services only undeployed files define, with the deployed services that need them.

        A file that an unresolved deployment argument (``-f $(INFRA_FILE)``, ``-f compose.$ENV.yml``)
        may name is left out: composelint cannot tell that it is undeployed.
        """
        patterns = self._unresolved_patterns()
        fragments = {variant.files[-1] for variant in getattr(self.project, "variants", ()) if variant.kind == "fragment"}
        result = []
        for node in self.undeployed_nodes:
            if any(fnmatch.fnmatchcase(node.file, pattern) for pattern in patterns):
                continue
            needers = tuple(sorted((ref for ref in self.dependents_of(node)
                                    if ref.source.kind == "service" and ref.source.active), key=_ref_key))
            if not needers and node.file in fragments:
                continue  # a layer over a deployment: its services start when it is applied
            result.append(Undeployed(node, needers))
        return result

    def _unresolved_patterns(self) -> list[str]:
        patterns = []
        for deployment in self.project.deployments:
            for arg in getattr(deployment, "unresolved", ()) or ():
                written = getattr(arg, "value", arg)
                pattern = _VARIABLE.sub("*", str(written))
                if not pattern.startswith("/"):
                    pattern = posixpath.normpath(posixpath.join(deployment.project_dir, pattern)) \
                        if deployment.project_dir and not pattern.startswith("*") else pattern
                patterns.append(pattern)
        return patterns

    def unresolved_hosts(self) -> list[Reference]:
        """Host references of active deployed services that resolve to nothing (undeployed excluded)."""
        return sorted((ref for ref in self.references(("host",)) if ref.target.kind == "undefined"
                       and ref.source.kind == "service" and ref.source.active), key=_ref_key)

    def on_external_network(self, node: Node) -> bool:
        """Whether the service joins a network declared ``external``: other projects' containers may answer."""
        scope = self.scopes.get(node.scope)
        if scope is None or node.service is None or not scope.external_networks:
            return False
        return any(name in scope.external_networks for name in _service_networks(node.service))

    def healthy_dependencies(self) -> list[Reference]:
        """``depends_on`` with ``condition: service_healthy`` between two services of a deployment."""
        return sorted((ref for ref in self.references(("depends_on",))
                       if ref.condition == "service_healthy" and ref.source.kind == "service"
                       and ref.target.kind == "service"), key=_ref_key)

    def order_graph(self, scope_name: str):
        """The start-order DiGraph of a deployment: an edge A -> B when A waits for B."""
        scope = self.scopes.get(scope_name) or self.file_scopes.get(scope_name)
        if scope is None:
            return _DiGraph()
        if scope.order is None:
            order = _DiGraph()
            for node in scope.nodes.values():
                order.add_node(node.id)
            for node in scope.nodes.values():
                for ref in self.references_from(node, ORDER_KINDS):
                    if ref.target.kind in ("service", "undeployed") and not order.has_edge(node.id, ref.target.id):
                        order.add_edge(node.id, ref.target.id, ref)
            scope.order = order
        return scope.order

    def dependency_cycles(self) -> list[tuple[Reference, ...]]:
        """One cycle per strongly connected component of each deployment's start order (self-loops too).

        Each cycle starts at its member defined first, so the same cycle seen by several
        deployments is reported identically.
        """
        cycles = []
        for scope_name in list(self.scopes) + list(self.file_scopes):
            if self.order_graph(scope_name).generations() is not None:
                continue  # acyclic, no self-loop: no component to report, and no networkx to import
            import networkx as nx

            order = self.order_graph(scope_name).to_networkx()
            for component in nx.strongly_connected_components(order):
                if len(component) == 1:
                    member = next(iter(component))
                    if not order.has_edge(member, member):
                        continue
                start = min(component, key=lambda node_id: _node_key(self.node(node_id)))
                sub = order.subgraph(component)
                edges = nx.find_cycle(sub, source=start)
                path = [u for u, _ in edges]
                first = min(range(len(path)), key=lambda i: _node_key(self.node(path[i])))
                path = path[first:] + path[:first]
                refs = tuple(order.edges[path[i], path[(i + 1) % len(path)]]["ref"] for i in range(len(path)))
                cycles.append(refs)
        return sorted(cycles, key=lambda refs: _ref_key(refs[0]))

    def start_order(self, scope_name: str) -> list[list[str]] | None:
        """Services in start-order layers (dependencies first); None when a cycle prevents one."""
        layers = self.order_graph(scope_name).generations(reverse=True)
        if layers is None:
            return None
        return [sorted(self.node(node_id).name for node_id in layer) for layer in layers]

    def ordered(self, first: Node, then: Node) -> bool:
        """Whether ``then`` waits for ``first`` to start, directly or through up to ORDER_DEPTH services."""
        order = self.order_graph(then.scope)
        if then.id not in order or first.id not in order:
            return False
        if order.has_edge(then.id, first.id):
            return True
        levels = self._levels(then.scope)
        if levels is not None and levels.get(then.id, 0) >= levels.get(first.id, 0):
            return False  # a waiter sits in an earlier topological generation than all it waits for
        reach = self._reach.get(then.id)
        if reach is None:  # one bounded search per waiting service, shared by all its references
            reach = self._reach[then.id] = order.within(then.id, ORDER_DEPTH)
        return first.id in reach

    def _levels(self, scope_name: str) -> dict | None:
        """Topological generation of each service of an acyclic start order (None with a cycle)."""
        cache = self._levels_cache
        if scope_name not in cache:
            layers = self.order_graph(scope_name).generations()
            cache[scope_name] = None if layers is None else {
                node_id: level for level, layer in enumerate(layers) for node_id in layer}
        return cache[scope_name]

    def unordered_host_references(self) -> list[Reference]:
        """A service addresses another of its deployment by name but nothing makes it start after it."""
        found = []
        for ref in self.references(("host",)):
            source, target = ref.source, ref.target
            if (source.kind != "service" or target.kind != "service" or source is target or not source.active
                    or not target.active):
                continue
            if self.ordered(target, source) or self.ordered(source, target):
                continue  # ordered, or the target waits for the source: a depends_on would be a cycle
            found.append(ref)
        return sorted(found, key=_ref_key)

    def declared_resources(self, scope_name: str, kind: str) -> dict:
        scope = self.scopes.get(scope_name)
        return scope.declared.get(kind, {}) if scope is not None else {}


def incomplete(node: Node) -> bool:
    """The node's deployment names files composelint could not resolve: what it lacks may be there."""
    deployment = node.deployment
    return deployment is not None and not getattr(deployment, "complete", True)


def reported_by_loader(project, span: Span, code: str = "CL008") -> bool:
    """Whether the loader already recorded a problem of ``code`` around ``span`` (an unresolved extends)."""
    for problem in project.problems:
        where = problem.span
        if problem.code == code and where.path == span.path and where.start <= span.start and (
                where.end is None and where.start.line == span.start.line or where.end is not None
                and span.start <= where.end):
            return True
    return False


def _node_key(node: Node) -> tuple:
    span = node.span
    return (span.path, span.line, span.column, node.name) if span is not None else ("", 0, 0, node.name)


def _ref_key(ref: Reference) -> tuple:
    return (ref.span.path, ref.span.line, ref.span.column, ref.source.scope, ref.source.name, ref.name)


# --------------------------------------------------------------------------- building


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
                for host in _own_hosts(service):
                    graph.shadowed.setdefault(host.lower(), []).append((scope, name, service))
                continue
            _undeployed_node(graph, scope, name, service, undeployed_index)
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
            _add_service_references(graph, scope, node, defined_in, undeployed_index)
            _add_host_references(graph, scope, node, defined_in, undeployed_index)
    graph._flush()
    return graph


def _undeployed_node(graph: DeploymentGraph, scope: Scope, name: str, service: Service,
                     undeployed_index: dict) -> Node:
    path = scope.name
    node = graph.add_node(Node(f"undeployed:{path}/{name}", name, "undeployed", path, service, None, path))
    scope.nodes[name] = node
    graph.undeployed_nodes.append(node)
    for host in _own_hosts(service):
        undeployed_index.setdefault(host.lower(), []).append(node)
    return node


def _undeployed(graph: DeploymentGraph, key: str, undeployed_index: dict) -> list[Node]:
    """Undeployed services answering to ``key``, those whose name a deployment also defines included."""
    for scope, name, service in graph.shadowed.pop(key, ()):
        if name not in scope.nodes:
            _undeployed_node(graph, scope, name, service, undeployed_index)
    return undeployed_index.get(key, [])


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


def _named_hosts(service: Service) -> Iterator[tuple[str, str]]:
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


def _own_hosts(service: Service) -> list[str]:
    """Names under which other containers reach this service."""
    return [service.name, *(text for text, _ in _named_hosts(service))]


def _index_hosts(scope: Scope) -> None:
    hosts = scope.hosts
    for name in scope.services:
        hosts.setdefault(name.lower(), (name, "service"))
    for name, service in scope.services.items():
        for text, how in _named_hosts(service):
            hosts.setdefault(text.lower(), (name, how))
        node = service.node
        for item in _seq(node.get("links")):
            text = scalar_text(item) or ""
            target, _, alias = text.partition(":")
            if alias:
                hosts.setdefault(alias.lower(), (target, "link"))
        for item in _seq(node.get("external_links")):
            for part in (scalar_text(item) or "").split(":"):
                if part:
                    hosts.setdefault(part.lower(), ("", "external_links"))
        extra = node.get("extra_hosts")
        if isinstance(extra, YMap):
            for key in extra.keys():
                hosts.setdefault(str(key).lower(), ("", "extra_hosts"))
        for item in _seq(extra):
            text = scalar_text(item) or ""
            separator = "=" if "=" in text else ":"
            host = text.partition(separator)[0].strip()
            if host:
                hosts.setdefault(host.lower(), ("", "extra_hosts"))


def _seq(node: YNode | None) -> tuple:
    return node.items if isinstance(node, YSeq) else ()


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


def _service_networks(service: Service) -> list[str]:
    node = service.get("networks")
    if isinstance(node, YMap):
        return list(node.keys())
    if isinstance(node, YSeq):
        return [t for t in (scalar_text(item) for item in node.items) if t]
    return ["default"]


# --------------------------------------------------------------------------- references


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


def _add_service_references(graph: DeploymentGraph, scope: Scope, node: Node, defined_in: dict,
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
    for item in _seq(service.get("links")):
        text = scalar_text(item)
        if text:
            target = text.partition(":")[0]
            add("links", target, narrow_in_value(item.span, text, 0, len(target), sources))
    for key in ("network_mode", "ipc", "pid"):
        item = service.get(key)
        text = scalar_text(item)
        if text and text.startswith("service:") and len(text) > 8:
            add(key, text[8:], narrow_in_value(item.span, text, 8, len(text) - 8, sources))
    for item in _seq(service.get("volumes_from")):
        text = scalar_text(item)
        if text and not text.startswith("container:"):
            target = text.split(":", 1)[0]
            add("volumes_from", target, narrow_in_value(item.span, text, 0, len(target), sources))
    _add_extends(graph, scope, node, defined_in)


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


def _add_host_references(graph: DeploymentGraph, scope: Scope, node: Node, defined_in: dict,
                         undeployed_index: dict) -> None:
    service = node.service
    if service is None or node.kind == "template":
        return
    refs = graph._host_cache.get(id(service))
    if refs is None:
        refs = graph._host_cache[id(service)] = host_references(service, graph.project.sources)
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


# --------------------------------------------------------------------------- wording shared by the CL1xx rules

VERBS = {
    "depends_on": "depends on",
    "links": "links to",
    "network_mode": "uses the network stack of",
    "volumes_from": "mounts the volumes of",
    "ipc": "shares the IPC namespace of",
    "pid": "shares the PID namespace of",
    "extends": "extends",
    "host": "addresses",
}


def names_list(names: list[str], limit: int = 6) -> str:
    """`a`, `b` and `c` (and 3 more)."""
    quoted = [f"`{name}`" for name in names[:limit]]
    more = len(names) - len(quoted)
    if more > 0:
        return ", ".join(quoted) + f" and {more} more"
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]
