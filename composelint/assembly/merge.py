"""Merge compose files as ``docker compose -f a -f b`` does, with ``include:`` and ``extends``.

The rules are compose-go's (``override/merge.go`` and ``override/uncity.go``), checked
against ``docker compose config`` (tests/test_oracle_compose.py):

* mappings merge key by key; a ``null`` in the later file keeps the earlier value;
  ``!reset`` removes a value and ``!override`` replaces it whole;
* ``command``, ``entrypoint``, ``healthcheck.test`` and each ``ulimits`` entry are replaced;
* key/value attributes (``environment``, ``labels``, ``annotations``, ``sysctls``,
  ``build.args`` …) merge by key whatever their syntax (list ``KEY=VALUE`` or mapping);
* ``depends_on`` and a service's ``networks`` merge as mappings (a list is turned into one);
  ``build: ./dir`` merges as ``build: {context: ./dir}``; ``logging`` is replaced when the
  two files name different drivers;
* other sequences append, then entries with the same identity keep the first position and
  the last value: ``ports`` by host IP, published port, target and protocol, ``volumes`` and
  ``devices`` by container path, ``secrets``/``configs`` by target, ``expose``, ``dns``,
  ``cap_add``, ``profiles`` … by value.

Every merged node keeps its span, so a merged value still points at the line that wrote it.

Unicity (which entries of a merged sequence are the same one) is :mod:`composelint.assembly.unicity`;
loading a deployment's files (interpolation, ``extends``, ``include:``) is :mod:`composelint.assembly.loader`.
"""

from __future__ import annotations

from typing import Callable

from composelint.assembly.unicity import unique_services
from composelint.diagnostics import Position, Span
from composelint.yamltree import YEntry, YMap, YNode, YScalar, YSeq, scalar_text


# Top-level sections whose keys are names (their second path element is a wildcard).
_NAMED_SECTIONS = frozenset(("services", "networks", "volumes", "secrets", "configs", "models"))
_SERVICE_NAMED_CHILDREN = frozenset(("ulimits", "networks"))


def child_path(path: tuple[str, ...], key: str) -> tuple[str, ...]:
    """The generalised path of ``key`` under ``path``: resource names become ``*``."""
    if len(path) == 1 and path[0] in _NAMED_SECTIONS:
        return (path[0], "*")
    if len(path) == 3 and path[0] == "services" and path[2] in _SERVICE_NAMED_CHILDREN:
        return path + ("*",)
    return path + (key,)


def _is_null(node: YNode) -> bool:
    return isinstance(node, YScalar) and node.value is None and node.tag is None


def merge_mappings(base: YMap, override: YMap, path: tuple[str, ...] = ()) -> YMap:
    """``override`` merged over ``base`` (both mappings at ``path``)."""
    entries = dict(base.entries)
    for key, entry in override.entries.items():
        value = entry.value
        if value.tag == "!reset":
            entries.pop(key, None)
            continue
        current = entries.get(key)
        if current is None or value.tag == "!override":
            entries[key] = YEntry(entry.key, _untag(value), entry.merged)
            continue
        entries[key] = YEntry(current.key, merge_values(current.value, value, child_path(path, key)),
                              current.merged)
    return YMap(entries, base.span, base.tag)


def merge_values(base: YNode, override: YNode, path: tuple[str, ...]) -> YNode:
    special = _SPECIALS.get(path)
    if special is not None:
        return special(base, override, path)
    if _is_null(override):
        return base
    if isinstance(base, YMap) and isinstance(override, YMap):
        return merge_mappings(base, override, path)
    if isinstance(base, YSeq) and isinstance(override, YSeq):
        return YSeq(base.items + override.items, base.span, base.tag)
    return override


def _replace(base: YNode, override: YNode, path) -> YNode:
    return override


def _untag(node: YNode) -> YNode:
    if node.tag != "!override":
        return node
    if isinstance(node, YMap):
        return YMap(node.entries, node.span)
    if isinstance(node, YSeq):
        return YSeq(node.items, node.span)
    return YScalar(node.value, node.span, None, node.style, node.raw)


def _split_item(item: YNode, separator: str = "=") -> tuple[str, YScalar, YScalar] | None:
    """``KEY=VALUE`` as a key node and a value node, both positioned; None for a non-scalar."""
    text = scalar_text(item)
    if text is None:
        return None
    name, sep, value = text.partition(separator)
    span = item.span
    name_span = Span(span.path, span.start, Position(span.start.line, span.start.column + len(name)))
    raw = getattr(item, "raw", None)  # keep "before interpolation" so `${VAR}` values stay recognisable
    raw_value = raw.partition(separator)[2] if raw is not None and sep else None
    return name, YScalar(name, name_span), YScalar(value if sep else None, span, None,
                                                    getattr(item, "style", ""), raw_value)


def as_mapping(node: YNode, key: str = "") -> YMap:
    """``- KEY=VALUE`` items as a mapping, so both syntaxes merge by key."""
    if isinstance(node, YMap):
        return node
    entries = {}
    items = node.items if isinstance(node, YSeq) else ((node,) if isinstance(node, YScalar) else ())
    for item in items:
        split = _split_item(item)
        if split is None:
            continue
        name, key_node, value_node = split
        entries[name] = YEntry(key_node, value_node)
    return YMap(entries, node.span)


