"""Merge compose files as ``docker compose -f a -f b`` does.

Follows the Compose Specification's merge rules: mappings merge key by key;
``command``, ``entrypoint`` and ``healthcheck.test`` are replaced; key/value
attributes (``environment``, ``labels`` …) merge by key whatever their syntax;
``ports``, ``volumes``, ``secrets``, ``configs`` are unique by their target;
other sequences append. ``!reset`` removes a value, ``!override`` replaces it.
Nodes keep their spans, so a merged value still points at the file it came from.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from composelint.diagnostics import Position, Span
from composelint.linking import link_service
from composelint.model import ComposeFile, Deployment, Dockerfile
from composelint.yamltree import YEntry, YMap, YNode, YScalar, YSeq, scalar_text

# Attributes replaced whole, at any depth under a service.
_REPLACED = frozenset(("command", "entrypoint", "test"))
# Attributes whose list form (KEY=VALUE) and mapping form merge by key.
_KEY_VALUE = frozenset(("environment", "labels", "annotations", "sysctls", "args", "extra_hosts",
                        "driver_opts", "options"))
_KEY_VALUE_SEPARATOR = {"extra_hosts": None}  # "host:ip" or "host=ip"
# Lists whose entries are unique by an identity; a later entry replaces an earlier one.
_UNIQUE = frozenset(("ports", "volumes", "secrets", "configs", "devices", "expose", "dns", "dns_search",
                     "dns_opt", "cap_add", "cap_drop", "security_opt", "env_file", "tmpfs", "group_add",
                     "external_links", "links", "volumes_from", "profiles", "networks", "depends_on"))


def merge_mappings(base: YMap, override: YMap, parent_key: str | None = None) -> YMap:
    entries = dict(base.entries)
    for key, entry in override.entries.items():
        value = entry.value
        if value.tag == "!reset":
            entries.pop(key, None)
            continue
        current = entries.get(key)
        if current is None or value.tag == "!override":
            entries[key] = YEntry(entry.key, _untag(value))
            continue
        entries[key] = YEntry(current.key, merge_values(current.value, value, key))
    return YMap(entries, base.span, base.tag)


def merge_values(base: YNode, override: YNode, key: str) -> YNode:
    if key in _REPLACED:
        return override
    if key in _KEY_VALUE and (isinstance(base, (YMap, YSeq)) and isinstance(override, (YMap, YSeq))):
        return merge_mappings(as_mapping(base, key), as_mapping(override, key), key)
    if key == "depends_on" and isinstance(base, (YMap, YSeq)) and isinstance(override, (YMap, YSeq)):
        return merge_mappings(dependency_mapping(base), dependency_mapping(override), key)
    if key == "networks" and isinstance(base, (YMap, YSeq)) and isinstance(override, (YMap, YSeq)):
        if isinstance(base, YMap) or isinstance(override, YMap):
            return merge_mappings(as_name_mapping(base), as_name_mapping(override), key)
    if isinstance(base, YMap) and isinstance(override, YMap):
        return merge_mappings(base, override, key)
    if isinstance(base, YSeq) and isinstance(override, YSeq):
        if key in _UNIQUE:
            return merge_unique(base, override, key)
        return YSeq(base.items + override.items, base.span, base.tag)
    return override


def _untag(node: YNode) -> YNode:
    if node.tag != "!override":
        return node
    if isinstance(node, YMap):
        return YMap(node.entries, node.span)
    if isinstance(node, YSeq):
        return YSeq(node.items, node.span)
    return YScalar(node.value, node.span, None, node.style, node.raw)


def as_mapping(node: YNode, key: str) -> YMap:
    """``- KEY=VALUE`` items as a mapping, so both syntaxes merge by key."""
    if isinstance(node, YMap):
        return node
    entries = {}
    for item in node.items:
        text = scalar_text(item)
        if text is None:
            continue
        if key == "extra_hosts":
            separator = "=" if "=" in text else ":"
        else:
            separator = "="
        name, sep, value = text.partition(separator)
        name_span = Span(item.span.path, item.span.start,
                         Position(item.span.start.line, item.span.start.column + len(name)))
        value_node = YScalar(value if sep else None, item.span, None, getattr(item, "style", ""))
        entries[name] = YEntry(YScalar(name, name_span), value_node)
    return YMap(entries, node.span)


def dependency_mapping(node: YNode) -> YMap:
    if isinstance(node, YMap):
        return node
    entries = {}
    for item in node.items:
        name = scalar_text(item)
        if name:
            condition = YScalar("service_started", item.span)
            options = YMap({"condition": YEntry(YScalar("condition", item.span), condition)}, item.span)
            entries[name] = YEntry(YScalar(name, item.span), options)
    return YMap(entries, node.span)


def as_name_mapping(node: YNode) -> YMap:
    if isinstance(node, YMap):
        return node
    entries = {}
    for item in node.items:
        name = scalar_text(item)
        if name:
            entries[name] = YEntry(YScalar(name, item.span), YScalar(None, item.span))
    return YMap(entries, node.span)


def identity(item: YNode, key: str) -> str:
    """What makes an entry of a unique list the same entry (the container-side target)."""
    if isinstance(item, YScalar):
        text = scalar_text(item) or ""
        if key == "volumes":
            parts = text.split(":")
            return parts[1] if len(parts) >= 2 else parts[0]
        return text
    if isinstance(item, YMap):
        if key in ("volumes", "devices", "secrets", "configs"):
            for field in ("target", "source"):
                value = scalar_text(item.get(field))
                if value:
                    return value
        if key == "ports":
            return "|".join(scalar_text(item.get(field)) or "" for field in
                            ("host_ip", "published", "target", "protocol", "mode"))
    from composelint.yamltree import plain

    return repr(plain(item))


def merge_unique(base: YSeq, override: YSeq, key: str) -> YSeq:
    merged: dict[str, YNode] = {}
    for item in base.items:
        merged[identity(item, key)] = item
    for item in override.items:
        merged[identity(item, key)] = item
    return YSeq(tuple(merged.values()), base.span, base.tag)


def merge_files(files: tuple[str, ...], compose_files: Mapping[str, ComposeFile],
                dockerfiles: Mapping[str, Dockerfile], *, name: str, source: str,
                origin: Span | None, project_dir: str, profiles: tuple[str, ...] = (),
                env_files: tuple[str, ...] = ()) -> Deployment:
    """A deployment of already-loaded files, merged in order."""
    from composelint.parsers.compose import service_from_node

    root: YMap | None = None
    first_file: dict[str, str] = {}
    first_key: dict[str, Span] = {}
    for path in files:
        compose = compose_files.get(path)
        if compose is None or compose.root is None:
            continue
        section = compose.root.get("services")
        if isinstance(section, YMap):
            for service_name, entry in section.entries.items():
                first_file.setdefault(service_name, path)
                first_key.setdefault(service_name, entry.key.span)
        root = compose.root if root is None else merge_mappings(root, compose.root)
    services = {}
    if root is not None:
        section = root.get("services")
        if isinstance(section, YMap):
            for service_name, entry in section.entries.items():
                if not isinstance(entry.value, YMap):
                    continue
                file_services = compose_files[first_file[service_name]].services
                single = file_services.get(service_name)
                if len(files) == 1 and single is not None:
                    services[service_name] = single
                    continue
                service = service_from_node(service_name, first_key[service_name], entry.value,
                                            first_file[service_name], project_dir, None)
                services[service_name] = link_service(service, dockerfiles)
    enabled = set(profiles)
    active = frozenset(n for n, s in services.items() if not s.profiles or enabled & set(s.profiles))
    return Deployment(name=name, files=files, source=source, origin=origin, project_dir=project_dir,
                      profiles=profiles, env_files=env_files, root=root,
                      services=MappingProxyType(services), active=active)
