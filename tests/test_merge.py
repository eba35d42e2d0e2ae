"""Merging compose files as Docker Compose does: merge rules, unicity, include, extends.

The rules are also checked end to end against the real `docker compose config` in
tests/test_oracle_compose.py; these tests pin each rule on its own, with positions.
"""

from __future__ import annotations

import pytest
from helpers import write_tree

from composelint.assembly.deployments import undeployed_files
from composelint.assembly.merge import merge_files_roots, merge_mappings
from composelint.assembly.unicity import port_identity
from composelint.assembly.project import build_project
from composelint.config import Config
from composelint.parsers.ports import parse_port_spec
from composelint.parsers.yaml_loader import load_yaml
from composelint.yamltree import YMap, plain


def root_of(text: str, path: str = "compose.yaml") -> YMap:
    document = load_yaml(text, path)
    assert not document.problems, document.problems
    return document.root


def merged(base: str, override: str) -> dict:
    result = merge_files_roots(merge_files_roots(None, root_of(base, "a.yaml")), root_of(override, "b.yaml"))
    return plain(result)


def service(base: str, override: str, name: str = "s") -> dict:
    return merged("services:\n  s:\n" + _indent(base), "services:\n  s:\n" + _indent(override))["services"][name]


def _indent(text: str) -> str:
    return "".join(f"    {line}\n" for line in text.strip("\n").split("\n"))


# ----------------------------------------------------------------------------- merge rules


def test_command_entrypoint_and_healthcheck_test_are_replaced_not_appended():
    result = service("command: [a, b]\nentrypoint: [x]\nhealthcheck:\n  test: [CMD, a]\n  interval: 5s",
                     "command: [c]\nentrypoint: [y, z]\nhealthcheck:\n  test: [CMD, b]")
    assert result["command"] == ["c"]
    assert result["entrypoint"] == ["y", "z"]
    assert result["healthcheck"] == {"test": ["CMD", "b"], "interval": "5s"}


def test_a_null_override_keeps_the_value_except_for_replaced_attributes():
    result = service("image: a\ncommand: [x]\nrestart: always", "image:\ncommand: null")
    assert result["image"] == "a" and result["restart"] == "always"
    assert result["command"] is None


def test_environment_merges_by_key_across_list_and_mapping_syntax():
    result = service("environment:\n  - A=1\n  - B=base\n  - C", "environment:\n  B: override\n  D: '4'")
    assert result["environment"] == {"A": "1", "B": "override", "C": None, "D": "4"}
    result = service("environment:\n  A: '1'", "environment:\n  - A=2\n  - E=5")
    assert result["environment"] == {"A": "2", "E": "5"}


def test_the_merged_environment_value_points_at_the_file_that_wrote_it():
    base = root_of("services:\n  s:\n    environment:\n      - A=1\n      - B=2\n", "a.yaml")
    over = root_of("services:\n  s:\n    environment:\n      B: '3'\n", "b.yaml")
    env = merge_files_roots(merge_files_roots(None, base), over).get("services").get("s").get("environment")
    assert env.entries["A"].value.span.path == "a.yaml"
    assert env.entries["B"].value.span.path == "b.yaml" and env.entries["B"].value.span.line == 4


def test_labels_annotations_sysctls_and_build_args_merge_by_key():
    result = service("labels: [a=1, b=2]\nbuild:\n  context: .\n  args: [V=1]\nsysctls: {x: '1'}",
                     "labels: {b: '3'}\nbuild:\n  args:\n    V: '2'\n    W: '3'\nsysctls: [y=2]")
    assert result["labels"] == {"a": "1", "b": "3"}
    assert result["build"] == {"context": ".", "args": {"V": "2", "W": "3"}}
    assert result["sysctls"] == {"x": "1", "y": "2"}


def test_build_string_merges_as_a_context():
    assert service("build: ./app", "build:\n  dockerfile: Dockerfile.dev")["build"] == {
        "context": "./app", "dockerfile": "Dockerfile.dev"}
    assert service("build:\n  context: ./a\n  target: prod", "build: ./b")["build"] == {
        "context": "./b", "target": "prod"}


def test_ports_append_and_the_same_binding_is_kept_once_in_its_first_place():
    result = service('ports: ["80:80", "443:443"]',
                     'ports:\n  - "8080:8080"\n  - target: 80\n    published: "80"\n    protocol: tcp')
    assert [port if isinstance(port, str) else "long" for port in result["ports"]] == ["long", "443:443", "8080:8080"]


