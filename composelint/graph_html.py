"""`composelint graph --format html`: the deployment graph as one self-contained page.

The page holds, per deployment, where it was found and which files it runs, a layered diagram
drawn as inline SVG (layers from :func:`composelint.graph.dependency_layers`, dependents on the
left, what they need on the right), and a card per service with its references and its
findings. Services that no deployment runs, and names that nothing defines, are red and dashed.

Inline CSS and SVG only: no script, no font, no stylesheet or image is fetched, so the file
opens offline and in a sandboxed artifact viewer. Every text that comes from the linted files is
escaped. The output depends only on the input (same graph and findings, same bytes), and the
layout is linear in the size of the graph, apart from sorting.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from composelint import __version__
from composelint.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from composelint.graph import DeploymentGraph, Node, Reference

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
GLANCE_LIMIT = 8  # items of one kind in "At a glance"
LIST_LIMIT = 25  # references listed per card before "… and N more"
FINDINGS_LIMIT = 100

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_TICKS = re.compile(r"`([^`]+)`")
SOURCES = {
    "config": "configuration (`deployments:`)",
    "dotenv": "`COMPOSE_FILE` in a `.env`",
    "automation": "a `docker compose` command in the repository's automation",
    "documented": "a command in the repository's documentation",
    "default": "the default compose file of its directory",
}


def render_html(graph: "DeploymentGraph", diagnostics: Sequence[Diagnostic] = (), deployment: str | None = None,
                *, title: str | None = None) -> str:
    """The page for the whole graph (or one deployment) with ``diagnostics`` listed per service."""
    from composelint.graph import GraphView

    view = GraphView(graph, deployment)
    return _Page(graph, view, diagnostics, deployment, title).render()


# --------------------------------------------------------------------------- findings per service


def attach_findings(graph: "DeploymentGraph", nodes: Sequence["Node"], diagnostics: Iterable[Diagnostic]
                    ) -> tuple[dict[str, list[Diagnostic]], list[Diagnostic]]:
    """Which node each finding belongs to (by node id), and the findings that concern no one service.

    A finding belongs to the services it concerns (``Diagnostic.services``, worked out by the
    engine: the services of a compose definition, those that build a Dockerfile), each in its own
    deployment; a service of a file no deployment runs is that file's node.
    """
    by_ref: dict[tuple[str, str], Node] = {}  # (scope, name): scope is the deployment, or the file
    for node in nodes:
        if node.kind in ("service", "undeployed", "template") and node.service is not None:
            by_ref.setdefault((node.scope, node.name), node)
    attached: dict[str, list[Diagnostic]] = {}
    loose: list[Diagnostic] = []
    for diagnostic in diagnostics:
        seen = set()
        for ref in diagnostic.services:
            node = by_ref.get((ref.deployment if ref.deployment is not None else ref.span.path, ref.name))
            if node is not None and node.id not in seen:
                seen.add(node.id)
                attached.setdefault(node.id, []).append(diagnostic)
        if not seen:
            loose.append(diagnostic)
    return attached, loose


# --------------------------------------------------------------------------- text helpers


def _e(text: object) -> str:
    """Escaped for HTML text and attribute values; control characters and lone surrogates replaced."""
    return html.escape(_CONTROL.sub("\ufffd", str(text)), quote=True)


def _rich(text: str) -> str:
    """Escaped, with `backticked` parts as <code>."""
    return _TICKS.sub(r"<code>\1</code>", _e(text))


def _n(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _clip(text: str, width: float, char_w: float) -> str:
    room = max(1, int(width // char_w))
    return text if len(text) <= room else text[:max(1, room - 1)] + "\u2026"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _with_targets(nodes: list["Node"], refs: list["Reference"]) -> list["Node"]:
    """``nodes``, then the targets of ``refs`` not among them: what a diagram of these edges draws."""
    drawn = list(nodes)
    seen = {node.id for node in drawn}
    for ref in refs:
        if ref.target.id not in seen:
            seen.add(ref.target.id)
            drawn.append(ref.target)
    return drawn


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


def _state(node: "Node") -> tuple[str, str]:
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


def _count_label(counts: dict[Severity, int], severity: Severity) -> str:
    count = counts[severity]
    return f"{count} {severity.label}" + ("s" if count != 1 and severity is not Severity.INFO else "")


def _start_order(order: list[list[str]], limit: int = 40) -> str:
    """``a, b → c → d``, cut after ``limit`` names."""
    shown, budget = [], limit
    for layer in order:
        if budget <= 0:
            break
        shown.append(", ".join(f"<code>{_e(name)}</code>" for name in layer[:budget]))
        budget -= len(layer)
    total = sum(len(layer) for layer in order)
    rest = f" \u2026 ({total} services in {len(order)} steps)" if total > limit else ""
    return " \u2192 ".join(shown) + rest


def _counts(found: Sequence[Diagnostic]) -> dict[Severity, int]:
    counts = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    for diagnostic in found:
        counts[diagnostic.severity] += 1
    return counts


# --------------------------------------------------------------------------- layout


class _Diagram:
    """Positions of the nodes and paths of the edges of one layered diagram."""

    def __init__(self, nodes: list["Node"], refs: list["Reference"], findings: dict[str, list[Diagnostic]],
                 anchors: dict[str, str]):
        from composelint.graph import ORDER_KINDS, dependency_layers

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
        out = [f'<svg class="graph" role="img" aria-label="{_e(label)}" width="{_n(self.width)}" '
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
                         f"<title>{_e(tip)}</title></path>")
        return lines

    def _node(self, node: "Node") -> str:
        x, y = self.pos[node.id]
        w = self.width_of_node
        css, tag = _state(node)
        found = self.findings.get(node.id, ())
        counts = _counts(found)
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
        tip = f"{node.name} ({tag})" + (f": {_plural(len(found), 'finding')}" if found else "")
        parts = [f'<a class="node {css}" href="#{self._anchor(node)}">',
                 f"<title>{_e(tip)}</title>",
                 f'<rect class="box" x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{NODE_H}" rx="6"/>']
        if worst is not None and css == "service":
            parts.append(f'<rect class="health {worst.label}" x="{_n(x)}" y="{_n(y)}" width="5" '
                         f'height="{NODE_H}" rx="2"/>')
        parts.append(f'<text class="name" x="{_n(x + 13)}" y="{_n(y + 20)}">{_e(name)}</text>')
        if caption:
            parts.append(f'<text class="caption" x="{_n(x + 13)}" y="{_n(y + 36)}">{_e(caption)}</text>')
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


# --------------------------------------------------------------------------- the page


class _Page:
    def __init__(self, graph: "DeploymentGraph", view, diagnostics: Sequence[Diagnostic], deployment: str | None,
                 title: str | None):
        self.graph = graph
        self.view = view
        self.diagnostics = list(diagnostics)
        self.deployment = deployment
        root = Path(graph.project.root)
        self.project_name = title or root.name or root.resolve().name or "project"
        self.ids = {node_id: f"svc-{short}" for node_id, short in view.ids.items()}
        self.findings, self.loose = attach_findings(graph, view.nodes, self.diagnostics)
        for found in self.findings.values():
            found.sort(key=lambda d: (-int(d.severity), d.sort_key()))
        self.members = {scope.name: nodes for scope, nodes in view.grouped() if scope is not None}
        self.incoming: dict[str, list[Reference]] = {}
        self.outgoing: dict[str, list[Reference]] = {}
        self.scope_refs: dict[str, list[Reference]] = {}  # deployment -> references from its services
        for ref in view.references:
            self.incoming.setdefault(ref.target.id, []).append(ref)
            self.outgoing.setdefault(ref.source.id, []).append(ref)
            if ref.source.kind == "service":
                self.scope_refs.setdefault(ref.source.scope, []).append(ref)

    def render(self) -> str:
        body = [self._header(), self._glance(), self._contents(), self._legend()]
        for index, scope in enumerate(self.view.scopes):
            body.append(self._deployment(index, scope))
        body.append(self._outside())
        body.append(self._loose())
        body.append(f'<footer>Generated by composelint {_e(__version__)}. This page is self-contained: '
                    "no script, no font and no image is loaded from anywhere.</footer>")
        title = f"{self.project_name} \u2014 deployment graph"
        return "\n".join([
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="generator" content="composelint">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            _DEFS,
            "<main>",
            *[part for part in body if part],
            "</main>",
            "</body>",
            "</html>",
        ]) + "\n"

    # ---------------------------------------------------------------- top of the page

    def _header(self) -> str:
        view = self.view
        services = [n for n in view.nodes if n.kind == "service"]
        undeployed = [n for n in view.nodes if n.kind == "undeployed"]
        undefined = {n.name for n in view.nodes if n.kind == "undefined"}
        counts = _counts(self.diagnostics)
        tiles = [
            ("", len(view.scopes), "deployment" if len(view.scopes) == 1 else "deployments"),
            ("", len(services), "service" if len(services) == 1 else "services"),
            ("bad" if undeployed else "good", len(undeployed), "not deployed"),
            ("bad" if undefined else "good", len(undefined), "undefined"),
            ("bad" if counts[Severity.ERROR] else "good", counts[Severity.ERROR],
             "error" if counts[Severity.ERROR] == 1 else "errors"),
            ("warn" if counts[Severity.WARNING] else "good", counts[Severity.WARNING],
             "warning" if counts[Severity.WARNING] == 1 else "warnings"),
        ]
        scope = f" \u00b7 deployment <code>{_e(self.deployment)}</code>" if self.deployment else ""
        tile_html = "".join(f'<div class="tile {css}"><b>{value}</b><span>{_e(label)}</span></div>'
                            for css, value, label in tiles)
        return (f'<header><h1>Deployment graph <span class="project">{_e(self.project_name)}</span></h1>'
                f'<p class="sub">What each deployment starts, what every service needs, and what is missing'
                f'{scope}</p><div class="tiles">{tile_html}</div></header>')

    def _glance(self) -> str:
        graph, view = self.graph, self.view
        in_view = {node.id for node in view.nodes}
        scopes = {scope.name for scope in view.scopes}
        groups: list[tuple[str, str, list[str]]] = []  # css, what the hidden rest are, items
        items = []
        for entry in graph.undeployed_services():
            node = entry.node
            if node.id not in in_view:
                continue
            needers = sorted({ref.source.name for ref in entry.needers if ref.source.id in in_view})
            need = f"; needed by {self._names(needers)}" if needers else ""
            items.append(f"{self._link(node)} is defined only in <code>{_e(node.file)}</code>, "
                         f"which no deployment runs{need}")
        groups.append(("bad", "services that are not deployed", items))
        items = []
        for node in view.nodes:
            if node.kind != "undefined":
                continue
            users = sorted({ref.source.name for ref in self.incoming.get(node.id, ())})
            where = f" in deployment <code>{_e(node.scope)}</code>" if len(view.scopes) > 1 else ""
            items.append(f"{self._link(node)} is referenced by {self._names(users)}, but nothing{where} defines it")
        groups.append(("bad", "undefined names", items))
        items = []
        for cycle in graph.dependency_cycles():
            if cycle[0].source.scope in scopes:
                path = " \u2192 ".join(_e(ref.source.name) for ref in cycle[:12])
                path += " \u2192 \u2026" if len(cycle) > 12 else f" \u2192 {_e(cycle[0].source.name)}"
                items.append(f"start-order cycle in <code>{_e(cycle[0].source.scope)}</code>: {path}")
        groups.append(("bad", "cycles", items))
        items = [f"{self._link(ref.source)} needs {self._link(ref.target)}, which the deployment's profiles "
                 f"disable ({_e(str(ref.span))})"
                 for ref in graph.inactive_dependencies() if ref.source.scope in scopes]
        groups.append(("warn", "dependencies on disabled services", items))
        worst = sorted(((node, _counts(self.findings.get(node.id, ()))) for node in view.nodes
                        if node.kind == "service" and self.findings.get(node.id)),
                       key=lambda item: (-item[1][Severity.ERROR], -item[1][Severity.WARNING], item[0].name,
                                         item[0].id))
        worst = [item for item in worst if item[1][Severity.ERROR]]
        if worst:
            shown = ", ".join(f"{self._link(node, qualified=True)} ({counts[Severity.ERROR]})"
                              for node, counts in worst[:12])
            more = f" and {len(worst) - 12} more" if len(worst) > 12 else ""
            groups.append(("bad", "", [f"services with errors: {shown}{more}"]))
        lines = []
        for css, what, items in groups:
            lines.extend(f'<li class="{css}">{item}</li>' for item in items[:GLANCE_LIMIT])
            if len(items) > GLANCE_LIMIT:
                lines.append(f'<li class="{css} more">\u2026 and {len(items) - GLANCE_LIMIT} more {what}</li>')
        if not view.scopes:
            lines.append('<li class="warn">no deployment found: no compose file, no <code>docker compose</code> '
                         "in the automation, no <code>deployments:</code> in the configuration</li>")
        elif not lines:
            lines.append('<li class="good">every referenced service is defined and deployed</li>')
        return f'<section class="glance"><h2>At a glance</h2><ul>{"".join(lines)}</ul></section>'

    def _contents(self) -> str:
        """With several deployments: one line each, linking to its section."""
        if len(self.view.scopes) < 2:
            return ""
        rows = []
        for index, scope in enumerate(self.view.scopes):
            members = self.members[scope.name]
            services = sum(1 for n in members if n.kind == "service")
            counts = _counts([d for n in members for d in self.findings.get(n.id, ())])
            missing = sum(1 for n in members if n.kind == "undefined") + len({
                ref.target.id for n in members for ref in self.outgoing.get(n.id, ())
                if ref.target.kind == "undeployed"})
            facts = [_plural(services, "service")]
            if missing:
                facts.append(f'<span class="bad-text">{missing} missing</span>')
            facts += [f'<span class="{css}">{_count_label(counts, sev)}</span>'
                      for sev, css in ((Severity.ERROR, "bad-text"), (Severity.WARNING, "warn-text")) if counts[sev]]
            facts_html = " \u00b7 ".join(facts)
            rows.append(f'<li><a href="#deployment-{index + 1}"><code>{_e(scope.name)}</code></a> '
                        f'<span class="facts">{facts_html}</span></li>')
        return f'<section class="contents"><h2>Deployments</h2><ul>{"".join(rows)}</ul></section>'

    def _legend(self) -> str:
        def box(css: str) -> str:
            return (f'<svg width="34" height="18" aria-hidden="true"><g class="node {css}"><rect class="box" x="1" '
                    f'y="1" width="32" height="16" rx="4"/></g></svg>')

        def line(css: str, marker: str) -> str:
            return (f'<svg width="46" height="12" aria-hidden="true"><path class="edge {css}" d="M2 6H40" '
                    f'marker-end="url(#cl-arrow-{marker})"/></svg>')

        entries = [
            (box("service"), "service"),
            (box("inactive"), "profile off"),
            (box("undeployed"), "not deployed"),
            (box("undefined"), "undefined"),
            (box("template"), "extends base"),
            ('<span class="badge-sample err">2</span><span class="badge-sample warn">3</span>', "errors, warnings"),
            (line("order", "order"), "starts after (depends_on, links, network_mode \u2026)"),
            (line("host", "host"), "addresses it by host name"),
            (line("extends", "extends"), "extends"),
            (line("order missing", "missing"), "points at something missing"),
        ]
        items = "".join(f"<li>{sample}<span>{_e(text)}</span></li>" for sample, text in entries)
        return (f'<section class="legend"><ul>{items}</ul><p class="hint">Arrows point from a service to what '
                "it needs; what is needed is drawn to its right and starts first. Select a box for its details."
                "</p></section>")

    # ---------------------------------------------------------------- sections

    def _deployment(self, index: int, scope) -> str:
        members = self.members[scope.name]
        refs = self.scope_refs.get(scope.name, [])
        deployment = scope.deployment
        facts = [("files", " + ".join(f"<code>{_e(path)}</code>" for path in deployment.files) or "none")]
        if deployment.included:
            facts.append(("included", ", ".join(f"<code>{_e(path)}</code>" for path in deployment.included)))
        origin = f" at <code>{_e(str(deployment.origin))}</code>" if deployment.origin is not None else ""
        facts.append(("found in", _rich(SOURCES.get(deployment.source, deployment.source)) + origin))
        if deployment.command and deployment.source in ("automation", "dotenv", "documented"):
            facts.append(("command", f"<code>{_e(deployment.command)}</code>"))
        if deployment.swarm:
            facts.append(("orchestrator", "Swarm (<code>docker stack deploy</code>)"))
        facts.append(("project directory", f"<code>{_e(deployment.project_dir or '.')}</code>"))
        if deployment.profiles:
            facts.append(("profiles", ", ".join(f"<code>{_e(p)}</code>" for p in deployment.profiles)))
        if deployment.env_files:
            facts.append(("env files", ", ".join(f"<code>{_e(p)}</code>" for p in deployment.env_files)))
        for arg in deployment.unresolved:
            facts.append(("unresolved", f'<span class="warn-text"><code>{_e(arg.value)}</code> at '
                                        f"<code>{_e(str(arg.span))}</code>: what it adds is not shown</span>"))
        order = self.graph.start_order(scope.name)
        if order is None:
            facts.append(("start order", '<span class="bad-text">none: a dependency cycle</span>'))
        elif order:
            facts.append(("start order", _start_order(order)))
        dl = "".join(f"<dt>{_e(key)}</dt><dd>{value}</dd>" for key, value in facts)
        diagram = _Diagram(_with_targets(members, refs), refs, self.findings, self.ids)
        cards = "".join(self._card(node, scope.name) for node in members)
        return (f'<section class="deployment" id="deployment-{index + 1}"><h2><span class="kicker">Deployment</span> '
                f"{_e(scope.name)}</h2><dl>{dl}</dl>"
                f'<div class="{diagram.frame}">{diagram.svg(f"deployment {scope.name}")}</div>'
                f'<h3 class="cards-title">Services</h3><div class="cards">{cards}</div></section>')

    def _outside(self) -> str:
        view = self.view
        nodes = [n for n in view.nodes if n.kind in ("undeployed", "template")]
        if not nodes:
            return ""
        refs = [ref for ref in view.references if ref.source.kind in ("undeployed", "template")]
        files = sorted({node.file for node in nodes if node.kind == "undeployed" and node.file})
        intro = ""
        if files:
            intro = (f'<p>Compose files that no deployment runs: {", ".join(f"<code>{_e(f)}</code>" for f in files)}. '
                     "Nothing starts the services they alone define.</p>")
        diagram = _Diagram(_with_targets(nodes, refs), refs, self.findings, self.ids)
        cards = "".join(self._card(node, None) for node in nodes)
        kinds = {node.kind for node in nodes}
        heading = "Not deployed, and extends bases" if len(kinds) == 2 else \
            "Not deployed" if "undeployed" in kinds else "Extends bases"
        return (f'<section class="deployment outside" id="not-deployed"><h2><span class="kicker">Outside every '
                f"deployment</span> {heading}</h2>{intro}"
                f'<div class="{diagram.frame}">{diagram.svg("services outside every deployment")}</div>'
                f'<h3 class="cards-title">Services</h3><div class="cards">{cards}</div></section>')

    def _loose(self) -> str:
        if not self.loose:
            return ""
        return (f'<section class="loose" id="other-findings"><h2>Findings not tied to one service</h2>'
                f"{self._findings(self.loose, len(self.loose))}</section>")

    # ---------------------------------------------------------------- cards

    def _card(self, node: "Node", scope_name: str | None) -> str:
        from composelint.graph import VERBS
        from composelint.suggest import closest_name

        css, tag = _state(node)
        found = self.findings.get(node.id, [])
        counts = _counts(found)
        pills = "".join(f'<span class="pill {cls}">{_count_label(counts, sev)}</span>'
                        for sev, cls in ((Severity.ERROR, "err"), (Severity.WARNING, "warn"), (Severity.INFO, "info"))
                        if counts[sev])
        meta = []
        if node.span is not None:
            meta.append(f"defined at <code>{_e(str(node.span))}</code>")
        service = node.service
        if service is not None and service.image is not None:
            meta.append(f"image <code>{_e(service.image.value)}</code>")
        if service is not None and service.build is not None:
            meta.append(f"build <code>{_e(service.build.context.value)}</code>")
        if node.kind == "service" and not node.active and service is not None:
            meta.append("profiles " + ", ".join(f"<code>{_e(p)}</code>" for p in service.profiles))
        if node.kind == "undefined":
            if node.defined_in:
                meta.append("defined in " + ", ".join(f"<code>{_e(p)}</code>" for p in node.defined_in)
                            + ", which this deployment does not load")
            elif node.file:
                meta.append(f"not in <code>{_e(node.file)}</code>")
            else:
                meta.append("no compose file defines this name")
            scope = self.graph.scopes.get(node.scope) if node.deployment is not None else None
            guess = closest_name(node.name, scope.nodes) if scope is not None else None
            if guess is not None:
                meta.append(f"did you mean {self._link(scope.nodes[guess])}?")
        if node.kind == "undeployed":
            meta.append(f"only <code>{_e(node.file)}</code> defines it, and no deployment runs that file")
        parts = [f'<article class="card {css}" id="{self.ids[node.id]}">',
                 f'<h4><span class="svc-name">{_e(node.name)}</span> <span class="tag {css}">{_e(tag)}</span>{pills}'
                 "</h4>"]
        if meta:
            parts.append('<p class="meta">' + " \u00b7 ".join(meta) + "</p>")
        outgoing = self.outgoing.get(node.id, [])
        if outgoing:
            items = [f"<li>{_e(VERBS.get(ref.kind, ref.kind))} {self._link(ref.target)}{self._detail(ref)}"
                     f' <span class="loc">{_e(str(ref.span))}</span></li>' for ref in outgoing[:LIST_LIMIT]]
            parts.append(f'<p class="list-title">needs</p><ul class="refs">{"".join(items)}'
                         f"{self._more(len(outgoing))}</ul>")
        incoming = [ref for ref in self.incoming.get(node.id, [])
                    if scope_name is None or ref.source.scope == scope_name]
        if incoming:
            items = [f"<li>{self._link(ref.source)} {_e(VERBS.get(ref.kind, ref.kind))} it{self._detail(ref)}"
                     f' <span class="loc">{_e(str(ref.span))}</span></li>' for ref in incoming[:LIST_LIMIT]]
            parts.append(f'<p class="list-title">needed by</p><ul class="refs">{"".join(items)}'
                         f"{self._more(len(incoming))}</ul>")
        if found:
            parts.append(self._findings(found, len(found)))
        elif node.kind in ("service", "undeployed", "template"):
            parts.append('<p class="clean">no findings</p>')
        parts.append("</article>")
        return "".join(parts)

    def _findings(self, found: Sequence[Diagnostic], total: int) -> str:
        rows = []
        for diagnostic in found[:FINDINGS_LIMIT]:
            url = diagnostic.url or ""
            code = _e(diagnostic.code)
            if url.startswith(("https://", "http://")):
                code = f'<a href="{_e(url)}">{code}</a>'
            rows.append(f'<li class="finding {diagnostic.severity.label}"><span class="sev">'
                        f"{diagnostic.severity.label}</span> <span class=\"code\">{code}</span> "
                        f'<span class="msg">{_rich(diagnostic.message)}</span> '
                        f'<span class="loc">{_e(str(diagnostic.span))}</span></li>')
        more = ""
        if total > FINDINGS_LIMIT:
            more = f'<li class="more">\u2026 and {total - FINDINGS_LIMIT} more: run <code>composelint</code></li>'
        return f'<ul class="findings">{"".join(rows)}{more}</ul>'

    def _more(self, total: int) -> str:
        return f'<li class="more">\u2026 and {total - LIST_LIMIT} more</li>' if total > LIST_LIMIT else ""

    @staticmethod
    def _detail(ref: "Reference") -> str:
        if ref.kind == "host" and ref.host is not None:
            return f" in <code>{_e(ref.label)}</code>"
        if ref.kind == "depends_on" and ref.label != "depends_on":
            return f" <span class=\"cond\">{_e(ref.label[len('depends_on '):])}</span>"
        return ""

    def _link(self, node: "Node", qualified: bool = False) -> str:
        """A link to the node's card; ``qualified`` adds the deployment when there are several."""
        anchor = self.ids.get(node.id)
        css = "missing" if node.kind in ("undefined", "undeployed") else ""
        name = f"<code>{_e(node.name)}</code>"
        if qualified and node.kind == "service" and len(self.view.scopes) > 1:
            name += f' <span class="in">in {_e(node.scope)}</span>'

        return f'<a class="ref {css}" href="#{anchor}">{name}</a>' if anchor else name

    def _names(self, names: list[str], limit: int = 6) -> str:
        shown = ", ".join(f"<code>{_e(name)}</code>" for name in names[:limit])
        return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# --------------------------------------------------------------------------- static parts

