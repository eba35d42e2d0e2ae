"""Port parsing (composelint.analysis.ports): short and long syntax, ranges, IPv6, compared with Compose."""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import compose_binary, needs_compose

from composelint.analysis.ports import overlapping_addresses, parse_port, parse_ports, parse_short
from composelint.diagnostics import Span
from composelint.parsers.yaml_loader import load_yaml
from composelint.yamltree import find

SPAN = Span.at("compose.yaml", 1, 1)


def short(text):
    return parse_short(text, SPAN)


@pytest.mark.parametrize("text, host_ip, published, target, protocol, fixed", [
    ("3000", "", None, (3000, 3000), "tcp", False),
    ("3000-3005", "", None, (3000, 3005), "tcp", False),
    ("8000:8000", "", (8000, 8000), (8000, 8000), "tcp", True),
    ("9090-9091:8080-8081", "", (9090, 9091), (8080, 8081), "tcp", True),
    ("127.0.0.1:8001:8001", "127.0.0.1", (8001, 8001), (8001, 8001), "tcp", True),
    ("127.0.0.1:5000-5010:5000-5010", "127.0.0.1", (5000, 5010), (5000, 5010), "tcp", True),
    ("6060:6060/udp", "", (6060, 6060), (6060, 6060), "udp", True),
    ("12400-12500:1240", "", (12400, 12500), (1240, 1240), "tcp", False),
    ("[::1]:8080:80", "::1", (8080, 8080), (80, 80), "tcp", True),
    ("::1:8081:80", "::1", (8081, 8081), (80, 80), "tcp", True),
    ("[FE80:0::1]:9000-9001:90-91/UDP", "fe80::1", (9000, 9001), (90, 91), "udp", True),
    (":7000:70", "", (7000, 7000), (70, 70), "tcp", True),
    ("127.0.0.1::5432", "127.0.0.1", None, (5432, 5432), "tcp", False),
    ("0.0.0.0:80:80/sctp", "0.0.0.0", (80, 80), (80, 80), "sctp", True),
])
def test_short_syntax(text, host_ip, published, target, protocol, fixed):
    binding = short(text)
    assert (binding.host_ip, binding.published, binding.target, binding.protocol, binding.fixed) == (
        host_ip, published, target, protocol, fixed)


@pytest.mark.parametrize("text", ["", "abc", "80:80/icmp", "999.1.1.1:80:80", "8000-8001:80-82", "70000:80",
                                  "80-70:80", "[::1:80:80", "1.2.3:80:80"])
def test_invalid_short_syntax_is_none(text):
    assert short(text) is None


def test_host_ports_of_ranges_and_ephemeral_bindings():
    assert list(short("127.0.0.1:5000-5002:6000-6002").host_ports()) == [5000, 5001, 5002]
    assert list(short("6000-6010:6000").host_ports()) == []
    assert list(short("3000").host_ports()) == []


def test_long_syntax_and_spans():
    text = ("ports:\n"
            "  - target: 80\n"
            "    published: \"9500-9501\"\n"
            "    host_ip: \"::\"\n"
            "    protocol: udp\n"
            "  - target: 443\n"
            "    published: 8443\n"
            "    host_ip: 127.0.0.1\n"
            "  - target: 22\n"
            "  - 8123\n"
            "  - \"[::1]:8080:80\"\n")
    root = load_yaml(text, "compose.yaml").root
    bindings = list(parse_ports(find(root, ("ports",))))
    assert [(b.host_ip, b.published, b.target, b.protocol, b.fixed) for b in bindings] == [
        ("::", (9500, 9501), (80, 80), "udp", False),
        ("127.0.0.1", (8443, 8443), (443, 443), "tcp", True),
        ("", None, (22, 22), "tcp", False),
        ("", None, (8123, 8123), "tcp", False),
        ("::1", (8080, 8080), (80, 80), "tcp", True),
    ]
    assert (bindings[1].span.line, bindings[1].span.column) == (7, 16)  # the `published` value
    assert bindings[1].text == "127.0.0.1:8443:443"
    assert (bindings[4].span.line, bindings[4].span.column) == (11, 5)
    assert parse_port(find(root, ("ports", 0))).text == "[::]:9500-9501:80/udp"


@pytest.mark.parametrize("first, second, collide", [
    ("", "127.0.0.1", True),
    ("", "::1", True),
    ("0.0.0.0", "127.0.0.1", True),
    ("0.0.0.0", "::1", False),
    ("::", "::1", True),
    ("::", "127.0.0.1", False),
    ("::", "0.0.0.0", False),
    ("127.0.0.1", "127.0.0.2", False),
    ("127.0.0.1", "127.0.0.1", True),
    ("::1", "fe80::1", False),
])
def test_overlapping_addresses(first, second, collide):
    assert overlapping_addresses(first, second) is collide
    assert overlapping_addresses(second, first) is collide


# --------------------------------------------------------------------------- the oracle


ORACLE_PORTS = ["3000", "3000-3002", "8000:8000", "9090-9091:8080-8081", "127.0.0.1:8001:8001",
                "127.0.0.1:5000-5002:5000-5002", "6060:6060/udp", "12400-12500:1240", "[::1]:8080:80",
                "::1:8081:80", "[fe80::1]:9000-9001:90-91/udp", ":7000:70", "127.0.0.1::5432",
                "0.0.0.0:81:80/sctp", "[::]:8443:443", "8082:80/TCP", "8083:83/", "5353:53/Udp"]