def test_volumes_are_unique_by_container_path_the_later_wins():
    result = service("volumes:\n  - ./a:/data\n  - cache:/cache:ro", "volumes:\n  - type: volume\n"
                     "    source: other\n    target: /data\n  - ./src:/src")
    assert result["volumes"][0] == {"type": "volume", "source": "other", "target": "/data"}
    assert result["volumes"][1:] == ["cache:/cache:ro", "./src:/src"]


def test_secrets_configs_expose_dns_and_profiles_are_unique_by_identity():
    result = service("secrets: [a, b]\nexpose: ['80']\ndns: 8.8.8.8\nprofiles: [x]\ncap_add: [NET_ADMIN]",
                     "secrets:\n  - source: a\n    target: /run/secrets/a\nexpose: ['80', '81']\n"
                     "dns: [8.8.8.8, 1.1.1.1]\nprofiles: [x, y]\ncap_add: [NET_ADMIN, SYS_TIME]")
    assert result["secrets"] == [{"source": "a", "target": "/run/secrets/a"}, "b"]
    assert result["expose"] == ["80", "81"]
    assert result["dns"] == ["8.8.8.8", "1.1.1.1"]
    assert result["profiles"] == ["x", "y"]
    assert result["cap_add"] == ["NET_ADMIN", "SYS_TIME"]


def test_depends_on_list_and_mapping_merge_by_service():
    result = service("depends_on: [db, cache]", "depends_on:\n  db:\n    condition: service_healthy")
    assert result["depends_on"] == {"db": {"condition": "service_healthy", "required": True},
                                    "cache": {"condition": "service_started", "required": True}}


def test_service_networks_merge_by_name():
    result = service("networks: [front, back]", "networks:\n  back:\n    aliases: [api]")
    assert result["networks"] == {"front": None, "back": {"aliases": ["api"]}}


def test_logging_is_replaced_when_the_driver_changes():
    assert service("logging:\n  driver: json-file\n  options: {max-size: 10m}", "logging:\n  driver: syslog")[
        "logging"] == {"driver": "syslog"}
    assert service("logging:\n  driver: json-file\n  options: {max-size: 10m}",
                   "logging:\n  options: {max-file: '3'}")["logging"] == {
        "driver": "json-file", "options": {"max-size": "10m", "max-file": "3"}}


def test_ulimits_entries_are_replaced_whole():
    result = service("ulimits:\n  nofile: {soft: 1, hard: 2}\n  nproc: 10", "ulimits:\n  nofile: {soft: 3, hard: 4}")
    assert result["ulimits"] == {"nofile": {"soft": 3, "hard": 4}, "nproc": 10}


def test_extra_hosts_append_without_duplicates():
    result = service('extra_hosts: ["a:1.1.1.1"]', "extra_hosts:\n  a: 1.1.1.1\n  b: 2.2.2.2")
    assert result["extra_hosts"] == ["a:1.1.1.1", "a=1.1.1.1", "b=2.2.2.2"]


def test_reset_removes_and_override_replaces():
    result = service("ports: ['80:80']\nvolumes: ['./a:/a']\nimage: x",
                     "ports: !reset []\nvolumes: !override ['./b:/b']")
    assert "ports" not in result and result["volumes"] == ["./b:/b"] and result["image"] == "x"


def test_a_reset_inside_environment_keeps_the_earlier_value_as_compose_does():
    result = service("environment:\n  A: '1'\n  B: '2'", "environment:\n  A: !reset null\n  C: '3'")
    assert result["environment"] == {"A": "1", "B": "2", "C": "3"}


def test_top_level_resources_merge_and_services_of_both_files_are_kept():
    result = merged("services:\n  a:\n    image: x\nvolumes:\n  data: {}\n",
                    "services:\n  b:\n    image: y\nvolumes:\n  logs: {}\nname: other\n")
    assert sorted(result["services"]) == ["a", "b"] and sorted(result["volumes"]) == ["data", "logs"]
    assert result["name"] == "other"


def test_unicity_applies_within_the_first_file_too():
    first = merge_files_roots(None, root_of("services:\n  s:\n    ports: ['80:80', '80:80']\n"))
    assert plain(first)["services"]["s"]["ports"] == ["80:80"]


def test_untouched_services_keep_their_nodes():
    base = merge_files_roots(None, root_of("services:\n  a:\n    image: x\n  b:\n    image: y\n"))
    result = merge_files_roots(base, root_of("services:\n  b:\n    image: z\n", "b.yaml"))
    assert result.get("services").get("a") is base.get("services").get("a")


