"""Service-configuration rules CL301-CL309 on options, shared anchors and secrets.

Their scenario trees (``fixtures/rules/CL30x-<scenario>/``) run in test_rule_scenarios.py.
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, lint, lint_lines, write_tree

from composelint.cli import cli

def invoke(*args):
    return CliRunner().invoke(cli, list(args))


# --------------------------------------------------------------------------- the incident


def test_incident_every_planted_service_has_cl301_and_cl302():
    result = lint(FIXTURES / "incident", select=("CL301", "CL302"))
    services = ("agent-scanner", "agent-reporter", "agent-planner", "backend", "frontend", "redis")
    for code in ("CL301", "CL302"):
        found = [d for d in result.diagnostics if d.code == code]
        covered = {d.subject for d in found} | {note.message.split("affects ")[-1] for d in found
                                                 for note in d.related if "also affects" in note.message}
        assert {f"service '{name}'" for name in services} <= covered, code
    # The agents' `restart: always` sits once in the `x-agent` anchor: one finding, three services.
    shared = [d for d in result.diagnostics if d.code == "CL302" and "shared by 3 services" in d.message]
    assert len(shared) == 1 and shared[0].span.line == 5


# --------------------------------------------------------------------------- shared anchors


def test_one_defect_in_an_anchor_shared_by_25_services_is_one_finding():
    result = lint(FIXTURES / "rules" / "CL302-anchor-many-services", select=("CL302",))
    assert len(result.diagnostics) == 1
    finding = result.diagnostics[0]
    assert (finding.span.path, finding.span.line, finding.span.column) == ("compose.yaml", 3, 12)
    assert "shared by 25 services" in finding.message
    notes = [note for note in finding.related]
    assert len(notes) == 25  # one per inheriting service, each at its key
    assert notes[0].message == "service 'agent-01' inherits this setting"
    assert {note.span.line for note in notes} == {6 + 2 * i for i in range(25)}


def test_text_output_of_a_shared_anchor_collapses(monkeypatch):
    monkeypatch.chdir(FIXTURES / "rules" / "CL302-anchor-many-services")  # the path itself holds "CL302"
    result = invoke(str(FIXTURES / "rules" / "CL302-anchor-many-services"), "--select", "CL302")
    assert result.exit_code == 1
    assert result.output.count("CL302") == 1
    assert "also affects service 'agent-25'" in result.output


def test_extends_points_at_the_base_with_a_note_for_the_service():
    result = lint(FIXTURES / "rules" / "CL304-extends-and-anchor", select=("CL304",))
    base = [d for d in result.diagnostics if d.span.path == "common.yaml"]
    assert len(base) == 1 and base[0].span.line == 3
    assert base[0].related[0].message == "service 'web' inherits this setting"
    assert base[0].related[0].span.path == "compose.yaml"


# --------------------------------------------------------------------------- CL307 never prints the secret


SECRETS = {"correct-horse-battery-staple", "tr0ub4dor&3", "pa$word"}


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "github", "gitlab"])
def test_secret_values_never_appear_in_any_output(fmt):
    scenario = FIXTURES / "rules" / "CL307-forms"
    result = invoke(str(scenario), "--select", "CL307", "--format", fmt, "--color", "never")
    assert result.exit_code == 1, result.output
    assert "POSTGRES_PASSWORD" in result.output and "JWT_SECRET" in result.output
    for secret in SECRETS | {"tr0ub4dor", "battery-staple"}:
        assert secret not in result.output, f"{fmt} output shows a secret"


def test_text_output_masks_the_value_under_the_carets():
    result = invoke(str(FIXTURES / "rules" / "CL307-forms"), "--select", "CL307", "--color", "never")
    assert '- "JWT_SECRET=***********"' in result.output
    assert "POSTGRES_PASSWORD: ****************************" in result.output


def test_fingerprints_do_not_depend_on_the_secret(tmp_path):
    def fingerprints(value):
        write_tree(tmp_path, {"compose.yaml": f"services:\n  db:\n    image: postgres:16.4\n    environment:\n"
                                              f"      POSTGRES_PASSWORD: {value}\n"})
        return [d.fingerprint() for d in lint(tmp_path, select=("CL307",)).diagnostics]

    first = fingerprints("one-secret")
    assert first and first == fingerprints("another-secret")


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("code, options, key", [
    ("CL301", "{require: [disk]}", "require"),
    ("CL301", "{require: memory}", "require"),
    ("CL302", "{allow: traefik}", "allow"),
    ("CL304", "{allow: [1, 2]}", "allow"),
    ("CL306", "{allow-docker-sock: true}", "allow-docker-sock"),
    ("CL306", "{allow-sockets: [traefik]}", "allow-sockets"),
    ("CL307", "{names: PASSWORD}", "names"),
])
def test_bad_option_value_exits_2_naming_the_key(tmp_path, code, options, key):
    write_tree(tmp_path, {".composelint.yaml": f"rules:\n  {code}: {options}\n",
                          "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert f"`rules.{code}" in result.output and key in result.output
    assert "Traceback" not in result.output


def test_options_by_rule_name(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "rules:\n  missing-resource-limits: {require: [memory]}\n",
                          "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    mem_limit: 64m\n"})
    assert lint_lines(tmp_path, select=("CL301",)) == []


def test_cl304_allow_matches_service_name_and_image_forms(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "rules:\n  CL304:\n    allow: [db, 'registry.example.com/dev/*']\n",
        "compose.yaml": "services:\n  db:\n    image: mysql\n  tool:\n    image: registry.example.com/dev/tool\n"
                        "  other:\n    image: registry.example.com/prod/tool\n"})
    assert [line.split(":")[1] for line in lint_lines(tmp_path, select=("CL304",))] == ["7"]


def test_cl304_an_image_the_project_builds_matches_in_any_spelling(tmp_path):
    """`myorg/app` and `docker.io/myorg/app` name one image (Docker's normalised name): the service runs the build."""
    write_tree(tmp_path, {
        "Dockerfile": "FROM alpine:3.20\n",
        "compose.yaml": "services:\n  builder:\n    build: .\n    image: docker.io/myorg/app\n"
                        "  runner:\n    image: myorg/app\n  other:\n    image: myorg/other\n"})
    assert [line.split(":")[1] for line in lint_lines(tmp_path, select=("CL304",))] == ["8"]


def test_cl307_names_and_allow(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "rules:\n  CL307:\n    names: [CREDENTIALS]\n    allow: ['LEGACY_*']\n",
        "compose.yaml": "services:\n  app:\n    image: app:1.0\n    environment:\n      DB_PASSWORD: x1\n"
                        "      AWS_CREDENTIALS: x2\n      LEGACY_CREDENTIALS: x3\n"})
    lines = lint_lines(tmp_path, select=("CL307",))
    assert len(lines) == 1 and "`AWS_CREDENTIALS`" in lines[0]