@pytest.mark.oracle
@needs_compose
def test_expansion_matches_docker_compose_config(tmp_path):
    binary = compose_binary()
    lines = ["services:", "  a:", "    image: nginx:1.27", "    ports:"] + [f'      - "{p}"' for p in ORACLE_PORTS]
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run([str(binary), "-f", "compose.yaml", "config", "--format", "json"], cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = set()
    for port in json.loads(result.stdout)["services"]["a"]["ports"]:
        published = port.get("published")
        expected.add((port.get("host_ip", ""), published or "", port["target"], port["protocol"]))
    actual = set()
    for text in ORACLE_PORTS:
        binding = short(text)
        assert binding is not None, text
        targets = range(binding.target[0], binding.target[1] + 1)
        if binding.published is None:
            hosts = [""] * len(targets)
        elif binding.fixed:
            hosts = [str(port) for port in binding.host_ports()]
        else:  # Docker picks one port of the range: Compose keeps the range as written
            low, high = binding.published
            hosts = [f"{low}-{high}" if high != low else str(low)]
        for host, target in zip(hosts, targets):
            actual.add((binding.host_ip, host, target, binding.protocol))
    assert actual == expected


@pytest.mark.oracle
@needs_compose
def test_merged_files_keep_one_port_per_binding_as_compose_does(tmp_path):
    """`80/TCP` in one file and `80/tcp` in the override were two bindings, and CL308 said the service took its
    own port twice."""
    from composelint.assembly.project import build_project
    from composelint.config import load_config
    from helpers import lint_lines, write_tree

    write_tree(tmp_path, {
        "compose.yaml": ('services:\n  web:\n    image: nginx:1.27\n    ports:\n      - "80/TCP"\n'
                         '      - "8080:80/tcp"\n      - "127.0.0.1:9000:9000/UDP"\n'),
        "compose.override.yaml": ('services:\n  web:\n    ports:\n      - "80/tcp"\n      - "8080:80/TCP"\n'
                                  '      - target: 9000\n        published: "9000"\n        host_ip: 127.0.0.1\n'
                                  '        protocol: udp\n')})
    result = subprocess.run([str(compose_binary()), "-f", "compose.yaml", "-f", "compose.override.yaml", "config",
                             "--format", "json"], cwd=tmp_path, env={"PATH": "/usr/bin:/bin"}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    expected = sorted((port.get("host_ip", ""), port.get("published", ""), port["target"], port["protocol"])
                      for port in json.loads(result.stdout)["services"]["web"]["ports"])
    project = build_project(tmp_path, load_config(tmp_path))
    (deployment,) = [d for d in project.deployments if len(d.files) == 2]
    ours = sorted((b.host_ip, "" if b.published is None else str(b.published[0]), b.target[0], b.protocol)
                  for b in parse_ports(deployment.services["web"].get("ports")))
    assert ours == expected
    assert lint_lines(tmp_path, select=("CL308",)) == []


# One reading of a port number or range (parsers.ports.port_range) for the schema check and the port
# analysis, where each had its own: the analysis refused `000000000080` (over 11 characters) and took
# `٨٠:80` and ` 8080:80`; the schema check refused 13 digits or more. Compose decides (each failed before).
EDGE_PORTS = ["0080", "000000000080", "0000000000080", "00000000000000080:80", "\u0668\u0660:80", "80:\u0668\u0660",
              " 8080:80", "8080 :80", "8080:80 ", "0:80", "80-79:80", "65536:80", "65535:80", "1-2:3-4"]


def test_port_numbers_are_read_as_compose_reads_them():
    from composelint.parsers.schema_formats import _port_problem

    accepted = {"0080", "000000000080", "0000000000080", "00000000000000080:80", "0:80", "65535:80", "1-2:3-4"}
    for text in EDGE_PORTS:
        assert (short(text) is not None) == (text in accepted), text
        assert (_port_problem(text) is None) == (text in accepted), text
    assert short("000000000080").target == (80, 80)


@pytest.mark.oracle
@needs_compose
@pytest.mark.parametrize("text", EDGE_PORTS)
def test_port_numbers_are_accepted_where_docker_compose_config_accepts_them(tmp_path, text):
    from composelint.parsers.schema_formats import _port_problem

    (tmp_path / "compose.yaml").write_text(f"services:\n  a:\n    image: nginx:1.27\n    ports:\n      - {json.dumps(text)}\n",
                                           encoding="utf-8")
    result = subprocess.run([str(compose_binary()), "-f", "compose.yaml", "config", "--format", "json"], cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    assert (short(text) is not None) == (result.returncode == 0) == (_port_problem(text) is None), result.stderr


def test_expose_reads_port_numbers_as_docker_does(tmp_path):
    """CL412 read `\\d+` with int(): `EXPOSE ٨٠` passed (Docker refuses it), and a 5,000-digit port ended the rule
    with an internal error (int() of over 4,300 digits raises)."""
    from helpers import lint_lines, write_tree

    write_tree(tmp_path, {".composelint.yaml": "root: true\n", "Dockerfile": (
        "FROM nginx:1.27\nEXPOSE " + "1" * 5000 + "\nEXPOSE \u0668\u0660\nEXPOSE 0080\nEXPOSE 90-80\n")})
    lines = lint_lines(tmp_path, ("CL412",))
    assert [line.split(": CL412")[0] for line in lines] == ["Dockerfile:2:8", "Dockerfile:3:8", "Dockerfile:5:8"]
    assert "is not a port" in lines[0] and "is not a port" in lines[1]
    assert "ends before it starts" in lines[2]