def _merge_keyed(base: YNode, override: YNode, path) -> YNode:
    """Key/value attributes: the later definition of a key wins, at the earlier position."""
    if _is_null(override):
        return base
    if _is_null(base):
        return override
    entries = dict(as_mapping(base).entries)
    for name, entry in as_mapping(override).entries.items():
        if entry.value.tag != "!reset":  # compose-go drops such an entry, and keeps the earlier value
            entries[name] = entry
    return YMap(entries, base.span, base.tag)


def _as_sequence(node: YNode) -> tuple:
    if isinstance(node, YSeq):
        return node.items
    if isinstance(node, YMap):  # {key: value} -> "key=value", as compose-go converts it
        items = []
        for name, entry in node.entries.items():
            values = entry.value.items if isinstance(entry.value, YSeq) else (entry.value,)
            for value in values:
                text = scalar_text(value)
                items.append(YScalar(name if text is None else f"{name}={text}", value.span))
        return tuple(items)
    if isinstance(node, YScalar) and node.value is not None:
        return (node,)
    return ()


def _merge_listed(base: YNode, override: YNode, path) -> YNode:
    """``dns``, ``tmpfs``, ``env_file`` …: a string is a one-item list; lists append."""
    if _is_null(override):
        return base
    return YSeq(_as_sequence(base) + _as_sequence(override), base.span, base.tag)


def _merge_extra_hosts(base: YNode, override: YNode, path) -> YNode:
    if _is_null(override):
        return base
    left = _as_sequence(base)
    seen = {scalar_text(item) for item in left}
    return YSeq(left + tuple(item for item in _as_sequence(override) if scalar_text(item) not in seen),
                base.span, base.tag)


def _name_mapping(node: YNode, default: Callable[[YScalar], YNode] | None = None) -> YMap | None:
    if isinstance(node, YMap):
        return node
    if not isinstance(node, YSeq):
        return None
    entries = {}
    for item in node.items:
        name = scalar_text(item)
        if name:
            entries[name] = YEntry(YScalar(name, item.span),
                                   default(item) if default else YScalar(None, item.span))
    return YMap(entries, node.span, node.tag)


def _dependency_defaults(item: YScalar) -> YMap:
    span = item.span
    return YMap({"condition": YEntry(YScalar("condition", span), YScalar("service_started", span)),
                 "required": YEntry(YScalar("required", span), YScalar(True, span))}, span)


def dependency_mapping(node: YNode) -> YMap | None:
    return _name_mapping(node, _dependency_defaults)


def _merge_by_name(default):
    def merge(base: YNode, override: YNode, path) -> YNode:
        if _is_null(override):
            return base
        left, right = _name_mapping(base, default), _name_mapping(override, default)
        if left is None or right is None:
            return override
        return merge_mappings(left, right, path)

    return merge


def _build_mapping(node: YNode) -> YMap | None:
    if isinstance(node, YMap):
        return node
    if isinstance(node, YScalar) and node.value is not None:
        return YMap({"context": YEntry(YScalar("context", node.span), node)}, node.span)
    return None


def _merge_build(base: YNode, override: YNode, path) -> YNode:
    left, right = _build_mapping(base), _build_mapping(override)
    if right is None:
        return base
    if left is None:
        return override
    return merge_mappings(left, right, path)


def _merge_logging(base: YNode, override: YNode, path) -> YNode:
    if not (isinstance(base, YMap) and isinstance(override, YMap)):
        return base if _is_null(override) else override
    left, right = scalar_text(base.get("driver")), scalar_text(override.get("driver"))
    if left is not None and right is not None and left != right:
        return override
    return merge_mappings(base, override, path)


_KEYED_PATHS = (
    ("networks", "*", "labels"), ("volumes", "*", "labels"), ("services", "*", "annotations"),
    ("services", "*", "build", "args"), ("services", "*", "build", "additional_contexts"),
    ("services", "*", "build", "labels"), ("services", "*", "deploy", "labels"),
    ("services", "*", "environment"), ("services", "*", "labels"), ("services", "*", "sysctls"),
)
_LISTED_PATHS = (
    ("services", "*", "dns"), ("services", "*", "dns_opt"), ("services", "*", "dns_search"),
    ("services", "*", "env_file"), ("services", "*", "label_file"), ("services", "*", "tmpfs"),
)
_SPECIALS: dict[tuple, Callable] = {
    **{path: _merge_keyed for path in _KEYED_PATHS},
    **{path: _merge_listed for path in _LISTED_PATHS},
    ("services", "*", "build"): _merge_build,
    ("services", "*", "build", "extra_hosts"): _merge_extra_hosts,
    ("services", "*", "extra_hosts"): _merge_extra_hosts,
    ("services", "*", "command"): _replace,
    ("services", "*", "entrypoint"): _replace,
    ("services", "*", "healthcheck", "test"): _replace,
    ("services", "*", "ulimits", "*"): _replace,
    ("services", "*", "logging"): _merge_logging,
    ("services", "*", "depends_on"): _merge_by_name(_dependency_defaults),
    ("services", "*", "networks"): _merge_by_name(None),
}


def merge_files_roots(base: YMap | None, override: YMap) -> YMap:
    """One more file (already interpolated, its extends and includes applied) merged over the model."""
    if base is None:
        return unique_services(merge_mappings(YMap({}, override.span), override))  # applies !reset / !override
    services = override.get("services")
    touched = list(services.entries) if isinstance(services, YMap) else []
    return unique_services(merge_mappings(base, override), touched)
