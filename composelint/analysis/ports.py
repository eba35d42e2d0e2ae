"""Published ports as Docker binds them: short and long syntax, ranges, IPv6 host addresses.

Follows Compose's parsing (compose-go over docker/go-connections' ``ParsePortSpec``):

* short syntax ``[[host_ip:]published:]target[/protocol]``, where ``published`` and ``target``
  may be ranges (``8000-8005``), the host address may be IPv6, bracketed or not
  (``[::1]:8080:80``, ``::1:8080:80``), and the protocol defaults to ``tcp``;
* long syntax: a mapping with ``target``, ``published``, ``host_ip``, ``protocol``;
* a bare number or a missing ``published`` part asks Docker for an ephemeral port;
* a published range with one target port (``12400-12500:1240``) lets Docker pick one free port
  in the range, so it never claims a definite port.

Entries Compose would refuse (a bad address, mismatched ranges) come back as None; reporting
them is the schema's business.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable, Iterator

from composelint.diagnostics import Span
from composelint.parsers.ports import parse_port_spec, port_range
from composelint.records import record
from composelint.yamltree import YMap, YNode, YScalar, YSeq, scalar_text

PROTOCOLS = frozenset(("tcp", "udp", "sctp"))
ALL_ADDRESSES = ""  # no host_ip: Docker binds 0.0.0.0 and [::]
IPV4_ANY = "0.0.0.0"
IPV6_ANY = "::"


@record(frozen=True, slots=True)
class PortBinding:
    """One entry of ``ports:``, normalised."""

    host_ip: str  # "" (every address), or a canonical IPv4/IPv6 address without brackets
    published: tuple[int, int] | None  # inclusive host port range; None: Docker picks an ephemeral port
    target: tuple[int, int]  # inclusive container port range
    protocol: str  # tcp | udp | sctp
    span: Span  # the entry as written (the ``published`` value for the long syntax)
    text: str  # the entry as written, for messages

    @property
    def fixed(self) -> bool:
        """Whether the binding claims definite host ports (not an ephemeral or picked-from-range one)."""
        if self.published is None:
            return False
        host_count = self.published[1] - self.published[0]
        target_count = self.target[1] - self.target[0]
        return host_count == target_count

    def host_ports(self) -> range:
        """The host ports a fixed binding claims (empty for ephemeral ones)."""
        if not self.fixed or self.published is None:
            return range(0)
        return range(self.published[0], self.published[1] + 1)

    @property
    def family(self) -> int:
        """4 or 6 for a specific or wildcard address; 0 for "every address"."""
        if self.host_ip == ALL_ADDRESSES:
            return 0
        return 6 if ":" in self.host_ip else 4

    def address(self) -> str:
        """``ip:`` prefix as a user would write it (``[::1]:`` for IPv6), empty for every address."""
        return _address(self.host_ip)


def _address(host_ip: str) -> str:
    if host_ip == ALL_ADDRESSES:
        return ""
    return f"[{host_ip}]:" if ":" in host_ip else f"{host_ip}:"


def parse_ports(node: YNode | None) -> Iterator[PortBinding]:
    """Every valid entry of a service's ``ports`` sequence."""
    if not isinstance(node, YSeq):
        return
    for item in node.items:
        binding = parse_port(item)
        if binding is not None:
            yield binding


def parse_port(node: YNode) -> PortBinding | None:
    if isinstance(node, YMap):
        return _parse_long(node)
    if isinstance(node, YScalar):
        if isinstance(node.value, bool):
            return None
        text = scalar_text(node)
        if text is None:
            return None
        return parse_short(text, node.span)
    return None


def parse_short(text: str, span: Span) -> PortBinding | None:
    """``[[host_ip:]published:]target[/protocol]``."""
    spec = parse_port_spec(text)  # untrimmed: Compose refuses ` 80`
    protocol = spec.transport
    if protocol not in PROTOCOLS:
        return None
    published_text = spec.published
    host_ip = normalize_ip(spec.host_ip)
    target = port_range(spec.target)
    if host_ip is None or target is None:
        return None
    published = None
    if published_text:
        published = port_range(published_text)
        if published is None:
            return None
        host_count = published[1] - published[0]
        target_count = target[1] - target[0]
        if target_count and host_count != target_count:
            return None  # Compose refuses mismatched ranges
    return PortBinding(host_ip, published, target, protocol, span, text)


