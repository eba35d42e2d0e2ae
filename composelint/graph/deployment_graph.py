"""The deployment graph's nodes, typed references, scopes, and the queries rules ask of it.

:mod:`composelint.graph.build` fills a :class:`DeploymentGraph` once per project; rules read it
through the queries below.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from dataclasses import field
from typing import TYPE_CHECKING, Iterable, Iterator

from composelint.analysis.hosts import HostRef
from composelint.diagnostics import Span
from composelint.graph.adjacency import DiGraph, MultiDiGraph
from composelint.model import Deployment, Service
from composelint.records import record
from composelint.yamltree import YMap, YSeq, scalar_text

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
    order: object = None  # DiGraph of start-order edges, built on first use


# --------------------------------------------------------------------------- the graph


class DeploymentGraph:
    """Typed queries over the graph; rules never touch networkx."""

    def __init__(self, project: "Project"):
        self.project = project
        self.graph = MultiDiGraph()
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
        self._reach: dict[str, frozenset] = {}
        self._by_kinds: dict[frozenset | None, list[Reference]] = {}  # see references()
        self._ordering: dict[str, tuple] = {}  # scope -> (start order, levels), see ordered()

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
        self._by_kinds.clear()

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
        """The references of ``kinds`` (None: all) from ``scope`` (None: every scope), in edge order."""
        # The rules ask for every host reference, every order reference... of the whole graph, five scans in
        # all (~4,000 references each at 1,000 services): each kind's list is made once and kept.
        wanted = frozenset(kinds) if kinds is not None else None
        found = self._by_kinds.get(wanted)
        if found is None:
            every = self._by_kinds.get(None)
            if every is None:
                every = self._by_kinds[None] = list(self.graph.edge_refs())
            found = every if wanted is None else [ref for ref in every if ref.kind in wanted]
            self._by_kinds[wanted] = found
        return iter(found if scope is None else [ref for ref in found if ref.source.scope == scope])

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
            return DiGraph()
        if scope.order is None:
            order = DiGraph()
            for node in scope.nodes.values():
                order.add_node(node.id)
            out_refs = self.graph.out_refs
            for node in scope.nodes.values():
                for ref in out_refs(node.id):
                    if ref.kind in ORDER_KINDS and ref.target.kind in ("service", "undeployed") \
                            and not order.has_edge(node.id, ref.target.id):
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
        # Asked ~3,000 times a run at 1,000 services (CL107): the scope's order and levels in one lookup.
        known = self._ordering.get(then.scope)
        if known is None:
            known = self._ordering[then.scope] = (self.order_graph(then.scope), self._levels(then.scope))
        order, levels = known
        waits_for = order.succ.get(then.id)
        if waits_for is None or first.id not in order.succ:
            return False
        if first.id in waits_for:
            return True
        if levels is not None and levels.get(then.id, 0) >= levels.get(first.id, 0):
            return False  # a waiter sits in an earlier topological generation than all it waits for
        reach = self._reach.get(then.id)
        if reach is None:  # one bounded search per waiting service, shared by all its references
            reach = self._reach[then.id] = order.within(then.id, ORDER_DEPTH)
        return first.id in reach

    def _levels(self, scope_name: str) -> dict | None:
        """Topological generation of each service of an acyclic start order (None with a cycle); worked out
        once per scope, kept with its order by ``ordered``."""
        layers = self.order_graph(scope_name).generations()
        return None if layers is None else {node_id: level for level, layer in enumerate(layers) for node_id in layer}

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


def _service_networks(service: Service) -> list[str]:
    node = service.get("networks")
    if isinstance(node, YMap):
        return list(node.keys())
    if isinstance(node, YSeq):
        return [t for t in (scalar_text(item) for item in node.items) if t]
    return ["default"]
