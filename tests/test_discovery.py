"""Which files are compose files: by name, else by content (composelint.assembly.discovery.is_compose_content)."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import FIXTURES, REPO, write_tree

from composelint.assembly import discovery
from composelint.assembly.deployments import undeployed_files
from composelint.assembly.discovery import SERVICE_KEYS, is_compose_content, walk, yaml_candidate_kind
from composelint.assembly.project import build_project
from composelint.config import load_config

SCENARIO = FIXTURES / "discovery"


def test_compose_files_are_found_by_content_whatever_their_name():
    found = walk(SCENARIO)
    assert sorted(found.compose) == ["ci/low-memory.yaml", "compose.yaml", "docker-stack.yml", "infra/logging.yml",
                                     "production.yml", "swarm/app.yml"]
    assert sorted(found.compose_by_content) == ["ci/low-memory.yaml", "docker-stack.yml", "infra/logging.yml",
                                                "production.yml", "swarm/app.yml"]
    assert found.compose_copies == {"compose.override.yaml.example": "template", "docker-stack.yml-e": "backup"}


@pytest.mark.parametrize("path", [
    ".github/workflows/test.yml",  # jobs.*.services
    "ci/workflow-template.yml",  # a workflow outside .github/workflows
    ".gitlab-ci.yml", "ci/gitlab-jobs.yml",  # services: is a list
    "k8s/deployment.yaml", "helm/web/values.yaml", "helm/web/templates/service.yaml",
    "ansible/playbook.yml", "docker-bake.hcl", ".pre-commit-config.yaml", ".travis.yml", ".drone.yml",
    "mkdocs.yml", "services.yml",
])
def test_other_yaml_that_says_services_is_not_a_compose_file(path):
    found = walk(SCENARIO)
    assert path in found.all_files
    assert path not in found.compose and path not in found.compose_copies
    text = (SCENARIO / path).read_text(encoding="utf-8")
    assert is_compose_content(text) is False


COMPOSE_TEXTS = (
    "services:\n  web:\n    image: nginx\n",
    "%YAML 1.2\n---\nname: app\nservices:\n  web: &web\n    build: .\n  web2: *web\n",
    "x-base: &base\n  restart: always\nservices:\n  web:\n    <<: *base\n    image: nginx  # pinned\n",
    "services: {web: {image: nginx}}\n",
    "services:\n  web: {image: nginx, ports: ['80:80']}\n",
    '"services":\n  "web":\n    "image": nginx\n',
    "include:\n  - infra/compose.yaml\n",
    "include: [a.yaml]\n",
    "services:\n  # the web front\n  web:\n\n    command: [serve]\n    environment:\n      A: b\n",
    "version: '3'\nservices:\n  web:\n    deploy:\n      replicas: 2\n    imagee: typo\n",  # a typo is CL002's
)
OTHER_TEXTS = (
    "", "# only a comment\n", "services: []\n", "services:\n  - docker\n", "services:\n  web: nginx\n",
    "services:\n  web:\n    url: http://x\n    timeout: 3\n",
    "volumes:\n  data: {}\n",  # no services, no include
    "on: push\njobs:\n  t:\n    services:\n      db:\n        image: postgres\n",
    "- hosts: all\n  tasks: []\n",
    "services:\n  web:\n    image: nginx\nspec:\n  replicas: 1\n",  # a foreign top-level key anywhere
    "apiVersion: v1\nkind: ConfigMap\n",
    "{services: {web: {image: nginx}}}\n",  # a flow document: not how compose files are written
)


@pytest.mark.parametrize("text, expected", [(text, True) for text in COMPOSE_TEXTS]
                         + [(text, False) for text in OTHER_TEXTS])
def test_compose_content(text, expected):
    assert is_compose_content(text) is expected


def test_a_head_that_stops_before_services_asks_for_more():
    assert is_compose_content("x-env: &env\n  A: b\n", complete=False) is None
    assert is_compose_content("x-env: &env\n  A: b\nservices:\n  web:\n    image: nginx\n  db:\n", complete=False)
    assert is_compose_content("jobs:\n  a: 1\n", complete=False) is False


def test_the_walk_reads_only_the_head_of_a_large_yaml_file(tmp_path, monkeypatch):
    write_tree(tmp_path, {"big.yaml": "apiVersion: v1\nkind: List\nitems:\n" + "  - x: 1\n" * 500_000,
                          "stack.yml": "services:\n  web:\n    image: nginx\n" + "# padding\n" * 500_000})
    requested = []
    real_read = os.read

    def counting_read(fd, size):
        requested.append(size)
        return real_read(fd, size)

    monkeypatch.setattr(discovery.os, "read", counting_read)
    found = walk(tmp_path)
    assert found.compose == ["stack.yml"]
    assert requested and max(requested) <= discovery.SNIFF_HEAD


def test_a_long_preamble_is_read_on_up_to_the_file_limit(tmp_path):
    preamble = "x-note: |\n" + "  some text\n" * 10_000  # over the head: services come later
    write_tree(tmp_path, {"late.yml": preamble + "services:\n  web:\n    image: nginx\n"})
    assert walk(tmp_path).compose == ["late.yml"]
    assert walk(tmp_path, max_bytes=1000).compose == []  # over the limit: not read past it


def test_names_that_may_hold_a_compose_file():
    assert yaml_candidate_kind("production.yml") == "compose"
    assert yaml_candidate_kind("infra.YAML") == "compose"
    assert yaml_candidate_kind("compose.override.yaml.example") == "template"
    assert yaml_candidate_kind("docker-compose.yml.dist") == "template"
    assert yaml_candidate_kind("docker-compose.yml-e") == "backup"
    assert yaml_candidate_kind("docker-compose.yml.bak") == "backup"
    assert yaml_candidate_kind("compose.json") is None
    assert yaml_candidate_kind("notes.md") is None


def test_service_keys_follow_the_schema():
    schema = json.loads((REPO / "composelint/parsers/compose_schema.json").read_text(encoding="utf-8"))
    definitions = schema.get("definitions") or schema["$defs"]
    assert SERVICE_KEYS == frozenset(definitions["service"]["properties"])


def test_a_compose_file_found_by_content_is_loaded_and_listed_as_not_deployed():
    project = build_project(SCENARIO, load_config(SCENARIO))
    assert "docker-stack.yml" in project.compose_files
    assert set(project.compose_files["docker-stack.yml"].services) == {"api", "worker"}
    assert "docker-stack.yml" in undeployed_files(project)
    # The override template is loaded only as the stand-in for the uncommitted compose.override.yaml.
    (default,) = [d for d in project.deployments if d.source == "default"]
    assert default.files == ("compose.yaml", "compose.override.yaml.example")
    assert "helm/web/values.yaml" not in project.compose_files


def test_a_stdin_buffer_is_a_compose_file_by_content(tmp_path):
    write_tree(tmp_path, {".git/HEAD": ""})
    project = build_project(tmp_path, load_config(tmp_path),
                            overrides={"stack.yml": "services:\n  web:\n    image: nginx\n",
                                       "values.yml": "replicaCount: 1\n"})
    assert set(project.compose_files) == {"stack.yml"}


def test_the_deployments_listing_accounts_for_templates_and_backups():
    from composelint.reporters.deployments import describe, render_deployments

    project = build_project(SCENARIO, load_config(SCENARIO))
    data = describe(project)
    assert data["templates"] == ["compose.override.yaml.example"]
    assert data["backups"] == ["docker-stack.yml-e"]
    assert "docker-stack.yml" in data["undeployed"]
    text = render_deployments(project)
    assert "templates:    compose.override.yaml.example (compose files to copy into place)" in text
    assert "backups:      docker-stack.yml-e (copies nothing runs; not linted)" in text


@settings(max_examples=400, deadline=None)
@given(text=st.lists(st.sampled_from(["services", "include", "image", "x-a", "web", ":", " ", "  ", "\n", "-",
                                       "{", "}", "[", "]", "&a", "*a", "#", "'", '"', ",", "---", "\t"]),
                     max_size=60).map("".join))
def test_sniffing_never_raises(text):
    assert is_compose_content(text) in (True, False)
    assert is_compose_content(text, complete=False) in (True, False, None)


@pytest.mark.parametrize("name", ["Dockerfile", "Dockerfile.dev", "Dockerfile-nginx-proxy-tester", "Dockerfile_prod",
                                  "Containerfile", "Containerfile.arm64", "api.Dockerfile", "web.dockerfile"])
def test_dockerfile_names(name):
    assert discovery.is_dockerfile_name(name)


@pytest.mark.parametrize("name", ["Dockerfiles", "DockerfileLint.md", "dockerfile-notes.md", "Dockerfile.", "Dockerfile-"])
def test_names_that_are_not_dockerfiles(name):
    assert not discovery.is_dockerfile_name(name)


def test_a_dash_named_dockerfile_is_linted_when_named_on_the_command_line(tmp_path):
    # nginx-proxy builds test/requirements/Dockerfile-nginx-proxy-tester with `docker build -f`.
    from click.testing import CliRunner

    from composelint.cli import cli

    write_tree(tmp_path, {".git/HEAD": "", "Dockerfile-tester": "FROM python:3.12\nCOPY app.py .\n", "app.py": ""})
    result = CliRunner().invoke(cli, ["check", "--format", "concise", str(tmp_path / "Dockerfile-tester")])
    assert "Dockerfile-tester:2:13: CL401 error" in result.output  # at the relative destination `.`
