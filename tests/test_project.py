"""The model: services linked to their Dockerfiles, effective start commands, default deployments."""

from __future__ import annotations

from helpers import write_tree

from composelint.assembly.project import build_project
from composelint.config import Config


def project_of(tmp_path, files):
    write_tree(tmp_path, files)
    return build_project(tmp_path, Config())


def service(project, name, file="compose.yaml"):
    return project.compose_files[file].services[name]


DOCKERFILE = """\
FROM python:3.12-slim AS base
WORKDIR /app
ENTRYPOINT ["tini", "--"]
CMD ["python", "main.py"]

FROM base AS debug
CMD python -m debugpy main.py

FROM base AS worker
ENTRYPOINT ["celery"]
"""


def test_compose_command_overrides_cmd_keeps_entrypoint(tmp_path):
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "compose.yaml": (
        "services:\n  app:\n    build:\n      context: .\n      target: base\n    command: python other.py\n")})
    start = service(project, "app").effective_start
    assert start.argv == ("tini", "--", "python", "other.py")
    assert start.entrypoint.origin == "image-entrypoint" and start.entrypoint.span.path == "Dockerfile"
    assert start.cmd.origin == "compose-command" and start.cmd.span.line == 6
    assert start.cmd.words[1].span.start.column == 21 and start.cmd.words[1].span.end.column == 29


def test_compose_entrypoint_drops_the_image_cmd(tmp_path):
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "compose.yaml": (
        "services:\n  app:\n    build: .\n    entrypoint: [\"sh\", \"-c\", \"echo hi\"]\n")})
    start = service(project, "app").effective_start
    assert start.argv == ("sh", "-c", "echo hi") and start.cmd is None
    assert start.entrypoint.form == "exec"


def test_default_target_is_the_last_stage_and_entrypoint_resets_inherited_cmd(tmp_path):
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "compose.yaml": "services:\n  app:\n    build: .\n"})
    app = service(project, "app")
    assert app.stage.name == "worker"
    assert app.effective_start.argv == ("celery",)


def test_shell_form_cmd_is_wrapped_in_the_shell_and_inherited(tmp_path):
    project = project_of(tmp_path, {"Dockerfile": DOCKERFILE, "compose.yaml": (
        "services:\n  app:\n    build:\n      context: .\n      target: debug\n")})
    start = service(project, "app").effective_start
    assert start.argv == ("tini", "--", "/bin/sh", "-c", "python -m debugpy main.py")
    assert start.cmd.form == "shell" and start.cmd.stage == "debug"
    assert start.cmd.words[-1].span.start.line == 7 and start.cmd.words[-1].span.start.column == 5


def test_pulled_image_start_is_incomplete(tmp_path):
    project = project_of(tmp_path, {"compose.yaml": "services:\n  db:\n    image: postgres:16\n    command: -c x=1\n"})
    start = service(project, "db").effective_start
    assert start.argv == ("-c", "x=1") and not start.complete
    assert service(project, "db").dockerfile is None


def test_build_paths_resolve_against_the_compose_file_and_never_leave_the_root(tmp_path):
    project = project_of(tmp_path, {
        "deploy/compose.yaml": ("services:\n  a:\n    build:\n      context: ../src\n      dockerfile: docker/Dockerfile.prod\n"
                                "  b:\n    build: ../../outside\n  c:\n    build: https://github.com/x/y.git#main\n"),
        "src/docker/Dockerfile.prod": "FROM alpine:3.20\nCMD [\"true\"]\n"})
    services = project.compose_files["deploy/compose.yaml"].services
    assert services["a"].build.context_path == "src"
    assert services["a"].build.dockerfile_path == "src/docker/Dockerfile.prod"
    assert services["a"].dockerfile is not None and services["a"].effective_start.argv == ("true",)
    assert services["b"].build.context_path is None
    assert services["c"].build.remote and services["c"].build.context_path is None


def test_environment_list_and_mapping_forms(tmp_path):
    project = project_of(tmp_path, {".env": "TAG=1.0\n", "compose.yaml": (
        "services:\n  a:\n    image: app:${TAG}\n    environment:\n      - A=1\n      - B\n"
        "  b:\n    image: app:1\n    environment:\n      A: ${TAG}\n      B:\n")})
    a = service(project, "a")
    b = service(project, "b")
    assert a.image.value == "app:1.0"
    assert {k: v.value for k, v in a.environment.items()} == {"A": "1", "B": None}
    assert {k: v.value for k, v in b.environment.items()} == {"A": "1.0", "B": None}
    assert b.environment["A"].raw == "${TAG}"


def test_default_deployment_merges_the_override_file(tmp_path):
    project = project_of(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    environment:\n      - A=1\n    ports: ['80:80']\n",
        "compose.override.yaml": "services:\n  web:\n    environment:\n      B: 2\n    ports: ['443:443']\n  dev:\n    image: busybox:1\n",
        "other/docker-compose.yml": "services:\n  x:\n    image: busybox:1\n",
        "compose.infra.yaml": "services:\n  consul:\n    image: consul:1\n"})
    by_name = {d.name: d for d in project.deployments}
    assert sorted(by_name) == ["compose.yaml", "other/docker-compose.yml"]
    root = by_name["compose.yaml"]
    assert root.files == ("compose.yaml", "compose.override.yaml")
    assert sorted(root.services) == ["dev", "web"]
    web = root.services["web"]
    assert {k: v.value for k, v in web.environment.items()} == {"A": "1", "B": "2"}
    assert web.environment["B"].span.path == "compose.override.yaml"
    from composelint.yamltree import plain
    assert plain(web.get("ports")) == ["80:80", "443:443"]
    # no deployment runs compose.infra.yaml: its services are linted all the same, standalone
    assert "consul" not in {s.name for d in project.deployments for s in d.services.values()}
    assert [(d.kind, s.name) for d, s in project.deployed_services() if d.kind != "deployed"] == [
        ("standalone", "consul")]


def test_profiles_make_services_inactive(tmp_path):
    project = project_of(tmp_path, {"compose.yaml": (
        "services:\n  web:\n    image: nginx:1.27\n  debug:\n    image: busybox:1\n    profiles: [debug]\n")})
    deployment, = project.deployments
    assert sorted(deployment.services) == ["debug", "web"]
    assert deployment.active == {"web"}


def test_derived_facts_are_computed_once_and_kept_apart_from_the_frozen_model(tmp_path):
    write_tree(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n", "notes.txt": "hello\n"})
    project = build_project(tmp_path, Config())
    calls = []
    first = project.derived("test.fact", lambda p: calls.append(p) or len(calls))
    assert project.derived("test.fact", lambda p: calls.append(p) or len(calls)) == first == 1
    assert calls == [project]
    assert project.facts.table("test.table") is project.facts.table("test.table")
    # the file reads of the analysis layers land in named caches, which the engine carries across processes
    assert project.read_text("notes.txt") == "hello\n" and project.facts.read_text == {"notes.txt": "hello\n"}
    assert project.path_exists("missing/dir") is False and project.facts.path_exists == {"missing/dir": False}
    assert not hasattr(project, "extras") and "DerivedFacts" not in repr(project)
