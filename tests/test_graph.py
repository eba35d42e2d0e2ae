"""The deployment graph (composelint/graph/), its rules CL101-CL107 on whole scenarios, and `composelint graph`.

Scenarios live in fixtures/graph/<name>/ (each a repository with a `.composelint.yaml` root marker);
outputs are snapshots in tests/snapshots/graph/. COMPOSELINT_UPDATE_SNAPSHOTS=1 rewrites them: read the
diff before committing it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, REPO, lint_lines, write_tree

from composelint.assembly.project import build_project
from composelint.cli import cli
from composelint.config import Config, load_config
from composelint.graph import ORDER_KINDS, graph_of
from composelint.reporters.graph import render_graph
from composelint.suggest import closest_name

SCENARIOS = FIXTURES / "graph"
SNAPSHOTS = REPO / "tests" / "snapshots" / "graph"
GRAPH_CODES = ("CL101", "CL102", "CL103", "CL104", "CL105", "CL106", "CL107")


def project_of(root: Path):
    return build_project(root, load_config(root))


def tree(tmp_path: Path, files: dict[str, str]):
    write_tree(tmp_path, {".composelint.yaml": "# root\n", **files})
    return build_project(tmp_path, load_config(tmp_path))


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("COMPOSELINT_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}: run with COMPOSELINT_UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(encoding="utf-8")


def edges(graph, kinds=None):
    return sorted((ref.kind, ref.source.name, ref.target.name, ref.target.kind, ref.span.line, ref.span.column)
                  for ref in graph.references(kinds))


# --------------------------------------------------------------------------- the incident


def test_incident_reports_the_undeployed_infrastructure_and_the_misspelt_dependency():
    lines = lint_lines(FIXTURES / "incident", select=GRAPH_CODES)
    cl102 = [line for line in lines if " CL102 " in line]
    for service, line in (("consul", 3), ("kong", 9), ("rabbitmq", 17)):
        (found,) = [text for text in cl102 if f"service '{service}'" in text]
        assert found.startswith(f"docker-compose.infrastructure.yml:{line}:3: CL102 error: ")
        assert "`agent-planner`, `agent-reporter` and `agent-scanner` need it" in found
    cl101 = [line for line in lines if " CL101 " in line]
    assert cl101 == ["docker-compose.yml:18:9: CL101 error: service 'agent-scanner' depends on `redis-cache`, but no "
                     "compose file defines it: Compose refuses to start the project"]


def test_incident_help_points_at_the_makefile_call():
    from helpers import lint

    result = lint(FIXTURES / "incident", select=("CL102", "CL101"))
    consul = next(d for d in result.diagnostics if d.subject == "service 'consul'")
    assert "add `-f docker-compose.infrastructure.yml` to the `docker compose` call at Makefile:" in consul.help
    assert [r.span.line for r in consul.related] == [7]
    assert "'agent-planner', 'agent-reporter' and 'agent-scanner' address `consul` in `CONSUL_HTTP_ADDR`" \
        in consul.related[0].message
    redis = next(d for d in result.diagnostics if d.code == "CL101")
    assert redis.help.startswith("did you mean `redis`?")
    assert redis.related[0].span.line == 52


# --------------------------------------------------------------------------- scenarios, rule by rule


@pytest.mark.parametrize("scenario", ["platform", "clean", "defaults", "realistic"])
def test_scenario_findings(scenario):
    lines = lint_lines(SCENARIOS / scenario, select=GRAPH_CODES)
    check_snapshot(f"{scenario}.txt", "".join(line + "\n" for line in lines))


def test_clean_scenario_is_silent():
    assert lint_lines(SCENARIOS / "clean", select=GRAPH_CODES) == []


def test_realistic_patterns_are_silent_but_seen():
    """Kafka listeners, Traefik flags, bind addresses, served names, image tags: no finding; real references found."""
    assert lint_lines(SCENARIOS / "realistic", select=GRAPH_CODES) == []
    found = {(source, target) for _, source, target, *_ in edges(graph_of(project_of(SCENARIOS / "realistic")),
                                                                  ("host",))}
    assert found == {("app", "db"), ("app", "redis"), ("dashboard", "vpn"), ("kafka", "zookeeper"),
                     ("phpmyadmin", "db"), ("wordpress", "db"), ("worker", "redis")}


def test_platform_scenario_has_one_finding_of_every_kind():
    lines = lint_lines(SCENARIOS / "platform", select=GRAPH_CODES)
    codes = sorted({line.split(" ")[1] for line in lines})
    assert codes == list(GRAPH_CODES)


def test_platform_graph_structure():
    graph = graph_of(project_of(SCENARIOS / "platform"))
    (scope,) = graph.deployment_scopes()
    name = scope.name
    assert name == "compose.yaml + compose.prod.yaml"
    assert scope.files[:2] == ("compose.yaml", "compose.prod.yaml")
    kinds = {node.id: node.kind for node in graph.nodes()}
    assert kinds[f"{name}/api"] == "service"
    assert kinds[f"{name}/?dbs"] == "undefined"
    assert kinds["undeployed:compose.observability.yaml/otel-collector"] == "undeployed"
    assert kinds["undeployed:compose.observability.yaml/grafana"] == "undeployed"
    found = edges(graph, ("depends_on", "host"))
    assert ("depends_on", "migrate", "dbs", "undefined", 12, 18) in found
    assert ("depends_on", "gateway", "api", "service", 14, 7) in found
    assert ("host", "gateway", "api", "service", 11, 28) in found
    assert ("host", "api", "db", "service", 22, 43) in found  # DATABASE_URL
    assert ("host", "api", "db", "service", 25, 31) in found  # wait-for-it db:5432
    assert ("host", "worker", "queue", "service", 51, 40) in found  # via `hostname: rabbitmq`
    assert ("host", "worker", "cache", "service", 52, 19) in found  # via the network alias `redis`
    assert ("host", "api", "opensearch", "undefined", 24, 20) in found
    assert ("host", "gateway", "otel-collector", "undeployed", 4, 39) in found
    assert not any(target == "mainframe" for _, _, target, *_ in found)  # known-hosts
    assert not any(target == "localhost" for _, _, target, *_ in found)  # external
    (otel,) = [item for item in graph.undeployed_services() if item.node.name == "otel-collector"]
    assert sorted(ref.source.name for ref in otel.needers) == ["api", "gateway"]
    (grafana,) = [item for item in graph.undeployed_services() if item.node.name == "grafana"]
    assert grafana.needers == ()
    api = graph.service_node(name, "api")
    assert sorted(ref.source.name for ref in graph.dependents_of(api, ("depends_on",))) == ["gateway"]


def test_references_carry_condition_and_required(tmp_path):
    project = tree(tmp_path, {"compose.yaml": (
        "services:\n  a:\n    image: x:1\n    depends_on:\n      b: {condition: service_healthy, required: false}\n"
        "      c:\n        condition: service_completed_successfully\n  b:\n    image: x:1\n  c:\n    image: x:1\n")})
    refs = {ref.target.name: ref for ref in graph_of(project).references(("depends_on",))}
    assert (refs["b"].condition, refs["b"].required) == ("service_healthy", False)
    assert refs["b"].label == "depends_on (healthy, optional)"
    assert refs["c"].condition == "service_completed_successfully"
    assert (refs["c"].condition_span.line, refs["c"].condition_span.column) == (7, 20)


def test_every_reference_kind_is_an_edge(tmp_path):
    project = tree(tmp_path, {"compose.yaml": (
        "services:\n"
        "  a:\n    image: x:1\n    links: ['b:bee']\n    volumes_from: ['c:ro', 'container:ext']\n"
        "    ipc: service:d\n    pid: 'service:d'\n    environment:\n      B_URL: http://bee:80\n"
        "  b:\n    extends: {service: c}\n    network_mode: service:c\n"
        "  c:\n    image: x:1\n  d:\n    image: x:1\n")})
    found = edges(graph_of(project))
    assert found == sorted([
        ("links", "a", "b", "service", 4, 14), ("volumes_from", "a", "c", "service", 5, 21),
        ("ipc", "a", "d", "service", 6, 18), ("pid", "a", "d", "service", 7, 19),
        ("host", "a", "b", "service", 9, 21), ("extends", "b", "c", "service", 11, 24),
        ("network_mode", "b", "c", "service", 12, 27)])
    host = next(graph_of(project).references(("host",)))
    assert host.via == "link"
    assert graph_of(project).start_order("compose.yaml") == [["c", "d"], ["b"], ["a"]]


def test_cycles_self_loops_and_start_order(tmp_path):
    project = tree(tmp_path, {"compose.yaml": (
        "services:\n  a:\n    image: x:1\n    depends_on: [b]\n  b:\n    image: x:1\n    volumes_from: [c]\n"
        "  c:\n    image: x:1\n    depends_on: [a]\n  d:\n    image: x:1\n    depends_on: [d]\n"
        "  e:\n    image: x:1\n")})
    graph = graph_of(project)
    cycles = [[ref.source.name for ref in cycle] for cycle in graph.dependency_cycles()]
    assert cycles == [["a", "b", "c"], ["d"]]
    assert [ref.kind for ref in graph.dependency_cycles()[0]] == ["depends_on", "volumes_from", "depends_on"]
    assert graph.start_order("compose.yaml") is None
    assert lint_lines(tmp_path, select=("CL104",)) == [
        "compose.yaml:4:18: CL104 error: start-order cycle `a` → `b` → `c` → `a`: Compose refuses to start the "
        "project (\"dependency cycle detected\"), so none of these services runs",
        "compose.yaml:13:18: CL104 error: service 'd' depends on itself: Compose refuses to start the project "
        "(\"dependency cycle detected\")"]


def test_cycle_is_reported_once_for_several_deployments(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - [compose.yaml]\n  - [compose.yaml, compose.prod.yaml]\n",
        "compose.yaml": "services:\n  a:\n    image: x:1\n    depends_on: [b]\n  b:\n    image: x:1\n"
                        "    depends_on: [a]\n",
        "compose.prod.yaml": "services:\n  a:\n    restart: always\n"})
    assert len(lint_lines(tmp_path, select=("CL104",))) == 1


def test_dependency_defined_only_by_another_deployment(tmp_path):
    from helpers import lint

    tree(tmp_path, {"a/compose.yaml": "services:\n  web:\n    image: x:1\n    depends_on: [db]\n",
                    "b/compose.yaml": "services:\n  db:\n    image: p:1\n"})
    (finding,) = lint(tmp_path, select=GRAPH_CODES).diagnostics
    assert finding.code == "CL101" and (finding.span.path, finding.span.line, finding.span.column) == (
        "a/compose.yaml", 4, 18)
    assert "only `b/compose.yaml` defines it, and this deployment does not load that file" in finding.message
    assert finding.help == "add `b/compose.yaml` to the deployment (`include:` it, or pass it with `-f`)"


def test_profile_disabled_dependency(tmp_path):
    project = tree(tmp_path, {"compose.yaml": (
        "services:\n  web:\n    image: x:1\n    depends_on: [dbg]\n  opt:\n    image: x:1\n    depends_on:\n"
        "      dbg: {condition: service_started, required: false}\n"
        "  dbg:\n    image: x:1\n    profiles: [debug]\n    depends_on: [ghost]\n")})
    graph = graph_of(project)
    assert [ref.source.name for ref in graph.inactive_dependencies()] == ["web"]
    assert [(ref.source.name, ref.name) for ref in graph.undefined_references()] == [("dbg", "ghost")]
    lines = lint_lines(tmp_path, select=("CL101",))
    assert len(lines) == 2 and "which only the profile `debug` enables" in lines[0]


def test_config_deployment_with_profiles_enables_the_service(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - files: [compose.yaml]\n    profiles: [debug]\n",
        "compose.yaml": "services:\n  web:\n    image: x:1\n    depends_on: [dbg]\n"
                        "  dbg:\n    image: x:1\n    profiles: [debug]\n"})
    assert lint_lines(tmp_path, select=GRAPH_CODES) == []


# --------------------------------------------------------------------------- CL102 details


def test_undeployed_file_named_by_an_unresolved_argument_is_not_reported(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "Makefile": "up:\n\tdocker compose -f compose.yaml -f $(EXTRA_FILE) up -d\n",
        "compose.yaml": "services:\n  web:\n    image: x:1\n    environment:\n      DB_HOST: db\n",
        "docker-compose.db.yml": "services:\n  db:\n    image: p:1\n"})
    assert lint_lines(tmp_path, select=GRAPH_CODES) == []


def test_undeployed_help_for_a_config_deployment(tmp_path):
    from helpers import lint

    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - [compose.yaml]\n",
        "compose.yaml": "services:\n  web:\n    image: x:1\n    depends_on: [db]\n",
        "db.compose.yaml": "services:\n  db:\n    image: p:1\n"})
    (finding,) = lint(tmp_path, select=("CL102",)).diagnostics
    assert finding.severity.label == "error"
    assert finding.help.startswith("deploy it: add `db.compose.yaml` to the deployment's `files` in the "
                                   "configuration at .composelint.yaml:2")
    assert finding.related[0].message == "'web' depends on `db` here"


def test_overlay_services_of_an_undeployed_file_are_not_undeployed(tmp_path):
    tree(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: x:1\n",
        "compose.staging.yaml": "services:\n  web:\n    restart: always\n  smtp:\n    image: m:1\n",
        "compose.tools.yaml": "services:\n  adminer:\n    image: adminer:4\n"})
    # the staging file layers over compose.yaml (its `web` says nothing of what runs): a fragment, whose
    # services start when the layer is applied; the tools file stands alone and nothing runs it: info
    assert lint_lines(tmp_path, select=("CL102",)) == [
        "compose.tools.yaml:2:3: CL102 info: service 'adminer' is defined only in `compose.tools.yaml`, which "
        "no deployment runs: it never starts"]


def test_a_name_an_unrelated_deployment_defines_does_not_hide_an_undeployed_service(tmp_path):
    tree(tmp_path, {
        "app/compose.yaml": "services:\n  api:\n    image: a:1\n    environment:\n      CACHE: redis://redis:6379\n"
                            "    depends_on: [queue]\n",
        "app/compose.infra.yaml": "services:\n  redis:\n    image: redis:7.2\n  queue:\n    image: rabbitmq:3.13\n",
        "other/compose.yaml": "services:\n  redis:\n    image: redis:7.2\n  queue:\n    image: rabbitmq:3.13\n"})
    assert lint_lines(tmp_path, select=("CL101", "CL102", "CL103")) == [
        "app/compose.infra.yaml:2:3: CL102 error: service 'redis' is defined only in `app/compose.infra.yaml`, which "
        "no deployment runs, but `api` needs it: nothing starts it, so `api` cannot reach it",
        "app/compose.infra.yaml:4:3: CL102 error: service 'queue' is defined only in `app/compose.infra.yaml`, which "
        "no deployment runs, but `api` needs it: nothing starts it, so `api` cannot reach it"]


def test_include_and_extends_file_deploy_their_files(tmp_path):
    tree(tmp_path, {
        "compose.yaml": "include:\n  - path: [infra/db.yaml]\nservices:\n  web:\n    extends:\n"
                        "      file: base/common.yaml\n      service: base\n    depends_on: [db]\n",
        "infra/db.yaml": "services:\n  db:\n    image: p:1\n",
        "base/common.yaml": "services:\n  base:\n    image: x:1\n"})
    assert lint_lines(tmp_path, select=GRAPH_CODES) == []


# --------------------------------------------------------------------------- CL103 / CL107 details


def test_host_resolution_sources(tmp_path):
    tree(tmp_path, {".composelint.yaml": "known-hosts: [vault]\n", "compose.yaml": (
        "services:\n  app:\n    image: x:1\n    extra_hosts: ['legacy:10.0.0.9', 'other=10.0.0.8']\n"
        "    external_links: ['shared-db:sdb']\n"
        "    environment:\n      A: http://legacy:80\n      B: http://other:80\n      C: http://sdb:5432\n"
        "      D: http://vault:8200\n      E: http://box:80\n      F: http://search:80\n"
        "    depends_on: [named, searcher]\n"
        "  named:\n    image: x:1\n    container_name: box\n"
        "  searcher:\n    image: x:1\n    networks:\n      default:\n        aliases: [search]\n")})
    assert lint_lines(tmp_path, select=("CL103", "CL107")) == []


def test_unresolved_host_suggests_the_closest_service(tmp_path):
    from helpers import lint

    tree(tmp_path, {"compose.yaml": "services:\n  app:\n    image: x:1\n    environment:\n"
                                    "      REDIS_URL: redis://reddis:6379\n    depends_on: [redis]\n"
                                    "  redis:\n    image: r:1\n"})
    (finding,) = lint(tmp_path, select=("CL103",)).diagnostics
    assert (finding.span.line, finding.span.column, finding.span.end_column) == (5, 26, 32)
    assert finding.help.startswith("did you mean `redis`?")


@pytest.mark.parametrize("extra", [
    "    network_mode: host\n",
    "    networks: [shared]\nnetworks:\n  shared:\n    external: true\n",
])
def test_unresolved_host_is_lenient_where_names_come_from_elsewhere(tmp_path, extra):
    tree(tmp_path, {"compose.yaml": "services:\n  app:\n    image: x:1\n    environment:\n"
                                    "      API_URL: http://api:80\n" + extra})
    assert lint_lines(tmp_path, select=("CL103",)) == []


def test_anchored_reference_is_reported_once_for_its_services(tmp_path):
    from helpers import lint

    tree(tmp_path, {"compose.yaml": "x-env: &env\n  CACHE_URL: redis://cache:6379\nservices:\n"
                                    "  a:\n    image: x:1\n    environment: *env\n"
                                    "  b:\n    image: x:1\n    environment: *env\n"})
    (finding,) = lint(tmp_path, select=("CL103",)).diagnostics
    assert (finding.span.line, finding.span.column) == (2, 22)
    assert "shared by 2 services" in finding.message


def test_unordered_dependency_is_satisfied_transitively_and_not_against_a_reverse_dependency(tmp_path):
    tree(tmp_path, {"compose.yaml": (
        "services:\n  web:\n    image: x:1\n    environment:\n      DB_HOST: db\n    depends_on: [api]\n"
        "  api:\n    image: x:1\n    depends_on: [db]\n"
        "  db:\n    image: x:1\n    environment:\n      WEB_URL: http://web:80\n"
        "  metrics:\n    image: x:1\n    environment:\n      API_ADDR: api:8080\n")})
    assert lint_lines(tmp_path, select=("CL107",)) == [
        "compose.yaml:17:17: CL107 warning: service 'metrics' addresses `api` in `API_ADDR` but has no "
        "`depends_on` on `api`: it may start first, fail to connect and crash-loop"]


# --------------------------------------------------------------------------- CL105 / CL106 details


def test_unhealthy_dependency_sees_the_dockerfile_stage_chain(tmp_path):
    tree(tmp_path, {
        "compose.yaml": "services:\n  a:\n    image: x:1\n    depends_on:\n      b: {condition: service_healthy}\n"
                        "      c: {condition: service_healthy}\n"
                        "  b:\n    build: {context: ./b, target: final}\n  c:\n    build: ./c\n",
        "b/Dockerfile": "FROM python:3.12 AS base\nHEALTHCHECK CMD true\nFROM base AS final\nCMD [\"x\"]\n",
        "c/Dockerfile": "FROM python:3.12\nHEALTHCHECK NONE\n"})
    lines = lint_lines(tmp_path, select=("CL105",))
    assert lines == ["compose.yaml:6:22: CL105 error: service 'a' waits for `c` to be healthy, but `c` disables its "
                     "healthcheck: `docker compose up` stops with \"dependency failed to start: … has no healthcheck "
                     "configured\""]


def test_unhealthy_dependency_option(tmp_path):
    tree(tmp_path, {
        ".composelint.yaml": "rules:\n  CL105:\n    images-with-healthcheck: ['registry.example.com/*']\n",
        "compose.yaml": "services:\n  a:\n    image: x:1\n    depends_on:\n      b: {condition: service_healthy}\n"
                        "  b:\n    image: registry.example.com/db:1\n"})
    assert lint_lines(tmp_path, select=("CL105",)) == []


def test_undefined_resources_across_files_and_includes(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - [compose.yaml, compose.prod.yaml]\n",
        "compose.yaml": "include: [compose.shared.yaml]\nservices:\n  web:\n    image: x:1\n"
                        "    networks: [front, back]\n    volumes:\n      - data:/d\n      - cache:/c\n"
                        "      - ${DATA_DIR:-./d}:/x\n      - 'C:\\dir:/w'\n      - rel/dir:/y\n      - /anon\n",
        "compose.prod.yaml": "networks:\n  front:\n",
        "compose.shared.yaml": "services:\n  shared:\n    image: x:1\nnetworks:\n  back:\nvolumes:\n  data:\n"})
    lines = lint_lines(tmp_path, select=("CL106",))
    assert [line.split(" uses the ")[1].split(",")[0] for line in lines] == ["volume `cache`", "volume `rel/dir`"]


# --------------------------------------------------------------------------- robustness


def test_hostile_shapes_never_raise(tmp_path):
    tree(tmp_path, {"compose.yaml": (
        "services:\n  a:\n    image: x:1\n    depends_on: 5\n    links: [{}, 3, '']\n    volumes_from: {x: 1}\n"
        "    network_mode: 7\n    ipc: 'service:'\n    extends: []\n    networks: 'n'\n"
        "    volumes: [{type: volume}, 1]\n"
        "    secrets: [{}, {source: 2}]\n    environment: [1, '=x', 'A']\n    healthcheck: {test: 5}\n"
        "    extra_hosts: 3\n    command: [[1], {a: b}]\n"
        "  b: 3\n  c:\n    extends: {file: ../../etc/passwd, service: x}\n    hostname: [x]\n")})
    for code in GRAPH_CODES:
        lint_lines(tmp_path, select=(code,))
    for fmt in ("dot", "mermaid", "json"):
        render_graph(graph_of(build_project(tmp_path, Config())), fmt)


def test_a_long_dependency_chain_needs_no_recursion(tmp_path):
    count = 3000
    services = "".join(f"  s{i}:\n    image: x:1\n    depends_on: [s{i + 1}]\n" for i in range(count))
    project = tree(tmp_path, {"compose.yaml": "services:\n" + services + f"  s{count}:\n    image: x:1\n"})
    order = graph_of(project).start_order("compose.yaml")
    assert order[0] == [f"s{count}"] and len(order) == count + 1
    assert graph_of(project).dependency_cycles() == []


def test_closest_name():
    assert closest_name("redis-cache", ["redis", "backend"]) == "redis"
    assert closest_name("postgress", ["postgres", "web"]) == "postgres"
    assert closest_name("db-primary", ["db", "web"]) == "db"
    assert closest_name("zzz", ["redis"]) is None


# --------------------------------------------------------------------------- rendering


def render(scenario: str, fmt: str, *args: str) -> str:
    result = CliRunner().invoke(cli, ["graph", str(SCENARIOS / scenario if scenario != "incident"
                                                  else FIXTURES / "incident"), "--format", fmt, *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("scenario", ["incident", "platform", "defaults"])
@pytest.mark.parametrize("fmt, ext", [("dot", "dot"), ("mermaid", "mmd"), ("json", "json")])
def test_graph_snapshots(scenario, fmt, ext):
    check_snapshot(f"{scenario}.{ext}", render(scenario, fmt))


@pytest.mark.parametrize("scenario", ["incident", "platform", "defaults", "clean", "realistic"])
def test_dot_output_parses_and_matches_the_json(scenario):
    dot = parse_dot(render(scenario, "dot"))
    data = json.loads(render(scenario, "json"))
    assert dot["name"] == "composelint" and dot["directed"]
    assert sorted(dot["nodes"]) == sorted(node["id"] for node in data["nodes"])
    assert sorted(dot["edges"]) == sorted((edge["source"], edge["target"]) for edge in data["edges"])
    missing = {node["id"] for node in data["nodes"] if node["kind"] in ("undefined", "undeployed")}
    for node_id, attrs in dot["nodes"].items():
        assert (attrs.get("color") == "red" and "dashed" in attrs.get("style", "")) == (node_id in missing)


@pytest.mark.parametrize("scenario", ["incident", "platform", "defaults", "clean", "realistic"])
def test_mermaid_output_is_well_formed(scenario):
    text = render(scenario, "mermaid")
    data = json.loads(render(scenario, "json"))
    check_mermaid(text, data)


def test_graph_of_one_deployment_and_unknown_deployment():
    text = render("defaults", "json", "--deployment", "shop/compose.yaml")
    data = json.loads(text)
    assert [d["name"] for d in data["deployments"]] == ["shop/compose.yaml"]
    assert {node["name"] for node in data["nodes"]} == {"shop", "db", "blog"}
    result = CliRunner().invoke(cli, ["graph", str(SCENARIOS / "defaults"), "--deployment", "nope"])
    assert result.exit_code == 2
    assert "no deployment is named `nope`" in result.output


def test_graph_defaults_to_mermaid_and_writes_a_file(tmp_path):
    out = tmp_path / "graph.mmd"
    result = CliRunner().invoke(cli, ["graph", str(SCENARIOS / "defaults"), "-o", str(out)])
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text(encoding="utf-8") == render("defaults", "mermaid")


def test_graph_json_lists_start_order_and_locations():
    data = json.loads(render("platform", "json"))
    (deployment,) = data["deployments"]
    assert deployment["source"] == "automation"
    assert deployment["start_order"] is None  # worker <-> scheduler
    dbs = next(node for node in data["nodes"] if node["name"] == "dbs")
    assert dbs["kind"] == "undefined" and dbs["location"] is None
    edge = next(edge for edge in data["edges"] if edge["name"] == "dbs")
    assert edge["location"] == {"path": "compose.prod.yaml", "line": 12, "column": 18, "end_line": 12,
                                "end_column": 21}
    secrets = [edge["address"] for edge in data["edges"] if edge.get("address")]
    assert not any("secret" in address for address in secrets)  # credentials are never drawn


# --------------------------------------------------------------------------- a DOT grammar, for the test

_DOT_TOKEN = re.compile(r'\s*(?:(?P<arrow>->|--)|(?P<punct>[{}\[\];,=:])|(?P<id>[A-Za-z_\x80-\uffff][\w\x80-\uffff]*'
                        r'|-?(?:\.\d+|\d+(?:\.\d*)?))|(?P<string>"(?:[^"\\]|\\.)*")|(?P<comment>//[^\n]*|#[^\n]*))',
                        re.DOTALL)


def _dot_tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _DOT_TOKEN.match(text, position)
        assert match and match.end() > position, f"DOT: unexpected text at {position}: {text[position:position + 30]!r}"
        position = match.end()
        kind = match.lastgroup
        if kind == "comment":
            continue
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value[1:-1])
        tokens.append((kind, value))
    return tokens


def parse_dot(text: str) -> dict:
    """A strict parser of the DOT language (graph, subgraph, node, edge and attribute statements)."""
    tokens = _dot_tokens(text)
    index = 0
    nodes: dict[str, dict] = {}
    edge_list: list[tuple[str, str]] = []

    def peek(offset=0):
        return tokens[index + offset] if index + offset < len(tokens) else ("eof", "")

    def take(kind=None, value=None):
        nonlocal index
        token = peek()
        assert (kind is None or token[0] == kind) and (value is None or token[1] == value), \
            f"DOT: expected {value or kind}, got {token}"
        index += 1
        return token[1]

    def identifier():
        assert peek()[0] in ("id", "string"), f"DOT: expected an ID, got {peek()}"
        return take()

    def attributes():
        attrs = {}
        while peek() == ("punct", "["):
            take("punct", "[")
            while peek() != ("punct", "]"):
                key = identifier()
                take("punct", "=")
                attrs[key] = identifier()
                if peek()[1] in (",", ";"):
                    take()
            take("punct", "]")
        return attrs

    def statements():
        while peek() != ("punct", "}"):
            statement()
            if peek() == ("punct", ";"):
                take()

    def statement():
        token = peek()
        if token[0] == "id" and token[1].lower() in ("graph", "node", "edge"):
            take()
            attributes()
            return
        if token[0] == "id" and token[1].lower() == "subgraph":
            take()
            if peek()[0] in ("id", "string"):
                identifier()
            take("punct", "{")
            statements()
            take("punct", "}")
            return
        if peek(1) == ("punct", "="):
            identifier()
            take("punct", "=")
            identifier()
            return
        first = identifier()
        if peek()[0] == "arrow":
            chain = [first]
            while peek()[0] == "arrow":
                assert take("arrow") == "->", "DOT: a digraph uses ->"
                chain.append(identifier())
            attributes()
            for source, target in zip(chain, chain[1:]):
                nodes.setdefault(source, {})
                nodes.setdefault(target, {})
                edge_list.append((source, target))
            return
        nodes.setdefault(first, {}).update(attributes())

    strict = peek()[1].lower() == "strict"
    if strict:
        take()
    kind = take("id").lower()
    assert kind in ("graph", "digraph")
    name = identifier() if peek()[0] in ("id", "string") else None
    take("punct", "{")
    statements()
    take("punct", "}")
    assert index == len(tokens), "DOT: text after the closing brace"
    return {"name": name, "directed": kind == "digraph", "nodes": nodes, "edges": edge_list}


def test_the_dot_parser_rejects_broken_dot():
    parse_dot('digraph g { a -> b [label="x"]; subgraph cluster_0 { c; } }')
    for broken in ('digraph g { a -> b [label="x"; }', 'digraph g { a -> }', "digraph g { a -> b }}",
                   'digraph g { "a -> b }'):
        with pytest.raises(AssertionError):
            parse_dot(broken)


_MERMAID_LINES = [
    re.compile(r'^flowchart LR$'),
    re.compile(r'^  subgraph (?P<group>d\d+)\["[^"]*"\]$'),
    re.compile(r'^  end$'),
    re.compile(r'^ +(?P<node>n\d+)(?:\["[^"]*"\]|\{\{"[^"]*"\}\})(?::::(?:undefined|undeployed|template|inactive))?$'),
    re.compile(r'^  (?P<source>n\d+) (?:-->|-\.->)\|"[^"|]*"\| (?P<target>n\d+)$'),
    re.compile(r'^  classDef \w+ [\w#:,.\- ]+$'),
    re.compile(r'^  linkStyle [\d,]+ [\w#:,.\- ]+$'),
]


def check_mermaid(text: str, data: dict) -> None:
    defined, linked, depth, link_count = set(), [], 0, 0
    for line in text.rstrip("\n").split("\n"):
        match = next((m for m in (p.match(line) for p in _MERMAID_LINES) if m), None)
        assert match is not None, f"Mermaid: unexpected line {line!r}"
        groups = match.groupdict()
        if groups.get("group"):
            depth += 1
        elif line == "  end":
            depth -= 1
            assert depth >= 0
        elif groups.get("node"):
            defined.add(groups["node"])
        elif groups.get("source"):
            linked.append((groups["source"], groups["target"]))
            link_count += 1
        elif line.startswith("  linkStyle"):
            assert all(int(i) < link_count for i in line.split()[1].split(","))
    assert depth == 0
    assert defined == {node["id"] for node in data["nodes"]}
    assert sorted(linked) == sorted((edge["source"], edge["target"]) for edge in data["edges"])
    missing = {node["id"] for node in data["nodes"] if node["kind"] in ("undefined", "undeployed")}
    marked = {line.split("[")[0].split("{")[0].strip() for line in text.split("\n")
              if line.endswith((":::undefined", ":::undeployed"))}
    assert marked == missing


def test_order_kinds_are_what_compose_orders_by():
    assert ORDER_KINDS == {"depends_on", "links", "network_mode", "volumes_from", "ipc", "pid"}