@pytest.mark.parametrize("text, expected", [
    ("80", ("", "", "80", "tcp")),
    ("8080:80", ("", "8080", "80", "tcp")),
    ("127.0.0.1:8080:80/udp", ("127.0.0.1", "8080", "80", "udp")),
    ("[::1]:8080:80", ("::1", "8080", "80", "tcp")),
    ("127.0.0.1::80", ("127.0.0.1", "", "80", "tcp")),
    ("::1:8080:80/UDP", ("::1", "8080", "80", "udp")),
    ("80/", ("", "", "80", "tcp")),
])
def test_parse_port(text, expected):
    spec = parse_port_spec(text)
    assert (spec.address, spec.published, spec.target, spec.transport) == expected


def test_protocol_case_does_not_make_two_ports():
    """`80/TCP` and `80/tcp` are one binding for Compose: merging two files keeps one."""
    assert port_identity(root_of("p: '8080:80/TCP'").get("p")) == port_identity(root_of("p: '8080:80/tcp'").get("p"))
    assert port_identity(root_of("p: {target: 53, protocol: UDP}").get("p")) == \
        port_identity(root_of("p: '53/udp'").get("p"))


def test_short_and_long_port_syntax_have_the_same_identity():
    short = root_of("p: '8080:80'").get("p")
    long = root_of("p: {target: 80, published: '8080', protocol: tcp}").get("p")
    assert port_identity(short) == port_identity(long)


def test_merge_mappings_keeps_the_first_key_span():
    base = root_of("services:\n  web:\n    image: a\n", "a.yaml")
    over = root_of("\n\nservices:\n  web:\n    image: b\n", "b.yaml")
    result = merge_mappings(base, over)
    assert result.get("services").key_span("web").path == "a.yaml"
    assert result.get("services").get("web").get("image").span.path == "b.yaml"


# ----------------------------------------------------------------------------- include and extends


def project(tmp_path, files):
    write_tree(tmp_path, {".composelint.yaml": "", **files})
    return build_project(tmp_path, Config())


def problems(built, code="CL008"):
    return [(str(p.span), p.message) for p in built.problems if p.code == code]


def test_nested_include_resolves_paths_against_each_included_files_directory(tmp_path):
    built = project(tmp_path, {
        "compose.yaml": "include:\n  - infra/a/compose.yaml\nservices:\n  app:\n    image: x\n",
        "infra/a/compose.yaml": "include:\n  - ../b/compose.yaml\nservices:\n  a:\n    build: ./img\n",
        "infra/b/compose.yaml": "services:\n  b:\n    image: y\n    env_file: b.env\n",
        "infra/b/b.env": "B=1\n", "infra/a/img/Dockerfile": "FROM alpine:3.20\n"})
    deployment = next(d for d in built.deployments if d.files == ("compose.yaml",))
    assert sorted(deployment.services) == ["a", "app", "b"]
    assert deployment.included == ("infra/a/compose.yaml", "infra/b/compose.yaml")
    assert deployment.services["a"].build.context_path == "infra/a/img"
    assert deployment.services["a"].dockerfile is not None
    assert deployment.services["b"].file == "infra/b/compose.yaml"
    assert ("compose.yaml", "infra/a/compose.yaml", "include") in deployment.edges
    assert problems(built) == []
    # the included files are part of that deployment, not deployments of their own
    assert [d.files for d in built.deployments] == [("compose.yaml",)]
    assert undeployed_files(built) == ()


def test_include_interpolates_with_its_own_env_but_the_outer_values_win(tmp_path):
    built = project(tmp_path, {
        ".env": "SHARED=outer\n",
        "compose.yaml": "include:\n  - sub/compose.yaml\nservices:\n  app:\n    image: x\n",
        "sub/.env": "SHARED=inner\nOWN=inner\n",
        "sub/compose.yaml": "services:\n  s:\n    image: 'img:${SHARED}-${OWN}'\n"})
    deployment = built.deployments[0]
    assert deployment.services["s"].image.value == "img:outer-inner"


def test_include_env_file_and_project_directory(tmp_path):
    built = project(tmp_path, {
        "compose.yaml": ("include:\n  - path: lib/compose.yaml\n    project_directory: lib/root\n"
                         "    env_file: lib/vars.env\nservices:\n  app:\n    image: x\n"),
        "lib/vars.env": "TAG=7\n",
        "lib/compose.yaml": "services:\n  s:\n    image: 'img:${TAG}'\n    build: ./ctx\n"})
    deployment = built.deployments[0]
    assert deployment.services["s"].image.value == "img:7"
    assert deployment.services["s"].build.context_path == "lib/root/ctx"


