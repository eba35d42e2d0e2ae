"""A service uses a named network, volume, secret or config that its deployment does not declare."""

from __future__ import annotations

import re
from typing import Iterator

from composelint.diagnostics import Span
from composelint.analysis.hosts import narrow_in_value
from composelint.graph import graph_of
from composelint.suggest import closest_name
from composelint.rules._rule import Violation, rule
from composelint.yamltree import YMap, YScalar, YSeq, scalar_text

_PATH = re.compile(r"^(?:[./~\\]|[A-Za-z]:[\\/])")
_SINGULAR = {"networks": "network", "volumes": "volume", "secrets": "secret", "configs": "config"}


@rule(code="CL106", name="undefined-resource", severity="error",
      summary="a service uses a network, volume, secret or config its deployment does not declare")
def check(project, options):
    graph = graph_of(project)
    for scope in graph.deployment_scopes():
        if scope.deployment is not None and not getattr(scope.deployment, "complete", True):
            continue  # a file composelint cannot resolve may declare what is missing
        for name, service in scope.services.items():
            for kind, resource, span in _uses(service, project.sources):
                declared = graph.declared_resources(scope.name, kind)
                if resource in declared or (kind == "networks" and resource == "default"):
                    continue
                noun = _SINGULAR[kind]
                guess = closest_name(resource, declared)
                yield Violation(
                    span,
                    f"service '{name}' uses the {noun} `{resource}`, which its deployment does not declare under "
                    f"top-level `{kind}:`: Compose refuses the project (\"refers to undefined {noun}\")",
                    help=(f"did you mean `{guess}`? " if guess else "") + f"declare it at the top level: "
                         f"`{kind}: {{{resource}: {{}}}}` (with `external: true` when something else creates it)",
                    subject=f"service '{name}'",
                    anchor_text=f"{noun} {resource}",
                )


def _uses(service, sources) -> Iterator[tuple[str, str, Span]]:
    node = service.node
    networks = node.get("networks")
    if not scalar_text(node.get("network_mode")):
        if isinstance(networks, YMap):
            for key, entry in networks.entries.items():
                yield "networks", key, entry.key.span
        for item in _items(networks):
            yield "networks", item[0], item[1]
    volumes = node.get("volumes")
    for item in volumes.items if isinstance(volumes, YSeq) else ():
        if isinstance(item, YMap):
            source = item.get("source")
            kind = scalar_text(item.get("type")) or "volume"
            text = scalar_text(source)
            if kind == "volume" and text and _named(source, text):
                yield "volumes", text, source.span
        elif isinstance(item, YScalar):
            text = scalar_text(item) or ""
            source, colon, _ = text.partition(":")
            if colon and source and _named(item, source) and not _PATH.match(text):
                yield "volumes", source, narrow_in_value(item.span, text, 0, len(source), sources)
    for kind in ("secrets", "configs"):
        section = node.get(kind)
        for item in section.items if isinstance(section, YSeq) else ():
            target = item.get("source") if isinstance(item, YMap) else item
            text = scalar_text(target)
            if text:
                yield kind, text, target.span


def _items(node) -> Iterator[tuple[str, Span]]:
    for item in node.items if isinstance(node, YSeq) else ():
        text = scalar_text(item)
        if text:
            yield text, item.span


def _named(node: YScalar, text: str) -> bool:
    """A volume name, not a path; skipped when interpolation wrote it (the path depends on the machine)."""
    if node.raw is not None and "$" in node.raw:
        return False
    return not _PATH.match(text)