def _parse_long(node: YMap) -> PortBinding | None:
    target = port_range(scalar_text(node.get("target")) or "")
    if target is None or target[0] != target[1]:
        return None
    protocol = (scalar_text(node.get("protocol")) or "tcp").lower()
    if protocol not in PROTOCOLS:
        return None
    host_ip = normalize_ip(scalar_text(node.get("host_ip")) or "")
    if host_ip is None:
        return None
    published_node = node.get("published")
    published_text = scalar_text(published_node)
    published = None
    if published_text:
        published = port_range(published_text)
        if published is None:
            return None
    span = published_node.span if published_node is not None else node.span
    text = _long_text(host_ip, published_text, target, protocol)
    return PortBinding(host_ip, published, target, protocol, span, text)


def _long_text(host_ip: str, published: str | None, target: tuple[int, int], protocol: str) -> str:
    prefix = f"{_address(host_ip)}{published}:" if published else ""
    suffix = "" if protocol == "tcp" else f"/{protocol}"
    return f"{prefix}{target[0]}{suffix}"


def normalize_ip(text: str) -> str | None:
    """A host address in canonical form (brackets removed); "" for none; None when invalid."""
    text = text.strip()
    if not text:
        return ALL_ADDRESSES
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def overlapping_addresses(first: str, second: str) -> bool:
    """Whether binding the same port on both addresses collides.

    "Every address" (no host_ip) collides with anything; ``0.0.0.0`` with every IPv4
    address; ``::`` with every IPv6 address; two specific addresses only when equal.
    """
    if first == second or ALL_ADDRESSES in (first, second):
        return True
    first_v6, second_v6 = ":" in first, ":" in second
    if first_v6 != second_v6:
        return False
    wildcard = IPV6_ANY if first_v6 else IPV4_ANY
    return wildcard in (first, second)


# --------------------------------------------------------------------------- who holds a host port

# Per (protocol, port): the first claim each kind of address collides with.
_ANY, _V4_SIDE, _V6_SIDE, _V4_WILD, _V6_WILD = range(5)


class _Slot:
    __slots__ = ("first", "by_ip")

    def __init__(self):
        self.first: list = [None] * 5  # (order, claim) per kind, see above
        self.by_ip: dict = {}  # specific address -> (order, claim)

    def holder(self, ip: str, family: int):
        if family == 0:
            candidates = (self.first[_ANY],)
        elif ip == IPV4_ANY:
            candidates = (self.first[_V4_SIDE],)
        elif ip == IPV6_ANY:
            candidates = (self.first[_V6_SIDE],)
        else:
            candidates = (self.first[_V4_WILD if family == 4 else _V6_WILD], self.by_ip.get(ip))
        found = [held for held in candidates if held is not None]
        return min(found, key=lambda held: held[0]) if found else None

    def claim(self, ip: str, family: int, held) -> None:
        marks = [_ANY]
        if family in (0, 4):
            marks.append(_V4_SIDE)
        if family in (0, 6):
            marks.append(_V6_SIDE)
        if ip in (ALL_ADDRESSES, IPV4_ANY):
            marks.append(_V4_WILD)
        if ip in (ALL_ADDRESSES, IPV6_ANY):
            marks.append(_V6_WILD)
        for mark in marks:
            if self.first[mark] is None:
                self.first[mark] = held
        self.by_ip.setdefault(ip, held)


class PortTable:
    """Host ports claimed so far, answering "who already holds this?" in constant time per port.

    Collisions follow :func:`overlapping_addresses`; the earliest colliding claim is the holder.
    """

    def __init__(self):
        self._slots: dict[tuple[str, int], _Slot] = {}
        self._order = 0

    def claim(self, binding: PortBinding, ports: Iterable[int], owner):
        """Record ``owner`` on ``ports``; return ``(earlier owner, port)`` of the first collision, or None."""
        self._order += 1
        held = (self._order, owner)
        clash = None
        family = binding.family
        for port in ports:
            key = (binding.protocol, port)
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
            elif clash is None:
                holder = slot.holder(binding.host_ip, family)
                if holder is not None:
                    clash = (holder[1], port)
            slot.claim(binding.host_ip, family, held)
        return clash
