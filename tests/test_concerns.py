"""Which services a finding concerns (composelint/concerns.py), as the engine works it out for every rule."""

from __future__ import annotations

import json
from dataclasses import replace

from click.testing import CliRunner
from helpers import FIXTURES, REPO, lint, write_tree

from composelint.cli import cli
from composelint.diagnostics import ServiceRef, Span

WORKDIRLESS = 'FROM python:3.12-slim\nCOPY . .\nCMD ["python", "main.py"]\n'


def refs(diagnostic) -> list[tuple]:
    return [(ref.name, ref.deployment, ref.relation, str(ref.span), ref.stage) for ref in diagnostic.services]


def text(root, code: str) -> str:
    return CliRunner().invoke(cli, [str(root), "--select", code, "--color", "never"]).output


def only(result, code: str, path: str):
    (found,) = [d for d in result.diagnostics if d.code == code and d.span.path == path]
    return found


def test_a_dockerfile_built_by_two_services_in_two_deployments(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - [dev/compose.yaml]\n  - [prod/compose.yaml]\n",
        "app/Dockerfile": WORKDIRLESS,
        "app/main.py": "print('hi')\n",
        "dev/compose.yaml": "services:\n  api:\n    build: ../app\n",
        "prod/compose.yaml": "services:\n  db:\n    image: postgres:16\n  web:\n    build:\n      context: ../app\n",
    })
    finding = only(lint(tmp_path, select=("CL401",)), "CL401", "app/Dockerfile")
    assert refs(finding) == [("api", "dev/compose.yaml", "build", "dev/compose.yaml:2:3", None),
                             ("web", "prod/compose.yaml", "build", "prod/compose.yaml:4:3", None)]
    assert "= note: built by services 'api' (dev/compose.yaml:2) and 'web' (prod/compose.yaml:4)\n" in \
        text(tmp_path, "CL401")


def test_one_service_run_by_two_deployments_is_listed_per_deployment_and_named_once(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - [compose.yaml]\n  - [compose.yaml, compose.prod.yaml]\n",
        "Dockerfile": WORKDIRLESS,
        "main.py": "print('hi')\n",
        "compose.yaml": "services:\n  api:\n    build: .\n",
        "compose.prod.yaml": "services:\n  api:\n    restart: on-failure:3\n",
    })
    finding = only(lint(tmp_path, select=("CL401",)), "CL401", "Dockerfile")
    assert [(name, relation, span) for name, _, relation, span, _ in refs(finding)] == \
        [("api", "build", "compose.yaml:2:3")] * 2
    assert len({ref.deployment for ref in finding.services}) == 2
    assert "= note: built by service 'api' (compose.yaml:2)\n" in text(tmp_path, "CL401")


def test_a_dockerfile_no_service_builds_concerns_none(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n",
        "tools/Dockerfile": WORKDIRLESS,
        "tools/main.py": "print('hi')\n",
    })
    finding = only(lint(tmp_path, select=("CL401",)), "CL401", "tools/Dockerfile")
    assert finding.services == ()
    assert "built by" not in text(tmp_path, "CL401")


def test_a_lone_dockerfile_concerns_no_service(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "# root\n", "Dockerfile": WORKDIRLESS, "main.py": "print(1)\n"})
    assert [d.services for d in lint(tmp_path, select=("CL401",)).diagnostics] == [()]


def test_only_the_services_whose_target_needs_the_stage(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "Dockerfile": "FROM python:3.12-slim AS base\nRUN pip install flask\nFROM base AS dev\nCOPY . .\n"
                      "FROM python:3.12-slim AS prod\nWORKDIR /app\nCOPY . .\nUSER 1000\n",
        "main.py": "print('hi')\n",
        "compose.yaml": "services:\n  dev:\n    build:\n      context: .\n      target: dev\n"
                        "  prod:\n    build:\n      context: .\n      target: prod\n",
    })
    result = lint(tmp_path, select=("CL401", "CL402"))
    # `base` is built only FROM `dev`; `prod` starts from the registry image.
    assert refs(only(result, "CL402", "Dockerfile")) == [("dev", "compose.yaml", "build", "compose.yaml:2:3", "dev")]
    assert refs(only(result, "CL401", "Dockerfile")) == [("dev", "compose.yaml", "build", "compose.yaml:2:3", "dev")]
    assert "= note: built by service 'dev' (compose.yaml:2, target `dev`)\n" in text(tmp_path, "CL401")


def test_a_compose_finding_concerns_its_service(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    enviroment: {}\n  db:\n    image: postgres:16\n",
    })
    result = lint(tmp_path, select=("CL002", "CL301"))
    # No subject: the finding sits inside the definition of `web`.
    assert refs(only(result, "CL002", "compose.yaml")) == [("web", "compose.yaml", "service", "compose.yaml:2:3",
                                                            None)]
    by_subject = {d.subject: refs(d) for d in result.diagnostics if d.code == "CL301"}
    assert by_subject == {"service 'web'": [("web", "compose.yaml", "service", "compose.yaml:2:3", None)],
                          "service 'db'": [("db", "compose.yaml", "service", "compose.yaml:5:3", None)]}
    assert "built by" not in text(tmp_path, "CL002")  # the finding is in the service's own definition


def test_a_shared_anchor_concerns_every_service_that_merges_it():
    result = lint(FIXTURES / "incident", select=("CL302",))
    (shared,) = [d for d in result.diagnostics if d.span.line == 5]
    assert [ref.name for ref in shared.services] == ["agent-scanner", "agent-reporter", "agent-planner"]


def test_services_of_an_undeployed_file_have_no_deployment():
    result = lint(FIXTURES / "incident", select=("CL102",))
    assert [refs(d) for d in result.diagnostics] == [
        [(name, None, "service", f"docker-compose.infrastructure.yml:{line}:3", None)]
        for name, line in (("consul", 3), ("kong", 9), ("rabbitmq", 17))]


def test_the_services_are_not_part_of_the_fingerprint():
    result = lint(FIXTURES / "incident")
    for diagnostic in result.diagnostics:
        other = replace(diagnostic, services=(ServiceRef("x", Span.at("other.yaml", 1, 1), "elsewhere"),))
        assert other.fingerprint() == diagnostic.fingerprint()


def test_json_lists_the_services_of_the_incident_dockerfiles():
    import jsonschema

    output = CliRunner().invoke(cli, [str(FIXTURES / "incident"), "--format", "json",
                                   "--path-base", str(FIXTURES / "incident")]).output
    document = json.loads(output)
    schema = json.loads((REPO / "composelint" / "data" / "output-schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    dockerfile_findings = {(d["path"], d["code"]): [(s["name"], s["line"]) for s in d["services"]]
                           for d in document["diagnostics"] if d["path"].endswith("Dockerfile")}
    assert dockerfile_findings[("agents/scanner/Dockerfile", "CL401")] == [("agent-scanner", 13)]
    assert dockerfile_findings[("agents/reporter/Dockerfile", "CL401")] == [("agent-reporter", 20)]


def test_an_env_file_in_an_anchor_concerns_each_service_that_merges_it(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "compose.yaml": "x-app: &app\n  image: redash/redash:10\n  env_file: .env\n"
                        "services:\n  server:\n    <<: *app\n  worker:\n    <<: *app\n",
    })
    result = lint(tmp_path, select=("CL008",))
    assert sorted((d.span.line, refs(d)[0][0]) for d in result.diagnostics) == [(3, "server"), (3, "worker")]
    assert all(len(d.services) == 1 for d in result.diagnostics)
