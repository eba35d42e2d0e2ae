"""`composelint graph --format dot|mermaid|json`: the deployment graph as text for other tools.

:class:`GraphView` picks the nodes and edges to draw, in a stable order, grouped by deployment;
the HTML page (:mod:`composelint.reporters.graph_html`) draws the same view.
"""

from __future__ import annotations

import json

from composelint.diagnostics import Span
from composelint.graph import EDGE_KINDS, DeploymentGraph, Node, Reference, Scope


def render_graph(graph: DeploymentGraph, fmt: str, deployment: str | None = None) -> str:
    """The graph as ``dot``, ``mermaid`` or ``json`` text; ``deployment`` keeps one deployment's part."""
    view = GraphView(graph, deployment)
    if fmt == "dot":
        return _render_dot(view)
    if fmt == "mermaid":
        return _render_mermaid(view)
    if fmt == "json":
        return _render_json(view)
    raise ValueError(f"unknown graph format {fmt!r} (expected dot, mermaid or json)")


class GraphView:
    """The nodes and edges to draw, in a stable order, grouped by deployment."""

    def __init__(self, graph: DeploymentGraph, deployment: str | None = None):
        if deployment is not None and deployment not in graph.scopes:
            raise KeyError(deployment)
        self.graph = graph
        scopes = [graph.scopes[deployment]] if deployment is not None else list(graph.scopes.values())
        self.scopes = scopes
        refs: list[Reference] = []
        nodes: dict[str, Node] = {}
        names = {scope.name for scope in scopes}
        for scope in scopes:
            for node in scope.nodes.values():
                nodes[node.id] = node
        for ref in graph.references():
            if ref.source.scope in names or (deployment is None and ref.source.kind in ("undeployed", "template")):
                refs.append(ref)
        if deployment is None:
            for node in graph.nodes(kinds=("undeployed", "template")):
                nodes.setdefault(node.id, node)
        for ref in refs:
            nodes.setdefault(ref.source.id, ref.source)
            nodes.setdefault(ref.target.id, ref.target)
        self.nodes = sorted(nodes.values(), key=_draw_key)
        self.references = sorted(refs, key=lambda r: (_draw_key(r.source), _draw_key(r.target), EDGE_KINDS.index(
            r.kind), r.span.path, r.span.line, r.span.column))
        self.ids = {node.id: f"n{index}" for index, node in enumerate(self.nodes)}

    def grouped(self) -> list[tuple[Scope | None, list[Node]]]:
        """Deployment clusters (service and undefined nodes), then free nodes (undeployed, templates)."""
        members: dict[str, list[Node]] = {scope.name: [] for scope in self.scopes}
        free: list[Node] = []
        for node in self.nodes:
            cluster = members.get(node.scope) if node.kind in ("service", "undefined") else None
            (free if cluster is None else cluster).append(node)
        groups: list[tuple[Scope | None, list[Node]]] = [(scope, members[scope.name]) for scope in self.scopes]
        groups.append((None, free))
        return groups


_KIND_ORDER = {"service": 0, "undefined": 1, "template": 2, "undeployed": 3}


def _draw_key(node: Node) -> tuple:
    return (_KIND_ORDER.get(node.kind, 9), node.scope, node.name, node.id)


def _node_caption(node: Node) -> tuple[str, str | None]:
    if node.kind == "undefined":
        return node.name, "undefined"
    if node.kind == "undeployed":
        return node.name, f"undeployed: {node.file}"
    if node.kind == "template":
        return node.name, f"extends base: {node.file}"
    if not node.active:
        profiles = ",".join(node.service.profiles) if node.service is not None else ""
        return node.name, f"profile: {profiles}"
    return node.name, None