# --------------------------------------------------------------------------- edge cases


def test_cl305_empty_context_directory_lacks_a_dockerfile(tmp_path):
    (tmp_path / "empty").mkdir()
    write_tree(tmp_path, {"compose.yaml": "services:\n  app:\n    build: ./empty\n"})
    lines = lint_lines(tmp_path, select=("CL305",))
    assert lines == ["compose.yaml:3:12: CL305 error: service 'app' builds with a `Dockerfile`, but "
                     "`empty/Dockerfile` does not exist: `docker compose build` fails with \"failed to read "
                     "dockerfile\""]


def test_cl305_context_through_a_symlinked_directory_exists(tmp_path):
    write_tree(tmp_path, {"real/Dockerfile": "FROM alpine:3.20\n",
                          "compose.yaml": "services:\n  app:\n    build: ./linked\n"})
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    assert lint_lines(tmp_path, select=("CL305",)) == []


def test_cl305_excluded_context_still_exists(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "exclude: [vendor]\n", "vendor/app/Dockerfile": "FROM alpine:3.20\n",
                          "compose.yaml": "services:\n  app:\n    build: ./vendor/app\n"})
    assert lint_lines(tmp_path, select=("CL305",)) == []


def test_cl302_restart_policy_wins_over_restart(tmp_path):
    write_tree(tmp_path, {"compose.yaml": (
        "services:\n"
        "  a:\n    image: a:1\n    restart: always\n    deploy:\n      restart_policy:\n"
        "        condition: on-failure\n        max_attempts: 3\n"
        "  b:\n    image: b:1\n    restart: \"no\"\n    deploy:\n      restart_policy: {}\n"
        "  c:\n    image: c:1\n    deploy:\n      restart_policy:\n        condition: none\n"
        "  d:\n    image: d:1\n    restart: on-failure:0\n")})
    lines = lint_lines(tmp_path, select=("CL302",))
    assert [line.split(":")[1] for line in lines] == ["13", "21"]
    assert "`restart_policy.condition: any`" in lines[0] and "`restart: on-failure:0`" in lines[1]


def test_cl302_disabled_healthcheck_does_not_count(tmp_path):
    write_tree(tmp_path, {"compose.yaml": "services:\n  a:\n    image: a:1\n    restart: always\n"
                                          "    healthcheck:\n      test: [\"NONE\"]\n"})
    lines = lint_lines(tmp_path, select=("CL302",))
    assert len(lines) == 1 and "its healthcheck is disabled" in lines[0]


