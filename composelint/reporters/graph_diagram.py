"""The layered diagram of `composelint graph --format html`: where each box goes, and the SVG of it.

Layers come from :func:`dependency_layers` (dependents on the left, what they need on the
right); a few barycentre sweeps reduce edge crossings, and a long edge runs through reserved
slots between the boxes. Linear in the size of the graph, apart from sorting. The helpers
below it (escaping, captions, counts) are shared with the page around it
(:mod:`composelint.reporters.graph_html`).
"""

from __future__ import annotations

import html
import math
import re
from typing import TYPE_CHECKING, Iterable, Sequence

from composelint.diagnostics import Diagnostic, Severity
from composelint.graph import ORDER_KINDS

if TYPE_CHECKING:
    from composelint.graph import Node, Reference

# Geometry of the diagram, in CSS pixels.
NODE_H = 46
GAP_X = 120
GAP_Y = 16
MARGIN = 24
CHAR_W = 7.8  # 13px monospace
SMALL_CHAR_W = 6.4  # 11px sans-serif, a generous average
MIN_W, MAX_W = 160, 300
DUMMY_H = 8  # the slot a long edge takes in a column it crosses
DUMMY_BUDGET = 5000  # slots at most; beyond, long edges are plain curves
WIDE = 1500  # a diagram wider than this scrolls instead of shrinking
SWEEPS = 4  # barycentre passes that reduce edge crossings; each is linear
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def escape(text: object) -> str:
    """Escaped for HTML text and attribute values; control characters and lone surrogates replaced."""
    return html.escape(_CONTROL.sub("\ufffd", str(text)), quote=True)


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _clip(text: str, width: float, char_w: float) -> str:
    room = max(1, int(width // char_w))
    return text if len(text) <= room else text[:max(1, room - 1)] + "\u2026"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _caption(node: "Node") -> str:
    if node.kind == "undefined":
        return "undefined: nothing defines it"
    if node.kind == "undeployed":
        return f"not deployed \u00b7 {node.file}"
    if node.kind == "template":
        return f"extends base \u00b7 {node.file}"
    service = node.service
    if not node.active:
        return f"profile off \u00b7 {', '.join(service.profiles)}" if service is not None else "profile off"
    if service is not None and service.image is not None:
        return service.image.value
    if service is not None and service.build is not None:
        return f"build {service.build.context.value}"
    return ""


def node_state(node: "Node") -> tuple[str, str]:
    """CSS class and tag text of a node."""
    if node.kind == "undefined":
        return "undefined", "undefined"
    if node.kind == "undeployed":
        return "undeployed", "not deployed"
    if node.kind == "template":
        return "template", "extends base"
    if not node.active:
        return "inactive", "profile off"
    return "service", "deployed"


def severity_counts(found: Sequence[Diagnostic]) -> dict[Severity, int]:
    counts = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    for diagnostic in found:
        counts[diagnostic.severity] += 1
    return counts


# --------------------------------------------------------------------------- layout


def dependency_layers(nodes: Iterable, edges: Iterable[tuple], weak: Iterable[tuple] = ()) -> list[list]:
    """Nodes in drawing layers, dependencies first: an edge ``(a, b)`` (a needs b) puts b in an earlier layer.

    The layers are the topological generations of ``edges`` (start order) with each cycle
    condensed into one node, so the members of a cycle share a layer and a cycle never fails.
    ``weak`` edges (host references, extends) also order the layers, except those that would
    close a cycle: they are left out. Within a layer, nodes keep the order of ``nodes``. Edges
    naming nodes not in ``nodes``, and self-loops, are ignored. Linear in nodes and edges.
    """
    import networkx as nx

    order = list(dict.fromkeys(nodes))
    known = set(order)
    strong = nx.DiGraph()
    strong.add_nodes_from(order)
    strong.add_edges_from((a, b) for a, b in edges if a in known and b in known and a != b)
    condensed = nx.condensation(strong)
    member = condensed.graph["mapping"]  # node -> component
    weak_edges = {(member[a], member[b]) for a, b in weak if a in known and b in known and member[a] != member[b]}
    if weak_edges:
        combined = condensed.copy()
        combined.add_edges_from(weak_edges)
        group = {}
        for index, component in enumerate(nx.strongly_connected_components(combined)):
            for item in component:
                group[item] = index
        condensed.add_edges_from(edge for edge in sorted(weak_edges) if group[edge[0]] != group[edge[1]])
    layer_of: dict = {}
    for level, generation in enumerate(nx.topological_generations(condensed.reverse(copy=False))):
        for component in generation:
            layer_of[component] = level
    layers: list[list] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for node in order:
        layers[layer_of[member[node]]].append(node)
    return layers


class Diagram:
    """Positions of the nodes and paths of the edges of one layered diagram."""

    def __init__(self, nodes: list["Node"], refs: list["Reference"], findings: dict[str, list[Diagnostic]],
                 anchors: dict[str, str]):
        self.nodes = nodes
        self.findings = findings
        self.anchors = anchors
        pairs: dict[tuple[str, str], list[Reference]] = {}
        for ref in refs:
            pairs.setdefault((ref.source.id, ref.target.id), []).append(ref)
        self.pairs = pairs
        ids = [node.id for node in nodes]
        strong = [pair for pair, found in pairs.items() if any(ref.kind in ORDER_KINDS for ref in found)]
        layers = dependency_layers(ids, strong, pairs)[::-1]  # dependents on the left
        column_of = {node_id: number for number, layer in enumerate(layers) for node_id in layer}
        rows = max(12, math.ceil(math.sqrt(len(ids)) * 1.3))
        split = any(len(layer) > rows for layer in layers)
        # A long edge passes through a reserved slot in each column it crosses (a "dummy"), so it
        # runs between boxes instead of through them. Big graphs, whose layers are split into
        # several columns, keep plain curves.
        self.via: dict[tuple[str, str], list[tuple]] = {}
        if not split:
            spans = [(pair, column_of[pair[0]], column_of[pair[1]]) for pair in pairs]
            spans = [item for item in spans if item[2] - item[1] > 1]
            if sum(end - begin - 1 for _, begin, end in spans) <= DUMMY_BUDGET:
                for index, (pair, begin, end) in enumerate(spans):
                    chain = [("via", index, column) for column in range(begin + 1, end)]
                    for dummy in chain:
                        layers[dummy[2]].append(dummy)
                    self.via[pair] = chain
        neighbours: dict = {}
        for pair in pairs:
            if pair[0] == pair[1]:
                continue
            hops = [pair[0], *self.via.get(pair, ()), pair[1]]
            for a, b in zip(hops, hops[1:]):
                neighbours.setdefault(a, []).append(b)
                neighbours.setdefault(b, []).append(a)
        layers = _reduce_crossings(layers, neighbours)
        columns = [layer[first:first + rows] for layer in layers for first in range(0, len(layer), rows)] \
            if split else layers
        by_id = {node.id: node for node in nodes}
        self.width_of_node = self._node_width(nodes)
        heights = [sum(_height(item) + GAP_Y for item in column) - GAP_Y for column in columns]
        full = max(heights, default=0)
        self.pos: dict = {}
        for index, column in enumerate(columns):
            x = MARGIN + index * (self.width_of_node + GAP_X)
            y = MARGIN + (full - heights[index]) / 2
            for item in column:
                self.pos[item] = (x, y)
                y += _height(item) + GAP_Y
        self.width = MARGIN * 2 + max(0, len(columns) * (self.width_of_node + GAP_X) - GAP_X) + 40
        self.height = MARGIN * 2 + max(0, full) + 10
        # A diagram that fits a screen shrinks with the window; a bigger one keeps its size and scrolls.
        self.frame = "diagram wide" if self.width > WIDE else "diagram"
        self.order_kinds = ORDER_KINDS
        self.by_id = by_id

    @staticmethod
    def _node_width(nodes: list["Node"]) -> float:
        wanted = MIN_W
        for node in nodes:
            wanted = max(wanted, len(node.name) * CHAR_W + 70, len(_caption(node)) * SMALL_CHAR_W + 30)
        return min(MAX_W, wanted)

    def svg(self, label: str) -> str:
        out = [f'<svg class="graph" role="img" aria-label="{escape(label)}" width="{_n(self.width)}" '
               f'height="{_n(self.height)}" viewBox="0 0 {_n(self.width)} {_n(self.height)}">']
        out.extend(self._edges())
        for node in self.nodes:
            out.append(self._node(node))
        out.append("</svg>")
        return "\n".join(out)

    def _edges(self) -> list[str]:
        w = self.width_of_node
        outgoing: dict[str, list[tuple[str, str]]] = {}
        incoming: dict[str, list[tuple[str, str]]] = {}
        for source, target in self.pairs:
            if source != target:
                outgoing.setdefault(source, []).append((source, target))
                incoming.setdefault(target, []).append((source, target))
        via = self.via
        port_out = _ports(outgoing, lambda pair: self.pos[via[pair][0] if pair in via else pair[1]][1])
        port_in = _ports(incoming, lambda pair: self.pos[via[pair][-1] if pair in via else pair[0]][1])
        lines = []
        for (source, target), refs in self.pairs.items():
            sx, sy = self.pos[source]
            tx, ty = self.pos[target]
            kinds = {ref.kind for ref in refs}
            style = "order" if kinds & self.order_kinds else "extends" if "extends" in kinds else "host"
            missing = self.by_id[target].kind in ("undefined", "undeployed")
            css = f"edge {style}" + (" missing" if missing else "")
            marker = "missing" if missing else style
            if source == target:
                x, y = sx + w, sy + NODE_H / 2
                d = f"M{_n(x)} {_n(y - 8)}C{_n(x + 40)} {_n(y - 30)} {_n(x + 40)} {_n(y + 30)} {_n(x + 2)} {_n(y + 8)}"
            else:
                x1, y1 = sx + w, sy + NODE_H / 2 + port_out[(source, target)]
                y2 = ty + NODE_H / 2 + port_in[(source, target)]
                if tx > sx:
                    d = f"M{_n(x1)} {_n(y1)}"
                    for dummy in via.get((source, target), ()):
                        dx, dy = self.pos[dummy]
                        dy += DUMMY_H / 2
                        d += _curve(x1, y1, dx, dy) + f"H{_n(dx + w)}"
                        x1, y1 = dx + w, dy
                    d += _curve(x1, y1, tx - 3, y2)
                else:  # a cycle: back into the right side of the target
                    x2 = tx + w + 3
                    bulge = max(x1, x2) + min(GAP_X - 20, 30 + abs(y2 - y1) / 4)
                    d = f"M{_n(x1)} {_n(y1)}C{_n(bulge)} {_n(y1)} {_n(bulge)} {_n(y2)} {_n(x2)} {_n(y2)}"
            names = (self.by_id[source].name, self.by_id[target].name)
            tip = f"{names[0]} \u2192 {names[1]}: " + "; ".join(ref.label for ref in refs)
            lines.append(f'<path class="{css}" d="{d}" marker-end="url(#cl-arrow-{marker})">'
                         f"<title>{escape(tip)}</title></path>")
        return lines

    def _node(self, node: "Node") -> str:
        x, y = self.pos[node.id]
        w = self.width_of_node
        css, tag = node_state(node)
        found = self.findings.get(node.id, ())
        counts = severity_counts(found)
        worst = max((d.severity for d in found), default=None)
        badges = []
        right = x + w - 8
        for severity, css_badge in ((Severity.WARNING, "warn"), (Severity.ERROR, "err")):
            count = counts[severity]
            if not count:
                continue
            text = str(count)
            bw = 12 + 7 * len(text)
            right -= bw
            badges.append(f'<rect class="badge {css_badge}" x="{_n(right)}" y="{_n(y + 8)}" width="{bw}" '
                          f'height="16" rx="8"/><text class="badge-text" x="{_n(right + bw / 2)}" '
                          f'y="{_n(y + 20)}">{text}</text>')
            right -= 4
        name = _clip(node.name, right - x - 14, CHAR_W)
        caption = _clip(_caption(node), w - 24, SMALL_CHAR_W)
        tip = f"{node.name} ({tag})" + (f": {plural(len(found), 'finding')}" if found else "")
        parts = [f'<a class="node {css}" href="#{self._anchor(node)}">',
                 f"<title>{escape(tip)}</title>",
                 f'<rect class="box" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{NODE_H}" rx="6"/>']
        if worst is not None and css == "service":
            parts.append(f'<rect class="health {worst.label}" x="{_n(x)}" y="{_n(y)}" width="5" '
                         f'height="{NODE_H}" rx="2"/>')
        parts.append(f'<text class="name" x="{_n(x + 13)}" y="{_n(y + 20)}">{escape(name)}</text>')
        if caption:
            parts.append(f'<text class="caption" x="{_n(x + 13)}" y="{_n(y + 36)}">{escape(caption)}</text>')
        parts.extend(badges)
        parts.append("</a>")
        return "".join(parts)

    def _anchor(self, node: "Node") -> str:
        return self.anchors.get(node.id, "")


def _height(item) -> float:
    return DUMMY_H if isinstance(item, tuple) else NODE_H


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """A horizontal S-curve from (x1, y1) to (x2, y2), as the continuation of a path."""
    bend = max(30.0, (x2 - x1) / 2)
    return f"C{_n(x1 + bend)} {_n(y1)} {_n(x2 - bend)} {_n(y2)} {_n(x2)} {_n(y2)}"


def _ports(groups: dict[str, list[tuple[str, str]]], key) -> dict[tuple[str, str], float]:
    """Spread the ends of a node's edges along its side, ordered by the far end's height."""
    offsets = {}
    for pairs in groups.values():
        pairs = sorted(pairs, key=lambda pair: (key(pair), pair))
        count = len(pairs)
        spacing = min(7.0, (NODE_H - 14) / max(1, count - 1))
        for index, pair in enumerate(pairs):
            offsets[pair] = (index - (count - 1) / 2) * spacing
    return offsets


def _reduce_crossings(layers: list[list[str]], neighbours: dict[str, list[str]]) -> list[list[str]]:
    """A few barycentre sweeps: each node moves towards the mean height of its placed neighbours."""
    layers = [list(layer) for layer in layers]
    where: dict[str, float] = {}
    for layer in layers:
        for index, node in enumerate(layer):
            where[node] = (index + 0.5) / len(layer)
    layer_of = {node: number for number, layer in enumerate(layers) for node in layer}
    for sweep in range(SWEEPS if len(layers) > 1 else 0):
        order = range(1, len(layers)) if sweep % 2 == 0 else range(len(layers) - 2, -1, -1)
        previous = -1 if sweep % 2 == 0 else 1
        for number in order:
            layer = layers[number]
            keys = {}
            for index, node in enumerate(layer):
                placed = [where[other] for other in neighbours.get(node, ())
                          if (layer_of[other] - number) * previous > 0]
                keys[node] = (sum(placed) / len(placed) if placed else where[node], index)
            layer.sort(key=keys.__getitem__)
            for index, node in enumerate(layer):
                where[node] = (index + 0.5) / len(layer)
    return layers
