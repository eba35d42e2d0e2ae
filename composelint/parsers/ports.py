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
knows) is for the schema check and the port analysis to say.
"""

from __future__ import annotations

from composelint.records import record


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