def test_cl306_windows_and_relative_sources_are_not_the_socket(tmp_path):
    write_tree(tmp_path, {"compose.yaml": (
        "services:\n  a:\n    image: a:1\n    volumes:\n      - ./docker.sock.d:/etc/conf.d\n"
        "      - C:\\data:/data\n      - docker-sock:/var/run\n      - //var/run/docker.sock:/var/run/docker.sock\n"
        "volumes:\n  docker-sock:\n")})
    lines = lint_lines(tmp_path, select=("CL306",))
    assert [line.split(":")[1] for line in lines] == ["8"]


def test_cl308_many_services_on_one_port_stays_fast(tmp_path):
    count = 3000
    services = "".join(f"  s{i}:\n    image: app:1\n    ports: [\"{i % 2 and '127.0.0.1:' or ''}8080:80\"]\n"
                       f"    container_name: same\n" for i in range(count))
    write_tree(tmp_path, {"compose.yaml": "services:\n" + services})
    started = time.perf_counter()
    result = lint(tmp_path, select=("CL308", "CL309"))
    elapsed = time.perf_counter() - started
    codes = [d.code for d in result.diagnostics]
    assert codes.count("CL308") == count - 1 and codes.count("CL309") == count - 1
    assert all("service 's0'" in d.message for d in result.diagnostics)
    assert elapsed < 60


def test_cl308_huge_ranges_are_bounded(tmp_path):
    services = "".join(f"  s{i}:\n    image: app:1\n    ports: [\"1-65535:1-65535/udp\"]\n" for i in range(6))
    write_tree(tmp_path, {"compose.yaml": "services:\n" + services})
    result = lint(tmp_path, select=("CL308",))
    assert 1 <= len(result.diagnostics) <= 5


def test_rules_survive_malformed_values(tmp_path):
    write_tree(tmp_path, {"compose.yaml": (
        "services:\n  a:\n    image: [not, a, string]\n    restart: [always]\n    ports: {a: b}\n"
        "    volumes: 3\n    deploy: [x]\n    environment: 7\n    cap_add: SYS_ADMIN\n    healthcheck: yes\n"
        "    container_name: {x: 1}\n    build: {context: [x]}\n"
        "  b:\n    image: b:1\n    ports: [\"999999:1\", {target: x}, {published: 80}, true, null]\n"
        "    deploy: {resources: {limits: [1]}, restart_policy: {max_attempts: many}}\n")})
    result = lint(tmp_path, select=("CL3",))
    assert all(d.code.startswith("CL3") for d in result.diagnostics)  # debug=True: an exception would raise


def test_json_output_lists_inheriting_services(tmp_path):
    result = invoke(str(FIXTURES / "rules" / "CL309-names"), "--select", "CL309", "--format", "json",
                    "--path-base", str(FIXTURES / "rules" / "CL309-names"))
    document = json.loads(result.output)
    assert [d["code"] for d in document["diagnostics"]] == ["CL309"]
    assert document["diagnostics"][0]["path"] == "compose.override.yaml"


def test_extends_base_of_the_same_name_is_inherited(tmp_path):
    write_tree(tmp_path, {
        "base.yaml": "services:\n  web:\n    image: nginx:latest\n    mem_limit: 128m\n    cpus: 0.5\n",
        "compose.yaml": "services:\n  web:\n    extends:\n      file: base.yaml\n      service: web\n"})
    result = lint(tmp_path, select=("CL301", "CL304"))
    (finding,) = result.diagnostics  # the limits come from the base too: no CL301
    assert (finding.code, finding.span.path, finding.span.line) == ("CL304", "base.yaml", 3)
    assert [(n.span.path, n.span.line, n.message) for n in finding.related] == [
        ("compose.yaml", 2, "service 'web' inherits this setting")]


def test_included_services_are_their_own_definition(tmp_path):
    write_tree(tmp_path, {
        "sub/compose.yaml": "services:\n  cache:\n    image: redis\n",
        "compose.yaml": "include:\n  - sub/compose.yaml\nservices:\n  web:\n    image: nginx:1.27\n"})
    result = lint(tmp_path, select=("CL304",))
    (finding,) = result.diagnostics
    assert (finding.span.path, finding.span.line, finding.related) == ("sub/compose.yaml", 3, ())


def test_suppressing_a_service_that_only_merges_an_anchor_covers_only_it(tmp_path):
    write_tree(tmp_path, {"compose.yaml": (
        "x-agent: &agent\n  image: registry.example.com/agent:1.4.2\n"
        "  restart: always  # composelint: ignore[unbounded-restart] -- supervised\n"
        "services:\n  # composelint: ignore[missing-resource-limits] -- runs once\n  migrate:\n    <<: *agent\n"
        "  web:\n    <<: *agent\n")})
    assert lint_lines(tmp_path, select=("CL301", "CL302")) == [
        "compose.yaml:8:3: CL301 warning: service 'web' has no memory limit and no CPU limit: one runaway "
        "container can starve every other service on the host"]