def _missing(node: Node) -> bool:
    return node.kind in ("undefined", "undeployed")


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _render_dot(view: GraphView) -> str:
    lines = ["digraph composelint {", "  rankdir=LR;", '  node [shape=box, style=rounded, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for index, (scope, nodes) in enumerate(view.grouped()):
        indent = "  "
        if scope is not None:
            lines.append(f"  subgraph cluster_{index} {{")
            lines.append(f"    label={_dot_id(_scope_label(scope))};")
            indent = "    "
        for node in nodes:
            title, note = _node_caption(node)
            label = title + (f"\n({note})" if note else "")
            attrs = [f"label={_dot_id(label)}"]
            if _missing(node):
                attrs += ['color="red"', 'fontcolor="red"', 'style="dashed,rounded"']
                if node.kind == "undefined":
                    attrs.append("shape=octagon")
            elif node.kind == "template" or not node.active:
                attrs += ['color="gray50"', 'style="dotted,rounded"']
            lines.append(f"{indent}{view.ids[node.id]} [{', '.join(attrs)}];")
        if scope is not None:
            lines.append("  }")
    for ref in view.references:
        attrs = [f"label={_dot_id(ref.label)}"]
        if ref.kind == "host":
            attrs.append('style="dashed"')
        elif ref.kind == "extends":
            attrs += ['style="dotted"', "arrowhead=empty"]
        if _missing(ref.target):
            attrs += ['color="red"', 'fontcolor="red"']
        lines.append(f"  {view.ids[ref.source.id]} -> {view.ids[ref.target.id]} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _scope_label(scope: Scope) -> str:
    files = " + ".join(scope.files) if scope.files else scope.name
    return files if files == scope.name else f"{scope.name}: {files}"


def _mermaid_text(text: str) -> str:
    escaped = text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    return escaped.replace("|", "#124;").replace("\n", "<br/>")


def _render_mermaid(view: GraphView) -> str:
    lines = ["flowchart LR"]
    for index, (scope, nodes) in enumerate(view.grouped()):
        indent = "  "
        if scope is not None:
            lines.append(f'  subgraph d{index}["{_mermaid_text(_scope_label(scope))}"]')
            indent = "    "
        for node in nodes:
            title, note = _node_caption(node)
            label = _mermaid_text(title + (f"\n({note})" if note else ""))
            shape = f'{{{{"{label}"}}}}' if node.kind == "undefined" else f'["{label}"]'
            style = {"undefined": ":::undefined", "undeployed": ":::undeployed", "template": ":::template"}.get(
                node.kind, "" if node.active else ":::inactive")
            lines.append(f"{indent}{view.ids[node.id]}{shape}{style}")
        if scope is not None:
            lines.append("  end")
    red_links = []
    for index, ref in enumerate(view.references):
        arrow = "-.->" if ref.kind in ("host", "extends") else "-->"
        lines.append(f'  {view.ids[ref.source.id]} {arrow}|"{_mermaid_text(ref.label)}"| {view.ids[ref.target.id]}')
        if _missing(ref.target):
            red_links.append(str(index))
    lines.append("  classDef undefined stroke:#d00,stroke-width:2px,stroke-dasharray:5 5,color:#d00")
    lines.append("  classDef undeployed stroke:#d00,stroke-width:2px,stroke-dasharray:5 5,color:#d00,fill:#fee")
    lines.append("  classDef template stroke:#888,stroke-dasharray:2 2,color:#555")
    lines.append("  classDef inactive stroke:#888,stroke-dasharray:2 2,color:#555")
    if red_links:
        lines.append(f"  linkStyle {','.join(red_links)} stroke:#d00,color:#d00")
    return "\n".join(lines) + "\n"


def _render_json(view: GraphView) -> str:
    def span_of(span: Span | None) -> dict | None:
        if span is None:
            return None
        return {"path": span.path, "line": span.line, "column": span.column, "end_line": span.end_line,
                "end_column": span.end_column}

    deployments = []
    for scope in view.scopes:
        deployment = scope.deployment
        deployments.append({
            "name": scope.name, "files": list(scope.files),
            "source": deployment.source if deployment is not None else None,
            "profiles": list(deployment.profiles) if deployment is not None else [],
            "start_order": view.graph.start_order(scope.name),
        })
    nodes = []
    for node in view.nodes:
        item = {"id": view.ids[node.id], "key": node.id, "name": node.name, "kind": node.kind,
                "deployment": node.scope if node.kind in ("service", "undefined") else None,
                "file": node.file, "active": node.active, "location": span_of(node.span)}
        if node.kind == "undefined" and node.defined_in:
            item["defined_in"] = list(node.defined_in)
        nodes.append(item)
    edges = []
    for ref in view.references:
        item = {"source": view.ids[ref.source.id], "target": view.ids[ref.target.id], "kind": ref.kind,
                "name": ref.name, "location": span_of(ref.span)}
        if ref.kind == "depends_on":
            item["condition"] = ref.condition
            item["required"] = ref.required
        if ref.host is not None:
            item["address"] = ref.host.text
            item["where"] = ref.host.where
            if ref.host.key:
                item["key"] = ref.host.key
            item["resolved_by"] = ref.via
        edges.append(item)
    return json.dumps({"version": 1, "deployments": deployments, "nodes": nodes, "edges": edges},
                      indent=2, ensure_ascii=False) + "\n"
