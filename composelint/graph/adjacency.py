"""The two small directed graphs the deployment graph is made of, in networkx's iteration order.

networkx costs more to import than linting a whole repository takes, and an acyclic deployment needs
none of its algorithms: these keep its order, and :meth:`DiGraph.to_networkx` rebuilds the real one
when a cycle must be taken apart.
"""

from __future__ import annotations


class MultiDiGraph:
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


class DiGraph:
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
