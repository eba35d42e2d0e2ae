"""The string formats of the Compose schema (``compose-port``, ``compose-volume``, ``ip-address``):
what Compose parses, and why it rejects a string that is not in that form.
"""

from __future__ import annotations

from composelint.parsers.ports import parse_port_spec, port_range
from composelint.parsers.schema_messages import scalar


def _is_ip_address(text: str) -> bool:
    if "%" in text:  # Go's net.ParseIP takes no IPv6 zone
        return False
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _port_problem(spec: str) -> str | None:
    """Why Compose rejects a short-syntax port ``[IP:][HOST:]CONTAINER[/PROTOCOL]``, or None."""
    if not spec:
        return "the mapping is empty"
    port = parse_port_spec(spec)
    if port.protocol and port.transport not in ("tcp", "udp", "sctp"):
        return f"the protocol `{scalar(port.protocol)}` is not `tcp`, `udp` or `sctp`"
    host_ip, host, container = port.address, port.published, port.target
    if host_ip == port.host_ip and "[" in spec.partition("/")[0]:  # a bracket, but not around the address
        return "a bracketed IPv6 address needs both ports after it, as in `[::1]:8080:80`"
    if host_ip and not _is_ip_address(host_ip):
        return f"`{scalar(host_ip)}` is not an IP address"
    if not container:
        return "the container port is missing"
    container_range = port_range(container)
    if container_range is None or container_range[0] == 0:
        return f"the container port `{scalar(container)}` is not a port from 1 to 65535 or a range such as `8000-8010`"
    if host:
        host_range = port_range(host)
        if host_range is None:
            return f"the host port `{scalar(host)}` is not a port from 0 to 65535 or a range such as `8000-8010`"
        container_span = container_range[1] - container_range[0]
        if container_span and host_range[1] - host_range[0] != container_span:
            return f"the host range `{scalar(host)}` and the container range `{scalar(container)}` differ in size"
    return None


def _volume_problem(spec: str) -> str | None:
    """Why Compose rejects a short-syntax volume ``[SOURCE:]TARGET[:OPTIONS]``, or None.

    Splits on colons as Compose does: a single letter before a colon is a
    Windows drive, and ``${...}`` is kept whole.
    """
    if not spec:
        return "the volume is empty"
    if len(spec) <= 2:
        return None
    sections = 0
    section_length = 0
    first_char = ""
    braces = 0
    length = len(spec)
    for index, char in enumerate(spec):
        if char == "$" and index + 1 < length and spec[index + 1] == "{":
            braces += 1
        elif char == "}" and braces:
            braces -= 1
        elif char == ":" and not braces:
            if section_length == 1 and first_char.isalpha():
                pass  # `C:` of a Windows path
            elif section_length == 0:
                return "it has an empty section between colons"
            elif sections == 2:
                return "it has too many colons (at most SOURCE:TARGET:OPTIONS)"
            else:
                sections += 1
                section_length = 0
                continue
        if section_length == 0:
            first_char = char
        section_length += 1
    if section_length == 0:
        return "it ends with a colon"
    return None


def _ip_problem(text: str) -> str | None:
    return None if _is_ip_address(text) else "it is not an IPv4 or IPv6 address"


FORMAT_PROBLEMS = {
    "compose-port": _port_problem,
    "compose-volume": _volume_problem,
    "ip-address": _ip_problem,
}
