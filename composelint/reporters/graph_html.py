"""`composelint graph --format html`: the deployment graph as one self-contained page.

The page holds, per deployment, where it was found and which files it runs, a layered diagram
drawn as inline SVG (:mod:`composelint.reporters.graph_diagram`: dependents on the left, what
they need on the right), and a card per service with its references and its
findings. Services that no deployment runs, and names that nothing defines, are red and dashed.

Inline CSS and SVG only: no script, no font, no stylesheet or image is fetched, so the file
opens offline and in a sandboxed artifact viewer. Every text that comes from the linted files is
escaped. The output depends only on the input (same graph and findings, same bytes). The page's
frame and style sheet are package data: ``composelint/data/graph-page.html`` and ``graph.css``.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from composelint import __version__, datafiles
from composelint.diagnostics import Diagnostic, Severity
from composelint.reporters.graph import GraphView
from composelint.reporters.graph_diagram import Diagram, escape, node_state, plural, severity_counts

if TYPE_CHECKING:
    from composelint.graph import DeploymentGraph, Node, Reference

GLANCE_LIMIT = 8  # items of one kind in "At a glance"
LIST_LIMIT = 25  # references listed per card before "… and N more"
FINDINGS_LIMIT = 100

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


def _rich(text: str) -> str:
    """Escaped, with `backticked` parts as <code>."""
    return _TICKS.sub(r"<code>\1</code>", escape(text))


def _with_targets(nodes: list["Node"], refs: list["Reference"]) -> list["Node"]:
    """``nodes``, then the targets of ``refs`` not among them: what a diagram of these edges draws."""
    drawn = list(nodes)
    seen = {node.id for node in drawn}
    for ref in refs:
        if ref.target.id not in seen:
            seen.add(ref.target.id)
            drawn.append(ref.target)
    return drawn


def _count_label(counts: dict[Severity, int], severity: Severity) -> str:
    count = counts[severity]
    return f"{count} {severity.label}" + ("s" if count != 1 and severity is not Severity.INFO else "")


def _start_order(order: list[list[str]], limit: int = 40) -> str:
    """``a, b → c → d``, cut after ``limit`` names."""
    shown, budget = [], limit
    for layer in order:
        if budget <= 0:
            break
        shown.append(", ".join(f"<code>{escape(name)}</code>" for name in layer[:budget]))
        budget -= len(layer)
    total = sum(len(layer) for layer in order)
    rest = f" \u2026 ({total} services in {len(order)} steps)" if total > limit else ""
    return " \u2192 ".join(shown) + rest


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
        body.append(f'<footer>Generated by composelint {escape(__version__)}. This page is self-contained: '
                    "no script, no font and no image is loaded from anywhere.</footer>")
        title = f"{self.project_name} \u2014 deployment graph"
        # The page around the body, and its style sheet, are package data (composelint/data/).
        return string.Template(datafiles.text("graph-page.html")).substitute(
            title=escape(title), style=datafiles.text("graph.css").strip(),
            main="\n".join(part for part in body if part))

    # ---------------------------------------------------------------- top of the page

    def _header(self) -> str:
        view = self.view
        services = [n for n in view.nodes if n.kind == "service"]
        undeployed = [n for n in view.nodes if n.kind == "undeployed"]
        undefined = {n.name for n in view.nodes if n.kind == "undefined"}
        counts = severity_counts(self.diagnostics)
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
        scope = f" \u00b7 deployment <code>{escape(self.deployment)}</code>" if self.deployment else ""
        tile_html = "".join(f'<div class="tile {css}"><b>{value}</b><span>{escape(label)}</span></div>'
                            for css, value, label in tiles)
        return (f'<header><h1>Deployment graph <span class="project">{escape(self.project_name)}</span></h1>'
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
            items.append(f"{self._link(node)} is defined only in <code>{escape(node.file)}</code>, "
                         f"which no deployment runs{need}")
        groups.append(("bad", "services that are not deployed", items))
        items = []
        for node in view.nodes:
            if node.kind != "undefined":
                continue
            users = sorted({ref.source.name for ref in self.incoming.get(node.id, ())})
            where = f" in deployment <code>{escape(node.scope)}</code>" if len(view.scopes) > 1 else ""
            items.append(f"{self._link(node)} is referenced by {self._names(users)}, but nothing{where} defines it")
        groups.append(("bad", "undefined names", items))
        items = []
        for cycle in graph.dependency_cycles():
            if cycle[0].source.scope in scopes:
                path = " \u2192 ".join(escape(ref.source.name) for ref in cycle[:12])
                path += " \u2192 \u2026" if len(cycle) > 12 else f" \u2192 {escape(cycle[0].source.name)}"
                items.append(f"start-order cycle in <code>{escape(cycle[0].source.scope)}</code>: {path}")
        groups.append(("bad", "cycles", items))
        items = [f"{self._link(ref.source)} needs {self._link(ref.target)}, which the deployment's profiles "
                 f"disable ({escape(str(ref.span))})"
                 for ref in graph.inactive_dependencies() if ref.source.scope in scopes]
        groups.append(("warn", "dependencies on disabled services", items))
        worst = sorted(((node, severity_counts(self.findings.get(node.id, ()))) for node in view.nodes
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
            counts = severity_counts([d for n in members for d in self.findings.get(n.id, ())])
            missing = sum(1 for n in members if n.kind == "undefined") + len({
                ref.target.id for n in members for ref in self.outgoing.get(n.id, ())
                if ref.target.kind == "undeployed"})
            facts = [plural(services, "service")]
            if missing:
                facts.append(f'<span class="bad-text">{missing} missing</span>')
            facts += [f'<span class="{css}">{_count_label(counts, sev)}</span>'
                      for sev, css in ((Severity.ERROR, "bad-text"), (Severity.WARNING, "warn-text")) if counts[sev]]
            facts_html = " \u00b7 ".join(facts)
            rows.append(f'<li><a href="#deployment-{index + 1}"><code>{escape(scope.name)}</code></a> '
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
        items = "".join(f"<li>{sample}<span>{escape(text)}</span></li>" for sample, text in entries)
        return (f'<section class="legend"><ul>{items}</ul><p class="hint">Arrows point from a service to what '
                "it needs; what is needed is drawn to its right and starts first. Select a box for its details."
                "</p></section>")

    # ---------------------------------------------------------------- sections

    def _deployment(self, index: int, scope) -> str:
        members = self.members[scope.name]
        refs = self.scope_refs.get(scope.name, [])
        deployment = scope.deployment
        facts = [("files", " + ".join(f"<code>{escape(path)}</code>" for path in deployment.files) or "none")]
        if deployment.included:
            facts.append(("included", ", ".join(f"<code>{escape(path)}</code>" for path in deployment.included)))
        origin = f" at <code>{escape(str(deployment.origin))}</code>" if deployment.origin is not None else ""
        facts.append(("found in", _rich(SOURCES.get(deployment.source, deployment.source)) + origin))
        if deployment.command and deployment.source in ("automation", "dotenv", "documented"):
            facts.append(("command", f"<code>{escape(deployment.command)}</code>"))
        if deployment.swarm:
            facts.append(("orchestrator", "Swarm (<code>docker stack deploy</code>)"))
        facts.append(("project directory", f"<code>{escape(deployment.project_dir or '.')}</code>"))
        if deployment.profiles:
            facts.append(("profiles", ", ".join(f"<code>{escape(p)}</code>" for p in deployment.profiles)))
        if deployment.env_files:
            facts.append(("env files", ", ".join(f"<code>{escape(p)}</code>" for p in deployment.env_files)))
        for arg in deployment.unresolved:
            facts.append(("unresolved", f'<span class="warn-text"><code>{escape(arg.value)}</code> at '
                                        f"<code>{escape(str(arg.span))}</code>: what it adds is not shown</span>"))
        order = self.graph.start_order(scope.name)
        if order is None:
            facts.append(("start order", '<span class="bad-text">none: a dependency cycle</span>'))
        elif order:
            facts.append(("start order", _start_order(order)))
        dl = "".join(f"<dt>{escape(key)}</dt><dd>{value}</dd>" for key, value in facts)
        diagram = Diagram(_with_targets(members, refs), refs, self.findings, self.ids)
        cards = "".join(self._card(node, scope.name) for node in members)
        return (f'<section class="deployment" id="deployment-{index + 1}"><h2><span class="kicker">Deployment</span> '
                f"{escape(scope.name)}</h2><dl>{dl}</dl>"
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
            intro = (f'<p>Compose files that no deployment runs: {", ".join(f"<code>{escape(f)}</code>" for f in files)}. '
                     "Nothing starts the services they alone define.</p>")
        diagram = Diagram(_with_targets(nodes, refs), refs, self.findings, self.ids)
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

        css, tag = node_state(node)
        found = self.findings.get(node.id, [])
        counts = severity_counts(found)
        pills = "".join(f'<span class="pill {cls}">{_count_label(counts, sev)}</span>'
                        for sev, cls in ((Severity.ERROR, "err"), (Severity.WARNING, "warn"), (Severity.INFO, "info"))
                        if counts[sev])
        meta = []
        if node.span is not None:
            meta.append(f"defined at <code>{escape(str(node.span))}</code>")
        service = node.service
        if service is not None and service.image is not None:
            meta.append(f"image <code>{escape(service.image.value)}</code>")
        if service is not None and service.build is not None:
            meta.append(f"build <code>{escape(service.build.context.value)}</code>")
        if node.kind == "service" and not node.active and service is not None:
            meta.append("profiles " + ", ".join(f"<code>{escape(p)}</code>" for p in service.profiles))
        if node.kind == "undefined":
            if node.defined_in:
                meta.append("defined in " + ", ".join(f"<code>{escape(p)}</code>" for p in node.defined_in)
                            + ", which this deployment does not load")
            elif node.file:
                meta.append(f"not in <code>{escape(node.file)}</code>")
            else:
                meta.append("no compose file defines this name")
            scope = self.graph.scopes.get(node.scope) if node.deployment is not None else None
            guess = closest_name(node.name, scope.nodes) if scope is not None else None
            if guess is not None:
                meta.append(f"did you mean {self._link(scope.nodes[guess])}?")
        if node.kind == "undeployed":
            meta.append(f"only <code>{escape(node.file)}</code> defines it, and no deployment runs that file")
        parts = [f'<article class="card {css}" id="{self.ids[node.id]}">',
                 f'<h4><span class="svc-name">{escape(node.name)}</span> <span class="tag {css}">{escape(tag)}</span>{pills}'
                 "</h4>"]
        if meta:
            parts.append('<p class="meta">' + " \u00b7 ".join(meta) + "</p>")
        outgoing = self.outgoing.get(node.id, [])
        if outgoing:
            items = [f"<li>{escape(VERBS.get(ref.kind, ref.kind))} {self._link(ref.target)}{self._detail(ref)}"
                     f' <span class="loc">{escape(str(ref.span))}</span></li>' for ref in outgoing[:LIST_LIMIT]]
            parts.append(f'<p class="list-title">needs</p><ul class="refs">{"".join(items)}'
                         f"{self._more(len(outgoing))}</ul>")
        incoming = [ref for ref in self.incoming.get(node.id, [])
                    if scope_name is None or ref.source.scope == scope_name]
        if incoming:
            items = [f"<li>{self._link(ref.source)} {escape(VERBS.get(ref.kind, ref.kind))} it{self._detail(ref)}"
                     f' <span class="loc">{escape(str(ref.span))}</span></li>' for ref in incoming[:LIST_LIMIT]]
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
            code = escape(diagnostic.code)
            if url.startswith(("https://", "http://")):
                code = f'<a href="{escape(url)}">{code}</a>'
            rows.append(f'<li class="finding {diagnostic.severity.label}"><span class="sev">'
                        f"{diagnostic.severity.label}</span> <span class=\"code\">{code}</span> "
                        f'<span class="msg">{_rich(diagnostic.message)}</span> '
                        f'<span class="loc">{escape(str(diagnostic.span))}</span></li>')
        more = ""
        if total > FINDINGS_LIMIT:
            more = f'<li class="more">\u2026 and {total - FINDINGS_LIMIT} more: run <code>composelint</code></li>'
        return f'<ul class="findings">{"".join(rows)}{more}</ul>'

    def _more(self, total: int) -> str:
        return f'<li class="more">\u2026 and {total - LIST_LIMIT} more</li>' if total > LIST_LIMIT else ""

    @staticmethod
    def _detail(ref: "Reference") -> str:
        if ref.kind == "host" and ref.host is not None:
            return f" in <code>{escape(ref.label)}</code>"
        if ref.kind == "depends_on" and ref.label != "depends_on":
            return f" <span class=\"cond\">{escape(ref.label[len('depends_on '):])}</span>"
        return ""

    def _link(self, node: "Node", qualified: bool = False) -> str:
        """A link to the node's card; ``qualified`` adds the deployment when there are several."""
        anchor = self.ids.get(node.id)
        css = "missing" if node.kind in ("undefined", "undeployed") else ""
        name = f"<code>{escape(node.name)}</code>"
        if qualified and node.kind == "service" and len(self.view.scopes) > 1:
            name += f' <span class="in">in {escape(node.scope)}</span>'

        return f'<a class="ref {css}" href="#{anchor}">{name}</a>' if anchor else name

    def _names(self, names: list[str], limit: int = 6) -> str:
        shown = ", ".join(f"<code>{escape(name)}</code>" for name in names[:limit])
        return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
