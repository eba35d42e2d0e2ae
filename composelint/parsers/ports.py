"""``PortSpec``: the one reading of a short-syntax port, ``[[host_ip:]published:]target[/protocol]``.

Split as Compose splits it (docker/go-connections ``ParsePortSpec`` under compose-go), checked against
``docker compose config`` in tests/test_ports.py:

* the protocol is everything after the first ``/``, compared without case (``80/TCP`` is ``80/tcp``),
  ``tcp`` when absent or empty (``80/``);
* the rest splits on ``:``: the last part is the target, the one before it the published port, and
  everything before those the host address, so an unbracketed IPv6 address keeps its colons
  (``::1:8080:80``) and a bracketed one its brackets until ``address`` removes them;
* nothing is trimmed (Compose refuses `` 80``).

Reading never fails: whether the parts are valid (a port, a range, an address, a protocol Docker
knows) is for the schema check and the port analysis to say, both with :func:`port_range`, the one
reading of a port number or range (and CL412 with :func:`port_bounds`, for Dockerfile ``EXPOSE``).
"""

from __future__ import annotations

import re

from composelint.records import record

# ASCII digits only: Go's ParseUint reads no others (Compose refuses `٨٠`), and any number of leading zeros.
_PORTS = re.compile(r"([0-9]+)(?:-([0-9]+))?\Z")


@record(frozen=True, slots=True)
class PortSpec:
    text: str  # as written
    host_ip: str  # as written: "127.0.0.1", "[::1]", "::1", "" for none
    published: str  # as written: "8080", "8000-8005", "" for none (Docker picks a port)
    target: str  # as written: "80", "8000-8005"
    protocol: str  # as written after the "/", "" for none

    @property
    def address(self) -> str:
        """The host address without the brackets of ``[::1]``."""
        ip = self.host_ip
        return ip[1:-1] if ip.startswith("[") and ip.endswith("]") else ip

    @property
    def transport(self) -> str:
        """The protocol as Compose normalises it: lower case, ``tcp`` by default."""
        return self.protocol.lower() or "tcp"

    @property
    def identity(self) -> str:
        """What makes two entries one binding when Compose merges files: address, ports, protocol."""
        return port_key(self.address, self.published, self.target, self.transport)


def port_key(host_ip: str, published: str, target: str, protocol: str) -> str:
    return f"{host_ip or '0.0.0.0'}:{published}:{target}/{protocol.lower() or 'tcp'}"


def parse_port_spec(text: str) -> PortSpec:
    mapping, _, protocol = text.partition("/")
    parts = mapping.split(":")
    host_ip, published = "", ""
    if len(parts) == 2:
        published = parts[0]
    elif len(parts) > 2:
        host_ip, published = ":".join(parts[:-2]), parts[-2]
    return PortSpec(text, host_ip, published, parts[-1], protocol)


def port_bounds(text: str) -> tuple[int, int] | None:
    """The two ends of ``8000`` or ``8000-8010`` as Compose and Docker read them (nothing trimmed, each
    end at most 65535), or None; the range may end before it starts (see :func:`port_range`)."""
    match = _PORTS.match(text)
    if match is None:
        return None
    low = _port_number(match.group(1))
    high = _port_number(match.group(2)) if match.group(2) is not None else low
    return (low, high) if low is not None and high is not None else None


def port_range(text: str) -> tuple[int, int] | None:
    """``8000`` or ``8000-8010`` as an inclusive range of port numbers from 0 to 65535, or None."""
    bounds = port_bounds(text)
    return bounds if bounds is not None and bounds[0] <= bounds[1] else None


def _port_number(digits: str) -> int | None:
    significant = digits.lstrip("0") or "0"
    if len(significant) > 5:  # and no int() of thousands of digits (it raises on Python 3.11+)
        return None
    number = int(significant)
    return number if number <= 65535 else None