_DEFS = (
    '<svg class="defs" width="0" height="0" aria-hidden="true"><defs>'
    + "".join(f'<marker id="cl-arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
              f'markerHeight="7" orient="auto"><path d="M0 0L10 5L0 10z" fill="{fill}" stroke="{stroke}"/></marker>'
              for name, fill, stroke in (("order", "#475569", "none"), ("host", "#0284c7", "none"),
                                         ("extends", "#ffffff", "#64748b"), ("missing", "#dc2626", "none")))
    + "</defs></svg>"
)

_CSS = """
:root{--ink:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc;--red:#dc2626;--red-bg:#fef2f2;--amber:#d97706;
--amber-bg:#fffbeb;--blue:#0284c7;--green:#15803d;--slate:#475569}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
main{max-width:1600px;margin:0 auto;padding:24px 28px 40px}
code,.loc,.svc-name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
a{color:#1d4ed8;text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:22px;margin:0 0 2px;font-weight:650}h1 .project{color:var(--slate);font-weight:500}
h2{font-size:16px;margin:0 0 10px;font-weight:650}
.sub{color:var(--muted);margin:0 0 14px}
header{margin-bottom:16px}
.tiles{display:flex;flex-wrap:wrap;gap:10px}
.tile{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:118px}
.tile b{display:block;font-size:22px;line-height:1.2}.tile span{color:var(--muted);font-size:12px}
.tile.bad{border-color:#fecaca;background:var(--red-bg)}.tile.bad b{color:var(--red)}
.tile.warn{border-color:#fde68a;background:var(--amber-bg)}.tile.warn b{color:var(--amber)}
.tile.good b{color:var(--green)}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin:0 0 16px}
.glance ul{margin:0;padding:0;list-style:none}
.contents ul{margin:0;padding:0;list-style:none;columns:2 420px;column-gap:28px;font-size:13px}
.contents li{padding:1px 0;break-inside:avoid}.contents .facts{color:var(--muted)}
.in{color:var(--muted);font-size:11.5px}
.glance li{padding:3px 0 3px 16px;position:relative}
.glance li:before{content:"";position:absolute;left:2px;top:11px;width:7px;height:7px;border-radius:50%;
background:var(--muted)}
.glance li.bad:before{background:var(--red)}.glance li.warn:before{background:var(--amber)}
.glance li.good:before{background:var(--green)}
.legend{padding:10px 18px}
.legend ul{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0;padding:0;list-style:none;font-size:12.5px}
.legend li{display:flex;align-items:center;gap:6px;color:#334155}
.legend .hint{color:var(--muted);font-size:12.5px;margin:4px 0 0}
.badge-sample{display:inline-block;min-width:18px;height:16px;border-radius:8px;color:#fff;font-size:11px;
font-weight:700;text-align:center;line-height:16px;padding:0 5px;margin-right:2px}
.badge-sample.err{background:var(--red)}.badge-sample.warn{background:var(--amber)}
.kicker{display:block;color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.06em;
font-weight:600}
.deployment h2{font-size:17px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
.outside h2{font-family:inherit}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0 0 12px;font-size:13px}
dt{color:var(--muted)}dd{margin:0}
.diagram{border:1px solid var(--line);border-radius:8px;background:#fcfdfe;
background-image:radial-gradient(#e2e8f0 1px,transparent 1px);background-size:16px 16px;margin-bottom:14px}
svg.graph{display:block;max-width:100%;height:auto}
.diagram.wide{overflow:auto}.diagram.wide svg.graph{max-width:none}
svg.defs{position:absolute}
.node .box{fill:#fff;stroke:#334155;stroke-width:1.4}
.node.inactive .box{fill:#f1f5f9;stroke:#94a3b8;stroke-dasharray:4 3}
.node.template .box{fill:#f8fafc;stroke:#64748b;stroke-dasharray:2 3}
.node.undefined .box,.node.undeployed .box{fill:var(--red-bg);stroke:var(--red);stroke-width:2;stroke-dasharray:7 4}
.node .name{font:600 13px ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;fill:var(--ink)}
.node.inactive .name,.node.template .name{fill:var(--muted)}
.node.undefined .name,.node.undeployed .name{fill:#b91c1c}
.node .caption{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,"DejaVu Sans",sans-serif;fill:var(--muted)}
.node.undefined .caption,.node.undeployed .caption{fill:var(--red);font-weight:600}
.node:hover .box{stroke-width:2.4}
.health.error{fill:var(--red)}.health.warning{fill:var(--amber)}.health.info{fill:var(--blue)}
.badge.err{fill:var(--red)}.badge.warn{fill:var(--amber)}
.badge-text{font:700 11px system-ui,Arial,"DejaVu Sans",sans-serif;fill:#fff;text-anchor:middle}
.edge{fill:none;stroke-width:1.5}
.edge.order{stroke:var(--slate)}
.edge.host{stroke:var(--blue);stroke-dasharray:6 4}
.edge.extends{stroke:var(--muted);stroke-dasharray:2 3}
.edge.missing{stroke:var(--red)}
.edge:hover{stroke-width:3}
.cards-title{font-size:13px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;margin:4px 0 8px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:#fff;min-width:0}
.card:target{outline:3px solid #93c5fd}
.card.undefined,.card.undeployed{border:2px dashed var(--red);background:var(--red-bg)}
.card.inactive,.card.template{border-style:dashed;background:#f8fafc}
.card h4{margin:0 0 4px;font-size:14px;display:flex;flex-wrap:wrap;align-items:center;gap:6px}
.svc-name{font-weight:700;font-size:14px;word-break:break-all}
.tag,.pill{font-size:11px;border-radius:10px;padding:0 8px;font-weight:600;line-height:18px}
.tag.service{background:#dcfce7;color:#166534}.tag.inactive,.tag.template{background:#e2e8f0;color:#334155}
.tag.undefined,.tag.undeployed{background:var(--red);color:#fff}
.pill.err{background:#fee2e2;color:#b91c1c}.pill.warn{background:#fef3c7;color:#92400e}
.pill.info{background:#e0f2fe;color:#075985}
.meta{margin:0 0 6px;color:#334155;font-size:12.5px;overflow-wrap:anywhere}
.list-title{margin:6px 0 2px;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);
font-weight:600}
ul.refs,ul.findings{margin:0;padding:0;list-style:none;font-size:12.5px}
ul.refs li{padding:1px 0;overflow-wrap:anywhere}
a.ref.missing code{color:var(--red);font-weight:700}
.cond{color:var(--muted)}
.loc{color:var(--muted);font-size:11.5px;white-space:nowrap}
ul.findings{margin-top:6px}
li.finding{padding:4px 0 4px 8px;border-left:3px solid var(--line);margin:3px 0;overflow-wrap:anywhere}
li.finding.error{border-color:var(--red)}li.finding.warning{border-color:var(--amber)}
li.finding.info{border-color:var(--blue)}
.sev{font-size:10.5px;text-transform:uppercase;font-weight:700;letter-spacing:.03em}
.error .sev{color:var(--red)}.warning .sev{color:var(--amber)}.info .sev{color:var(--blue)}
.code{font-weight:600}
.msg code{background:#f1f5f9;border-radius:3px;padding:0 3px}
.clean{color:var(--green);font-size:12.5px;margin:4px 0 0}
.bad-text{color:var(--red);font-weight:600}.warn-text{color:var(--amber)}
li.more{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:8px}
@media print{body{background:#fff}section{break-inside:avoid}.diagram{overflow:visible}}
""".strip()
