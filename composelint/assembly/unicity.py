"""Unicity of merged sequences, as compose-go's ``override/uncity.go``: entries with the same identity
keep the first position and the last value (``ports`` by host IP, published port, target and protocol;
``volumes`` and ``devices`` by container path; ``secrets``/``configs`` by target; ``expose``, ``dns``,
``cap_add``, ``profiles`` … by value).
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from composelint.parsers.ports import parse_port_spec, port_key
from composelint.textnumbers import decimal_value
from composelint.yamltree import YEntry, YMap, YNode, YScalar, YSeq, plain, scalar_text





def _key_before_equals(item: YNode) -> str:
    text = scalar_text(item)
    if text is None:
        return repr(plain(item))
    return text.partition("=")[0]


def _volume_target(item: YNode) -> str:
    if isinstance(item, YMap):
        return scalar_text(item.get("target")) or ""
    text = scalar_text(item) or ""
    parts = _split_volume(text)
    return parts[1] if len(parts) >= 2 else parts[0]


def _split_volume(text: str) -> list[str]:
    """``SOURCE:TARGET[:MODE]``; a Windows drive letter (``C:\\x``) is not a separator."""
    parts: list[str] = []
    current = ""
    index = 0
    while index < len(text):
        char = text[index]
        if char == ":" and not (len(current) == 1 and current.isalpha() and text[index + 1:index + 2] in ("\\", "/")
                                and not parts):
            parts.append(current)
            current = ""
        else:
            current += char
        index += 1
    parts.append(current)
    return parts


def _device_target(item: YNode) -> str:
    if isinstance(item, YMap):
        return scalar_text(item.get("target")) or ""
    parts = (scalar_text(item) or "").split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _mount_target(default_dir: str):
    def identity(item: YNode) -> str:
        if isinstance(item, YMap):
            target = scalar_text(item.get("target"))
            return target if target is not None else f"{default_dir}/{scalar_text(item.get('source'))}"
        return f"{default_dir}/{scalar_text(item)}"

    return identity


def _env_file_path(item: YNode) -> str:
    if isinstance(item, YMap):
        return scalar_text(item.get("path")) or ""
    return scalar_text(item) or ""


def _plain_text(item: YNode) -> str:
    text = scalar_text(item)
    return text if text is not None else repr(plain(item))


def port_identity(item: YNode) -> str:
    """Host IP, published port, target port and protocol, as compose-go compares ports."""
    if isinstance(item, YMap):
        return port_key(scalar_text(item.get("host_ip")) or "", scalar_text(item.get("published")) or "",
                        scalar_text(item.get("target")) or "", scalar_text(item.get("protocol")) or "")
    return parse_port_spec(scalar_text(item) or "").identity


def _range(text: str) -> tuple[int, int] | None:
    low_text, sep, high_text = text.partition("-")
    low = decimal_value(low_text)
    high = decimal_value(high_text) if sep else low
    if low is None or high is None:
        return None
    return low, high


def _expanded_port(item: YNode) -> list[YScalar] | None:
    """A short-syntax port range as one entry per port (as compose-go's canonical form has it)."""
    text = scalar_text(item)
    if not isinstance(item, YScalar) or not text:
        return None
    spec = parse_port_spec(text)
    host, published, target, protocol = spec.address, spec.published, spec.target, spec.protocol or "tcp"
    targets = _range(target)
    publisheds = _range(published) if published else None
    if targets is None or targets[0] == targets[1] or targets[1] - targets[0] > 65535:
        return None
    if published and (publisheds is None or publisheds[1] - publisheds[0] != targets[1] - targets[0]):
        return None
    prefix = f"[{host}]:" if ":" in host else f"{host}:" if host else ""
    items = []
    for offset in range(targets[1] - targets[0] + 1):
        host_port = f"{publisheds[0] + offset}:" if publisheds else (":" if host else "")
        items.append(YScalar(f"{prefix}{host_port}{targets[0] + offset}/{protocol}", item.span))
    return items


def _unique_ports(node: YSeq) -> YSeq:
    """Ports unique by binding; a range that collides with another entry is split first, as Compose does."""
    seen: dict[str, int] = {}
    collide = False
    expansions: list[list[YScalar] | None] = []
    for index, item in enumerate(node.items):
        expanded = _expanded_port(item)
        expansions.append(expanded)
        for key in ([port_identity(part) for part in expanded] if expanded else [port_identity(item)]):
            if seen.setdefault(key, index) != index:
                collide = True
    if not collide:
        return node
    items: list[YNode] = []
    for item, expanded in zip(node.items, expansions):
        items.extend(expanded if expanded else (item,))
    return _unique_items(YSeq(tuple(items), node.span, node.tag), port_identity)


_UNIQUE: dict[str, Callable[[YNode], str]] = {
    "annotations": _key_before_equals, "cap_add": _key_before_equals, "cap_drop": _key_before_equals,
    "devices": _device_target, "configs": _mount_target(""), "dns": _key_before_equals,
    "dns_opt": _key_before_equals, "dns_search": _key_before_equals, "environment": _key_before_equals,
    "env_file": _env_file_path, "expose": _plain_text, "labels": _key_before_equals,
    "links": _key_before_equals, "ports": port_identity, "profiles": _key_before_equals,
    "secrets": _mount_target("/run/secrets"), "sysctls": _key_before_equals, "tmpfs": _key_before_equals,
    "volumes": _volume_target,
}
_UNIQUE_BUILD: dict[str, Callable[[YNode], str]] = {
    "args": _key_before_equals, "additional_contexts": _key_before_equals, "platforms": _key_before_equals,
    "tags": _key_before_equals, "labels": _key_before_equals,
}


def _unique_items(node: YSeq, identity: Callable[[YNode], str]) -> YSeq:
    positions: dict[str, int] = {}
    items: list[YNode] = []
    for item in node.items:
        key = identity(item)
        index = positions.get(key)
        if index is None:
            positions[key] = len(items)
            items.append(item)
        else:
            items[index] = item
    if len(items) == len(node.items):
        return node
    return YSeq(tuple(items), node.span, node.tag)


def _unique_in(mapping: YMap, table: Mapping[str, Callable[[YNode], str]]) -> YMap:
    def unique(key: str, value: YNode) -> YNode:
        identity = table.get(key)
        if identity is None or not isinstance(value, YSeq):
            return value
        return _unique_ports(value) if identity is port_identity else _unique_items(value, identity)

    return mapping.with_values(unique)


def unique_service(node: YMap) -> YMap:
    """A service with compose-go's unicity applied to its lists (the same node when nothing repeats)."""
    result = _unique_in(node, _UNIQUE)
    build = result.get("build")
    if isinstance(build, YMap):
        unique_build = _unique_in(build, _UNIQUE_BUILD)
        if unique_build is not build:
            entries = dict(result.entries)
            entries["build"] = YEntry(result.entries["build"].key, unique_build)
            result = YMap(entries, result.span, result.tag)
    networks = result.get("networks")
    if isinstance(networks, YMap):
        unique_networks = networks.with_values(lambda name, value: _unique_in(
            value, {"aliases": _key_before_equals, "link_local_ips": _key_before_equals})
            if isinstance(value, YMap) else value)
        if unique_networks is not networks:
            entries = dict(result.entries)
            entries["networks"] = YEntry(result.entries["networks"].key, unique_networks)
            result = YMap(entries, result.span, result.tag)
    return result


def unique_services(root: YMap, names: Iterable[str] | None = None) -> YMap:
    """``root`` with unicity applied to the services named (all when None)."""
    section = root.get("services")
    if not isinstance(section, YMap):
        return root
    entries = None
    for name in (section.entries if names is None else names):
        entry = section.entries.get(name)
        if entry is None or not isinstance(entry.value, YMap):
            continue
        unique = unique_service(entry.value)
        if unique is not entry.value:
            if entries is None:
                entries = dict(section.entries)
            entries[name] = YEntry(entry.key, unique, entry.merged)
    if entries is None:
        return root
    top = dict(root.entries)
    top["services"] = YEntry(root.entries["services"].key, YMap(entries, section.span, section.tag))
    return YMap(top, root.span, root.tag)