def test_include_cycle_is_a_diagnostic_not_a_recursion_error(tmp_path):
    built = project(tmp_path, {
        "compose.yaml": "include:\n  - a.yaml\nservices:\n  app:\n    image: x\n",
        "a.yaml": "include:\n  - b.yaml\nservices:\n  a:\n    image: x\n",
        "b.yaml": "include:\n  - a.yaml\nservices:\n  b:\n    image: x\n"})
    message = "include cycle: `a.yaml -> b.yaml -> a.yaml`; Compose refuses to load the deployment"
    assert problems(built) == [("a.yaml:2:5", message), ("b.yaml:2:5", message)]  # each entry on the cycle
    assert sorted(built.deployments[0].services) == ["a", "app", "b"]


def test_a_deep_include_chain_stops_with_a_diagnostic(tmp_path):
    files = {"compose.yaml": "include:\n  - f0.yaml\nservices:\n  app:\n    image: x\n"}
    for index in range(80):
        files[f"f{index}.yaml"] = f"include:\n  - f{index + 1}.yaml\nservices:\n  s{index}:\n    image: x\n"
    files["f80.yaml"] = "services:\n  last:\n    image: x\n"
    built = project(tmp_path, files)
    assert any("nests deeper than" in message for _, message in problems(built, "CL007"))


def test_include_that_conflicts_with_a_local_service_is_reported(tmp_path):
    built = project(tmp_path, {
        "compose.yaml": "include:\n  - other.yaml\nservices:\n  db:\n    image: postgres:16\n",
        "other.yaml": "services:\n  db:\n    image: postgres:15\n"})
    assert problems(built, "CL002") == [("compose.yaml:4:3", "service `db` is defined here and in the included "
                                                             "file `other.yaml`: Compose refuses to load the "
                                                             "deployment (`conflicts with imported resource`)")]


def test_extends_across_files_nested_with_paths_relative_to_the_extended_file(tmp_path):
    built = project(tmp_path, {
        "compose.yaml": ("services:\n  web:\n    extends:\n      file: common/base.yaml\n      service: web\n"
                         "    environment:\n      ROLE: web\n  worker:\n    extends: web\n    command: [work]\n"),
        "common/base.yaml": ("services:\n  base:\n    image: python:3.12\n    volumes: ['./shared:/shared']\n"
                             "    environment: [A=1]\n  web:\n    extends: base\n    build: ../app\n"
                             "    command: [serve]\n"),
        "app/Dockerfile": "FROM python:3.12\n"})
    deployment = built.deployments[0]
    web, worker = deployment.services["web"], deployment.services["worker"]
    assert web.build.context_path == "app" and web.command.argv == ("serve",)
    assert {k: v.value for k, v in web.environment.items()} == {"A": "1", "ROLE": "web"}
    assert worker.command.argv == ("work",) and worker.build.context_path == "app"
    assert deployment.base_dir("common/base.yaml") == "common"
    assert deployment.included == ("common/base.yaml",)
    assert web.environment["A"].span.path == "common/base.yaml"
    assert problems(built) == []


def test_extends_cycle_and_missing_base_are_diagnostics(tmp_path):
    built = project(tmp_path, {"compose.yaml": (
        "services:\n  a:\n    image: x\n    extends: b\n  b:\n    extends: a\n  c:\n    extends: nowhere\n"
        "    image: x\n")})
    assert problems(built) == [
        ("compose.yaml:6:14", "`extends` cycle: `a` -> `b` -> `a`; Compose refuses to load the deployment"),
        ("compose.yaml:8:14", "service `c` extends `nowhere`, which `compose.yaml` does not define: Compose "
                              "refuses to load the deployment"),
    ]


def test_a_long_extends_chain_needs_no_recursion(tmp_path):
    lines = ["services:", "  s0:", "    image: x", "    environment: [S0=1]"]
    for index in range(1, 3000):
        lines += [f"  s{index}:", f"    extends: s{index - 1}"]
    built = project(tmp_path, {"compose.yaml": "\n".join(lines) + "\n"})
    last = built.deployments[0].services["s2999"]
    assert last.image.value == "x" and "S0" in last.environment


def test_paths_that_leave_the_root_are_reported_and_never_read(tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text("services:\n  evil:\n    image: x\n")
    root = tmp_path / "repo"
    root.mkdir()
    built = project(root, {"compose.yaml": (
        "include:\n  - ../outside.yaml\nservices:\n  a:\n    image: x\n    extends:\n      file: /etc/passwd\n"
        "      service: root\n    env_file: ../../etc/shadow\n")})
    assert sorted(where for where, _ in problems(built)) == ["compose.yaml:2:5", "compose.yaml:7:13",
                                                             "compose.yaml:9:15"]
    assert "evil" not in built.deployments[0].services
    assert not any(path.startswith("..") or path.startswith("/") for path in built.sources)
