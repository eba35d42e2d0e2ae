"""Deployments: which compose files run together, found in config, .env, automation and defaults."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import FIXTURES, lint_lines, write_tree

from composelint.analysis.commands.syntax import command_tokens
from composelint.assembly.deployments import automation_requests, find_invocations, undeployed_files, written_files
from composelint.assembly.project import build_project
from composelint.cli import cli
from composelint.config import Config, load_config
from composelint.diagnostics import Position, Span

SCENARIOS = FIXTURES / "deployments"


def load(name: str):
    root = SCENARIOS / name
    return build_project(root, load_config(root))


def summary(project) -> list[tuple]:
    return [(d.source, str(d.origin) if d.origin else None, d.files, d.profiles, d.project_dir, d.env_files,
             tuple(sorted(d.active))) for d in project.deployments]


def cl008(project) -> list[tuple[str, str, str]]:
    return sorted((str(p.span), (p.severity.label if p.severity else "error"), p.message)
                  for p in project.problems if p.code == "CL008")


# ----------------------------------------------------------------------------- the four sources


def test_config_deployments_are_the_only_ones_when_listed():
    project = load("config")
    assert summary(project) == [
        ("config", ".composelint.yaml:3:5", ("compose.yaml",), (), "", (), ("db", "web")),
        ("config", ".composelint.yaml:4:5", ("compose.yaml", "deploy/production.yaml"), ("monitoring",), "",
         ("deploy/production.env",), ("db", "metrics", "web")),
    ]
    production = project.deployments[1]
    assert production.name == "production"
    web = production.services["web"]
    # the env file feeds interpolation; the override replaces the command and merges the environment
    assert web.image.value == "registry.example.com/web:1.4.2"
    assert web.command.argv == ("gunicorn", "--workers", "4", "app:app")
    assert {k: v.value for k, v in web.environment.items()} == {"LOG_LEVEL": "warning",
                                                                 "DATABASE_URL": "postgres://db/app"}
    assert project.deployments[0].services["web"].image.value == "registry.example.com/web:dev"
    # the override file is not listed, so nothing deploys it
    assert undeployed_files(project) == ("compose.override.yaml",)


def test_compose_file_and_profiles_from_dotenv():
    project = load("dotenv")
    assert summary(project) == [
        ("dotenv", ".env:1:1", ("compose.yaml", "compose.monitoring.yaml"), ("debug",), "", (),
         ("app", "grafana", "redis", "shell")),
    ]
    assert project.deployments[0].services["redis"].image.value == "redis:7.2-alpine"
    assert "seed" in project.deployments[0].services  # modelled, but its profile is not enabled


def test_makefile_invocations_with_variables_continuations_profiles_and_included_mk_files():
    project = load("makefile")
    assert summary(project) == [
        ("automation", "Makefile:11:3", ("docker-compose.yml", "docker-compose.prod.yml"), (), "", (), ("api",)),
        ("automation", "Makefile:14:2", ("docker-compose.yml",), ("debug",), "", (), ("api", "debugger")),
        ("automation", "Makefile:20:2", ("docker-compose.yml", "env/staging.yml"), (), "", (), ("api",)),
        ("automation", "Makefile:23:14", ("tools/compose.yaml",), (), "tools", (), ("migrate",)),
        ("automation", "mk/release.mk:3:2", ("docker-compose.yml",), (), "", ("release.env",), ("api",)),
    ]
    first, *_, release = project.deployments
    assert first.command == "docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d"
    assert first.services["api"].environment["MODE"].value == "production"
    assert release.services["api"].image.value == "example/api:2.0.0"
    assert project.deployments[3].targets == ("migrate",)  # `run migrate` enables its profile
    assert cl008(project) == [("Makefile:26:20", "info", "compose file `docker-compose.$TARGET.yml` holds a "
                               "variable composelint does not expand; the deployment is modelled without it")]


def test_shell_scripts_follow_cd_and_keep_variables_symbolic():
    project = load("shell")
    assert summary(project) == [
        ("automation", "scripts/deploy.sh:7:1", ("deploy/compose.yaml", "deploy/compose.prod.yaml"), ("workers",),
         "deploy", (), ("web", "worker")),
        ("automation", "scripts/dev.sh:3:6", ("deploy/compose.yaml",), (), "deploy", (), ("web",)),
    ]
    prod = project.deployments[0]
    assert prod.services["web"].build.context_path == "app"  # ../app from the project directory
    from composelint.yamltree import plain
    assert plain(prod.services["web"].get("ports")) == ["80:80"]  # !override
    assert [where for where, _, _ in cl008(project)] == ["scripts/deploy.sh:12:16", "scripts/deploy.sh:13:19"]
    assert all(severity == "info" for _, severity, _ in cl008(project))


def test_workflows_gitlab_taskfile_justfile_and_package_json():
    project = load("automation")
    assert summary(project) == [
        ("automation", ".github/workflows/ci.yml:10:11", ("docker-compose.yml", "docker-compose.ci.yml"), (), "",
         (), ("app", "tests")),
        ("automation", ".github/workflows/ci.yml:14:14", ("services/api/compose.yaml",), (), "services/api", (),
         ("api",)),
        ("automation", ".gitlab-ci.yml:4:7", ("docker-compose.yml", "docker-compose.prod.yml"), ("monitoring",),
         "", (), ("app", "grafana")),
        ("automation", "Taskfile.yml:5:9", ("docker-compose.yml",), ("monitoring",), "", (), ("app", "grafana")),
        ("automation", "Taskfile.yml:9:14", ("frontend/compose.yaml", "frontend/compose.override.yaml"), (),
         "frontend", (), ("web",)),
        ("automation", "justfile:4:5", ("docker-compose.yml",), (), "", (), ("app",)),
        ("automation", "justfile:7:5", ("docker-compose.yml", "docker-compose.prod.yml"), (), "", (), ("app",)),
    ]
    assert cl008(project) == [(".github/workflows/ci.yml:16:32", "info", "compose file `${{ matrix.file }}` holds "
                               "a variable composelint does not expand; the deployment is modelled without it")]


def test_package_json_scripts(tmp_path):
    write_tree(tmp_path, {
        "package.json": '{\n  "scripts": {\n    "db": "docker compose -f db.compose.yaml up -d"\n  }\n}\n',
        "db.compose.yaml": "services:\n  db:\n    image: postgres:16\n"})
    project = build_project(tmp_path, Config())
    assert summary(project) == [("automation", "package.json:3:12", ("db.compose.yaml",), (), "", (), ("db",))]


def test_defaults_with_override_in_every_directory_not_otherwise_deployed():
    project = load("defaults")
    assert summary(project) == [
        ("default", None, ("compose.yaml", "compose.override.yaml"), (), "", (), ("adminer", "web")),
        ("default", None, ("legacy/docker-compose.yml", "legacy/docker-compose.override.yml"), (), "legacy", (),
         ("db",)),
        ("default", None, ("nested/deeper/compose.yaml",), (), "nested/deeper", (), ("job",)),
    ]
    web = project.deployments[0].services["web"]
    assert {k: v.value for k, v in web.environment.items()} == {"A": "1", "B": "override", "C": "3"}
    # compose.yaml wins over compose.yml, as `docker compose up` chooses
    assert undeployed_files(project) == ("compose.yml",)


def test_a_default_is_dropped_when_automation_deploys_its_base_file():
    """The incident: the Makefile deploys docker-compose.yml only; the infrastructure file is undeployed."""
    root = FIXTURES / "incident"
    project = build_project(root, load_config(root))
    assert summary(project) == [
        ("automation", "Makefile:7:2", ("docker-compose.yml",), (), "", (),
         ("agent-planner", "agent-reporter", "agent-scanner", "agent-summarizer", "backend", "frontend", "redis")),
    ]
    assert undeployed_files(project) == ("docker-compose.infrastructure.yml",)


def test_a_default_is_dropped_when_another_deployment_includes_its_base_file():
    project = load("include")
    assert [d.files for d in project.deployments] == [("compose.yaml",)]
    assert project.deployments[0].included == (
        "infra/consul/compose.yaml", "infra/common/logging.yaml", "infra/queue/compose.yaml", "shared/base.yaml",
        "shared/base.override.yaml")


def test_identical_deployments_count_once_at_the_first_place(tmp_path):
    write_tree(tmp_path, {
        "Makefile": "up:\n\tdocker compose -f compose.yaml up\ndown:\n\tdocker compose --file=compose.yaml down\n",
        "scripts/ci.sh": "docker-compose -fcompose.yaml up -d\n",
        "compose.yaml": "services:\n  a:\n    image: x\n"})
    project = build_project(tmp_path, Config())
    assert summary(project) == [("automation", "Makefile:2:2", ("compose.yaml",), (), "", (), ("a",))]


# ----------------------------------------------------------------------------- unresolvable arguments


def test_missing_files_are_errors_and_generated_files_are_not(tmp_path):
    write_tree(tmp_path, {
        "Makefile": ("deploy: compose.gen.yaml\n\tdocker compose -f compose.yaml -f compose.gen.yaml -f missing.yaml up\n"
                     "compose.gen.yaml:\n\tenvsubst < compose.tmpl > $@\n"),
        "scripts/render.sh": "envsubst < tmpl > out.yaml\ndocker compose -f compose.yaml -f out.yaml up\n",
        "compose.yaml": "services:\n  a:\n    image: x\n"})
    project = build_project(tmp_path, Config())
    assert cl008(project) == [
        ("Makefile:2:36", "info", "compose file `compose.gen.yaml` is written by `Makefile` itself before it runs; "
                                  "the deployment is modelled without it"),
        ("Makefile:2:56", "error", "compose file `missing.yaml` does not exist: `docker compose` fails before "
                                   "starting anything"),
        ("scripts/render.sh:2:35", "info", "compose file `out.yaml` is written by `scripts/render.sh` itself before "
                                           "it runs; the deployment is modelled without it"),
    ]
    deployment = project.deployments[0]
    assert deployment.files == ("compose.yaml",) and not deployment.complete
    assert [item.value for item in deployment.unresolved] == ["compose.gen.yaml", "missing.yaml"]


def test_config_deployment_naming_a_missing_file(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "deployments:\n  - [compose.yaml, prod.yaml]\n",
                          "compose.yaml": "services:\n  a:\n    image: x\n"})
    project = build_project(tmp_path, load_config(tmp_path))
    assert cl008(project) == [(".composelint.yaml:2:5", "error", "compose file `prod.yaml` does not exist: "
                               "`docker compose` fails before starting anything")]


def test_missing_env_file_is_a_warning_when_a_template_ships_with_the_repository(tmp_path):
    write_tree(tmp_path, {"compose.yaml": "services:\n  a:\n    image: x\n    env_file: [.env.app, other.env]\n",
                          ".env.app.example": "A=\n"})
    assert lint_lines(tmp_path, select=("CL008",)) == [
        "compose.yaml:4:16: CL008 warning: env_file `.env.app` does not exist: Compose refuses to start service 'a'",
        "compose.yaml:4:26: CL008 error: env_file `other.env` does not exist: Compose refuses to start service 'a'",
    ]


def test_an_invocation_in_a_directory_without_compose_files(tmp_path):
    write_tree(tmp_path, {"tools/Makefile": "up:\n\tdocker compose up\n",
                          "compose.yaml": "services:\n  a:\n    image: x\n"})
    project = build_project(tmp_path, Config())
    # docker compose looks in parent directories too: tools/ runs the root's compose.yaml
    assert summary(project) == [("automation", "tools/Makefile:2:2", ("compose.yaml",), (), "", (), ("a",))]


# ----------------------------------------------------------------------------- interpolation per deployment


def test_each_deployment_interpolates_with_its_own_env_and_problems_follow_the_deployments(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - files: [compose.yaml]\n    env-file: prod.env\n",
        "compose.yaml": "services:\n  a:\n    image: 'x:${TAG}'\n    environment:\n      B: ${ONLY_DEFAULT}\n",
        ".env": "ONLY_DEFAULT=1\n", "prod.env": "TAG=1.0\n"})
    project = build_project(tmp_path, load_config(tmp_path))
    assert project.deployments[0].services["a"].image.value == "x:1.0"
    # `.env` is not read when an env file is given: ONLY_DEFAULT is unset in the only deployment,
    # and TAG — unset in `.env` — is not reported, since no deployment reads the file that way
    assert lint_lines(tmp_path, select=("CL005",)) == [
        "compose.yaml:5:10: CL005 warning: variable `ONLY_DEFAULT` is not set; Compose substitutes an empty string"]
    # the file's own model still uses its directory's .env
    assert project.compose_files["compose.yaml"].services["a"].image.value == "x:"


def test_the_same_problem_seen_by_two_deployments_is_reported_once(tmp_path):
    write_tree(tmp_path, {
        "Makefile": "a:\n\tdocker compose -f compose.yaml up\nb:\n\tdocker compose -f compose.yaml --profile x up\n",
        "compose.yaml": "services:\n  a:\n    image: 'x:${UNSET}'\n"})
    assert lint_lines(tmp_path, select=("CL005",)) == [
        "compose.yaml:3:15: CL005 warning: variable `UNSET` is not set; Compose substitutes an empty string"]


# ----------------------------------------------------------------------------- the shell reader


def invocations(text: str):
    span = lambda token: Span("t.sh", Position(1, token.start + 1))  # noqa: E731
    return [inv for words, _ in command_tokens(text) for inv in find_invocations(words, span)]


@pytest.mark.parametrize("text, files, profiles, subcommand", [
    ("docker compose -f a.yml -f b.yml up -d", ["a.yml", "b.yml"], [], "up"),
    ("docker-compose --file=a.yml --profile=x --profile y up", ["a.yml"], ["x", "y"], "up"),
    ("sudo docker compose -fa.yml ps", ["a.yml"], [], "ps"),
    ("docker --context prod compose -f 'a b.yml' up", ["a b.yml"], [], "up"),
    ("COMPOSE_PROFILES=x docker compose up", [], [], "up"),
    ("echo docker compose -f a.yml up", [], [], None),
    ("docker compose \\\n  -f a.yml \\\n  up", ["a.yml"], [], "up"),
])
def test_reading_invocations(text, files, profiles, subcommand):
    found = invocations(text)
    if subcommand is None:
        assert found == []
        return
    invocation, = found
    assert [arg.text for arg in invocation.files] == files
    assert [arg.text for arg in invocation.profiles] == profiles
    assert invocation.subcommand == subcommand


def test_operators_split_commands_and_quotes_keep_variables_symbolic():
    found = invocations("cd x && docker compose -f \"$F\" up; docker compose -f '$LITERAL' down | tee log")
    assert [(arg.text, arg.symbolic) for inv in found for arg in inv.files] == [("$F", True), ("$LITERAL", False)]


def test_heredoc_bodies_are_not_commands():
    assert invocations("cat <<EOF\ndocker compose -f a.yml up\nEOF\n") == []


def test_written_files():
    assert {"out.yml", "gen.yaml", "copy.yml"} <= written_files(
        "x.sh", "envsubst < t > out.yml\nrender | tee gen.yaml\ncp base.yml copy.yml\n")


def test_make_variables_expand_recursively_and_unknown_ones_stay_symbolic():
    text = "A = -f one.yml\nB := $(A) -f two.yml\nB += --profile p\n\nup:\n\tdocker compose $(B) $(C) up\n"
    request, = automation_requests("Makefile", text)
    assert [arg.text for arg in request.files] == ["one.yml", "two.yml"]
    assert request.profiles == ("p",)
    assert [arg.text for arg in request.unresolved] == ["$(C)"]
    assert str(request.files[0].span) == "Makefile:1:8"  # where the expanded text is written


# ----------------------------------------------------------------------------- the command


def test_deployments_command_lists_sources_files_profiles_and_services():
    result = CliRunner().invoke(cli, ["deployments", str(SCENARIOS / "makefile")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "docker-compose.yml + docker-compose.prod.yml  (automation, Makefile:11)\n"
        "  command:    docker compose -f docker-compose.yml -f docker-compose.prod.yml up -d\n"
        "  files:      docker-compose.yml, docker-compose.prod.yml\n"
        "  project:    .\n"
        "  services:   api\n"
        "  inactive:   debugger (profiles: debug)\n")
    incident = CliRunner().invoke(cli, ["deployments", str(FIXTURES / "incident")])
    assert incident.output.rstrip().endswith("not deployed: docker-compose.infrastructure.yml")


def test_deployments_command_json():
    result = CliRunner().invoke(cli, ["deployments", str(SCENARIOS / "config"), "--format", "json"])
    data = json.loads(result.output)
    assert data["version"] == 1 and data["undeployed"] == ["compose.override.yaml"]
    production = data["deployments"][1]
    assert production["name"] == "production" and production["origin"] == {
        "path": ".composelint.yaml", "line": 4, "column": 5}
    assert production["env_files"] == ["deploy/production.env"] and production["profiles"] == ["monitoring"]
    assert {s["name"]: s["active"] for s in production["services"]} == {"web": True, "db": True, "metrics": True}


# ----------------------------------------------------------------------------- profiles


def test_profiles_from_the_project_env_the_star_and_targeted_services(tmp_path):
    write_tree(tmp_path, {
        ".env": "COMPOSE_PROFILES=debug\n",
        "compose.yaml": ("services:\n  web:\n    image: x\n  shell:\n    image: x\n    profiles: [debug]\n"
                         "  seed:\n    image: x\n    profiles: [tools]\n  docs:\n    image: x\n    profiles: [docs]\n"),
        "Makefile": ("all:\n\tdocker compose --profile '*' up\nseed:\n\tdocker compose run --rm -e A=1 seed sh\n"
                     "only-web:\n\tdocker compose --profile docs up web\n")})
    project = build_project(tmp_path, Config())
    assert [(d.profiles, d.targets, tuple(sorted(d.active))) for d in project.deployments] == [
        (("*",), (), ("docs", "seed", "shell", "web")),
        (("debug",), ("seed",), ("seed", "shell", "web")),  # COMPOSE_PROFILES applies; `run seed` enables tools
        (("docs",), ("web",), ("docs", "web")),
    ]
    assert all(d.files == ("compose.yaml",) for d in project.deployments)


# ----------------------------------------------------------------------------- hostile automation

_SHELLISH = st.text(alphabet=st.sampled_from(list("docker compose-f $(){}[]'\"\\\n\t;&|<>#=:.yml@+?!`~")),
                    max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=_SHELLISH, name=st.sampled_from(["Makefile", "x.mk", "run.sh", "justfile", "package.json",
                                             "Taskfile.yml", ".github/workflows/ci.yml", ".gitlab-ci.yml"]))
def test_reading_automation_never_raises(text, name):
    for request in automation_requests(name, "docker compose " + text):
        assert request.origin is not None and request.origin.line >= 1


_MARKDOWNISH = st.text(alphabet=st.sampled_from(list("docker compose stack-fc $`~>❯:\n\t\\ shbaonl#")), max_size=300)


@settings(max_examples=300, deadline=None)
@given(text=_MARKDOWNISH)
def test_reading_documents_and_sniffing_yaml_never_raises(text):
    from composelint.assembly.deployments import document_units
    from composelint.assembly.discovery import is_compose_content

    for request in automation_requests("docs/x.md", text, "documented", document_units("docs/x.md", text)):
        assert request.origin is not None and request.origin.line >= 1
    assert is_compose_content(text) in (True, False)
    assert is_compose_content(text, complete=False) in (True, False, None)


def test_make_variables_that_double_at_every_level_stay_bounded():
    lines = ["V0 = -f a.yml"] + [f"V{i} = $(V{i - 1}) $(V{i - 1})" for i in range(1, 40)]
    text = "\n".join(lines) + "\n\nup:\n\tdocker compose $(V39) up\n"
    request, = automation_requests("Makefile", text)
    assert len(request.command) < 200_000


# ----------------------------------------------------------------------------- environment of the invocation

SERVICES = "services:\n  web:\n    image: nginx:1.27\n  debug:\n    image: busybox:1.36\n    profiles: [debug]\n"


def test_exported_compose_variables_reach_later_invocations_of_a_script(tmp_path):
    write_tree(tmp_path, {"a.yml": SERVICES, "compose.yaml": SERVICES,
                          "run.sh": ("export COMPOSE_FILE=a.yml COMPOSE_PROFILES=debug\ndocker compose up -d\n"
                                     "unset COMPOSE_FILE\ndocker compose up -d\n")})
    project = build_project(tmp_path, Config())
    assert summary(project) == [
        ("automation", "run.sh:2:1", ("a.yml",), ("debug",), "", (), ("debug", "web")),
        ("automation", "run.sh:4:1", ("compose.yaml",), ("debug",), "", (), ("debug", "web"))]


def test_compose_file_in_a_workflow_env_at_workflow_job_and_step_level(tmp_path):
    write_tree(tmp_path, {
        "a.yml": SERVICES, "b.yml": SERVICES, "c.yml": SERVICES, "ci.env": "X=1\n",
        ".github/workflows/ci.yml": (
            "env:\n  COMPOSE_FILE: a.yml\n"
            "jobs:\n"
            "  one:\n    runs-on: ubuntu-latest\n    steps:\n      - run: docker compose up -d\n"
            "  two:\n    runs-on: ubuntu-latest\n    env:\n      COMPOSE_FILE: b.yml\n      COMPOSE_ENV_FILES: ci.env\n"
            "    steps:\n      - run: docker compose up -d\n"
            "      - env:\n          COMPOSE_FILE: \"c.yml:${{ matrix.extra }}.yml\"\n          COMPOSE_PROFILES: debug\n"
            "        run: docker compose up -d\n")})
    project = build_project(tmp_path, Config())
    assert summary(project) == [
        ("automation", ".github/workflows/ci.yml:7:14", ("a.yml",), (), "", (), ("web",)),
        ("automation", ".github/workflows/ci.yml:14:14", ("b.yml",), (), "", ("ci.env",), ("web",)),
        ("automation", ".github/workflows/ci.yml:18:14", ("c.yml",), ("debug",), "", ("ci.env",),
         ("debug", "web"))]
    assert [item.value for item in project.deployments[2].unresolved] == ["${{ matrix.extra }}.yml"]
    assert str(project.deployments[2].unresolved[0].span) == ".github/workflows/ci.yml:16:25"  # the env entry


def test_compose_file_in_gitlab_variables(tmp_path):
    write_tree(tmp_path, {
        "a.yml": SERVICES, "b.yml": SERVICES,
        ".gitlab-ci.yml": ("variables:\n  COMPOSE_FILE: a.yml\n"
                           "test:\n  script:\n    - docker compose up -d\n"
                           "deploy:\n  variables:\n    COMPOSE_FILE:\n      value: b.yml\n      description: files\n"
                           "  script:\n    - docker compose up -d\n")})
    project = build_project(tmp_path, Config())
    assert [(d.origin and str(d.origin), d.files) for d in project.deployments] == [
        (".gitlab-ci.yml:5:7", ("a.yml",)), (".gitlab-ci.yml:12:7", ("b.yml",))]


# ----------------------------------------------------------------------------- Swarm


def test_docker_stack_deploy_is_a_swarm_deployment(tmp_path):
    write_tree(tmp_path, {
        "stack.yml": SERVICES, "stack.prod.yml": "services:\n  web:\n    deploy:\n      replicas: 3\n",
        "deploy/release.sh": ("cd \"$(dirname \"$0\")/..\"\n"
                              "docker stack deploy --with-registry-auth -c stack.yml --compose-file=stack.prod.yml "
                              "--prune shop\n"
                              "docker stack deploy -c missing.yml shop\n")})
    project = build_project(tmp_path, Config())
    deployment, = project.deployments
    assert (deployment.source, str(deployment.origin), deployment.files, deployment.orchestrator) == (
        "automation", "deploy/release.sh:2:1", ("stack.yml", "stack.prod.yml"), "swarm")
    assert deployment.swarm and deployment.name == "stack.yml + stack.prod.yml (stack shop)"
    assert deployment.services["web"].node.get("deploy") is not None  # merged as -f merges
    assert cl008(project) == [("deploy/release.sh:3:24", "error", "compose file `missing.yml` does not exist: "
                               "`docker compose` fails before starting anything")]
    listing = CliRunner().invoke(cli, ["deployments", str(tmp_path)]).output
    data = json.loads(CliRunner().invoke(cli, ["deployments", str(tmp_path), "--format", "json"]).output)
    assert [item["orchestrator"] for item in data["deployments"]] == ["swarm"]
    assert "stack.yml + stack.prod.yml (stack shop)  (automation, deploy/release.sh:2)\n" in listing
    assert "  runs on:    Swarm (`docker stack deploy`: build, container_name, depends_on and restart are " \
           "ignored; deploy.* applies)\n" in listing


@pytest.mark.parametrize("text, files, stack", [
    ("docker stack deploy -c a.yml app", ["a.yml"], "app"),
    ("docker stack up --compose-file a.yml -c b.yml app", ["a.yml", "b.yml"], "app"),
    ("docker -H ssh://prod stack deploy --detach=false -ca.yml app", ["a.yml"], "app"),
    ("docker stack deploy --resolve-image never -c=a.yml app", ["a.yml"], "app"),
    ("docker stack ls", None, None),
    ("docker stack deploy --bundle-file app.dab app", None, None),
])
def test_reading_stack_deploy(text, files, stack):
    found = invocations(text)
    if files is None:
        assert found == []
        return
    invocation, = found
    assert invocation.orchestrator == "swarm"
    assert [arg.text for arg in invocation.files] == files and invocation.project_name.text == stack


# ----------------------------------------------------------------------------- working directories


def test_pushd_popd_and_a_script_run_from_the_repository_root(tmp_path):
    """Kong's tests/01-image.test.sh: run from the root by the Makefile, it does `pushd compose`."""
    write_tree(tmp_path, {
        "compose/docker-compose.yml": SERVICES,
        "tests/image.test.sh": ("pushd compose\ndocker compose up -d\ndocker compose kill\npopd\n"
                                "export COMPOSE_PROFILES=debug\npushd compose\n"
                                "curl -fsSL https://example.com/old.yml | docker compose -p kong -f - up -d\n"
                                "docker compose -p kong up -d\npopd\ncd compose\ncd -\ndocker compose -f compose/docker-compose.yml ps\n")})
    project = build_project(tmp_path, Config())
    assert cl008(project) == []  # neither `tests/compose` nor `-f -` (standard input) is an error
    assert summary(project) == [
        ("automation", "tests/image.test.sh:2:1", ("compose/docker-compose.yml",), (), "compose", (), ("web",)),
        ("automation", "tests/image.test.sh:8:1", ("compose/docker-compose.yml",), ("debug",), "compose", (),
         ("debug", "web"))]


# ----------------------------------------------------------------------------- documented commands

README = """# shop

Start it:

```console
$ docker compose -f compose.yaml -f compose.prod.yaml up -d
[+] Running 2/2
docker compose -f compose.yaml --profile debug up
me@box:~/shop$ docker compose -f path/to/your-override.yml up
```

```sh
# the stack
docker stack deploy \\
  -c compose.yaml shop
```

    ```bash
    $ KONG_DATABASE=postgres docker compose --profile debug up -d
    ```

```
docker compose -f missing.yml up
echo docker compose -f compose.yaml up
```

```yaml
services: {}
```
"""


def test_commands_documented_in_a_readme_are_deployments(tmp_path):
    write_tree(tmp_path, {"compose.yaml": SERVICES, "compose.prod.yaml": "services:\n  web:\n    restart: always\n",
                          "README.md": README, "docs/guide.md": "```shell\ncd app && docker compose up -d\n```\n",
                          "app/compose.yaml": SERVICES})
    project = build_project(tmp_path, Config())
    assert cl008(project) == []  # what the docs show but the repository does not hold is not an error
    assert [(d.source, str(d.origin), d.files, d.profiles, d.orchestrator) for d in project.deployments] == [
        ("documented", "README.md:6:3", ("compose.yaml", "compose.prod.yaml"), (), "compose"),
        ("documented", "README.md:14:1", ("compose.yaml",), (), "swarm"),
        ("documented", "README.md:19:30", ("compose.yaml",), ("debug",), "compose"),
        ("documented", "docs/guide.md:2:11", ("app/compose.yaml",), (), "compose")]
    listing = CliRunner().invoke(cli, ["deployments", str(tmp_path)]).output
    assert "compose.yaml + compose.prod.yaml  (documented, README.md:6)\n" \
           "  command:    docker compose -f compose.yaml -f compose.prod.yaml up -d\n" in listing


def test_automation_wins_over_documentation_and_documentation_over_defaults(tmp_path):
    write_tree(tmp_path, {"compose.yaml": SERVICES, "Makefile": "up:\n\tdocker compose up -d\n",
                          "README.md": "```sh\ndocker compose up -d\n```\n",
                          "sub/compose.yaml": SERVICES, "sub/README.md": "```sh\ndocker compose up -d\n```\n",
                          "other/compose.yaml": SERVICES})
    project = build_project(tmp_path, Config())
    assert [(d.source, d.origin and str(d.origin), d.files) for d in project.deployments] == [
        ("automation", "Makefile:2:2", ("compose.yaml",)),
        ("documented", "sub/README.md:2:1", ("sub/compose.yaml",)),
        ("default", None, ("other/compose.yaml",))]


def test_documented_commands_outside_shell_blocks_or_without_compose_files_are_ignored(tmp_path):
    write_tree(tmp_path, {"app/compose.yaml": SERVICES,
                          "app/README.md": "Run `docker compose --profile debug up`.\n\n```text\ndocker compose up\n```\n",
                          "docs/faq.md": "```sh\ndocker compose up -d mailserver\n```\n"})
    project = build_project(tmp_path, Config())
    assert [(d.source, d.files) for d in project.deployments] == [("default", ("app/compose.yaml",))]


def test_a_docs_page_runs_the_compose_file_of_the_repository_root(tmp_path):
    write_tree(tmp_path, {"docker-compose.yml": SERVICES, "docker-compose-separate.yml": SERVICES,
                          "docs/README.md": ("```console\ndocker compose --file docker-compose-separate.yml up\n"
                                             "curl -H 'Host: x' localhost\n```\n\n"
                                             "```console\ndocker compose --profile debug up\n```\n")})
    project = build_project(tmp_path, Config())
    assert [(d.source, str(d.origin), d.files, d.profiles) for d in project.deployments] == [
        ("documented", "docs/README.md:2:1", ("docker-compose-separate.yml",), ()),
        ("documented", "docs/README.md:7:1", ("docker-compose.yml",), ("debug",))]  # no default besides it


def test_under_swarm_the_ordering_help_does_not_suggest_depends_on(tmp_path):
    write_tree(tmp_path, {"deploy.sh": "docker stack deploy -c stack.yml shop\n",
                          "stack.yml": ("services:\n  api:\n    image: api:1\n    environment:\n"
                                        "      DB_HOST: db\n  db:\n    image: postgres:16\n")})
    from helpers import lint

    finding, = [d for d in lint(tmp_path, select=("CL107",)).diagnostics]
    assert finding.help == ("make 'api' retry until `db` answers: Swarm (`docker stack deploy`) ignores `depends_on` "
                            "and starts every service at once")


def test_a_documented_command_that_needs_the_override_made_from_a_template_is_not_modelled(tmp_path):
    """zulip: the docs' `docker compose exec zulip …` runs compose.yaml with the compose.override.yaml
    the reader copies from compose.override.yaml.example; compose.yaml alone lacks its secrets. The
    default deployment takes the template in the override's place; the documented command adds nothing."""
    write_tree(tmp_path, {"compose.yaml": SERVICES, "compose.override.yaml.example": "services:\n  web: {}\n",
                          "docs/backups.md": "```sh\ndocker compose exec web backup\n```\n"})
    project = build_project(tmp_path, Config())
    assert [(d.source, d.files) for d in project.deployments] == [
        ("default", ("compose.yaml", "compose.override.yaml.example"))]


def test_compose_file_exported_by_a_makefile(tmp_path):
    write_tree(tmp_path, {"compose.yaml": SERVICES, "prod.yaml": "services:\n  web:\n    restart: always\n",
                          "Makefile": ("ENV ?= prod\nexport COMPOSE_FILE := compose.yaml:$(ENV).yaml\n"
                                       "export COMPOSE_PROFILES = debug\n\nup:\n\tdocker compose up -d\n")})
    project = build_project(tmp_path, Config())
    assert summary(project) == [
        ("automation", "Makefile:6:2", ("compose.yaml", "prod.yaml"), ("debug",), "", (), ("debug", "web"))]


def test_document_units_keep_prompted_lines_of_a_session_where_they_are_written():
    from composelint.assembly.deployments import document_units

    text = ("# x\n\n```console\nme@box:~/shop$ docker compose \\\n  -f a.yml up\nStarting...\n❯ cd sub\n```\n"
            "```python\ndocker = 1\n```\n")
    unit, = document_units("docs/x.md", text)
    assert unit.text == "docker compose \\\n  -f a.yml up\ncd sub"
    assert [unit.position(0), unit.position(unit.text.index("-f")), unit.position(unit.text.index("cd"))] == [
        (4, 16), (5, 3), (7, 3)]
    assert unit.cwd == "docs" and unit.fallback_dirs == ("",)


def test_a_documented_command_that_starts_nothing_shows_no_deployment(tmp_path):
    write_tree(tmp_path, {"compose.yaml": SERVICES,
                          "README.md": "```sh\ndocker compose --profile debug down\ndocker compose --profile debug ps\n```\n"})
    project = build_project(tmp_path, Config())
    assert [(d.source, d.profiles) for d in project.deployments] == [("default", ())]


# ----------------------------------------------------------------------------- every service is linted (issue 13 §3)


def full(tmp_path, select) -> list[tuple[str, str, list[str]]]:
    from composelint.config import Config
    from composelint.engine import run

    project = build_project(tmp_path, Config())
    result = run(project, Config(select=tuple(select)))
    return [(f"{d.span.path}:{d.span.line}:{d.span.column}", d.code, [r.message for r in d.related])
            for d in result.diagnostics]


def test_a_service_of_a_profile_no_deployment_enables_is_linted_with_its_profile(tmp_path):
    write_tree(tmp_path, {"compose.yaml": (
        "services:\n  web:\n    image: nginx:1.27\n    mem_limit: 1g\n    cpus: 1\n"
        "  gpu:\n    image: registry.example.com/gpu:latest\n    profiles: [gpu]\n    privileged: true\n"
        "    ports: ['8080:80']\n"
        "  debug:\n    image: busybox:1.36\n    profiles: [debug]\n    mem_limit: 1g\n    cpus: 1\n"
        "    ports: ['8080:80']\n")})
    project = build_project(tmp_path, Config())
    assert [(d.kind, d.parent, d.profiles, tuple(sorted(d.focus))) for d in project.variants] == [
        ("profile", "compose.yaml", ("debug",), ("debug",)), ("profile", "compose.yaml", ("gpu",), ("gpu",))]
    assert full(tmp_path, ("CL102", "CL301", "CL304", "CL306", "CL308")) == [
        ("compose.yaml:6:3", "CL301", ["service 'gpu' runs only with `--profile gpu`"]),
        ("compose.yaml:7:12", "CL304", ["service 'gpu' runs only with `--profile gpu`"]),
        ("compose.yaml:9:17", "CL306", ["service 'gpu' runs only with `--profile gpu`"]),
    ]  # the two profiles' services share a port, but one profile never starts the other's service


def test_start_commands_of_a_profile_service_are_checked_and_say_so(tmp_path):
    write_tree(tmp_path, {"compose.yaml": (
        "services:\n  web:\n    image: nginx:1.27\n  seed:\n    image: python:3.12-slim\n    profiles: [tools]\n"
        "    command: sh -c 'pip install requests && python seed.py'\n")})
    assert full(tmp_path, ("CL201",)) == [
        ("compose.yaml:7:21", "CL201", ["service 'seed' runs only with `--profile tools`"])]


def test_a_file_no_deployment_runs_is_linted_standalone_with_its_directory_env(tmp_path):
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    mem_limit: 1g\n    cpus: 1\n",
        "deploy/.env": "TAG=latest\n",
        "deploy/production.yml.d/compose.prod.yaml": "services: {}\n",
        "deploy/compose.prod.yaml": "services:\n  api:\n    image: registry.example.com/api:${TAG}\n"
                                    "    mem_limit: 1g\n    cpus: 1\n    environment:\n"
                                    "      WORKER_URL: http://worker:80\n  worker:\n    image: busybox\n"})
    project = build_project(tmp_path, Config())
    standalone, = [v for v in project.variants if v.files == ("deploy/compose.prod.yaml",)]
    assert (standalone.kind, standalone.project_dir, standalone.services["api"].image.value) == (
        "standalone", "deploy", "registry.example.com/api:latest")
    assert full(tmp_path, ("CL102", "CL304")) == [
        ("deploy/compose.prod.yaml:2:3", "CL102", []),
        ("deploy/compose.prod.yaml:8:3", "CL102", []),
        ("deploy/compose.prod.yaml:9:12", "CL304",
         ["no deployment runs `deploy/compose.prod.yaml`: linted standalone"])]
    # nothing deployed needs them (`api` addressing `worker` of its own file does not count): info
    assert [line.split(" service")[0] for line in lint_lines(tmp_path, select=("CL102",))] == [
        "deploy/compose.prod.yaml:2:3: CL102 info:", "deploy/compose.prod.yaml:8:3: CL102 info:"]


def test_an_override_fragment_is_linted_merged_over_the_deployment_it_layers_on(tmp_path):
    write_tree(tmp_path, {
        "compose.yaml": ("services:\n  web:\n    build: ./web\n    mem_limit: 1g\n    cpus: 1\n"
                         "  db:\n    image: postgres:16\n    mem_limit: 1g\n    cpus: 1\n"),
        "web/Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"app.py\"]\n",
        "web/app.py": "print('hi')\n",
        "ci/compose.yaml": ("services:\n  web:\n    command: sh -c 'pip install -r requirements.txt && python app.py'\n"
                            "    depends_on: [db]\n    env_file: ci/test.env\n    restart: always\n"),
        "ci/test.env": "A=1\n"})
    project = build_project(tmp_path, Config())
    assert [d.files for d in project.deployments] == [("compose.yaml",)]  # `docker compose up` in ci/ fails
    fragment, = project.variants
    assert (fragment.kind, fragment.parent, fragment.files, fragment.project_dir) == (
        "fragment", "compose.yaml", ("compose.yaml", "ci/compose.yaml"), "")
    assert fragment.services["web"].build.context_path == "web"  # the base's build, its paths from the base
    # no schema error for the partial `web`, no undefined `db`, no missing env file (`ci/test.env` is
    # relative to the project directory); the fragment's own findings at its own lines
    assert lint_lines(tmp_path, select=("CL0", "CL1", "CL201", "CL302")) == [
        "ci/compose.yaml:3:21: CL201 error: service 'web' runs `pip install -r requirements.txt` every time it "
        "starts: every restart reinstalls, needs the network and may get other versions",
        "ci/compose.yaml:6:14: CL302 warning: service 'web' restarts without limit (`restart: always`) and it "
        "has no healthcheck: a broken service crash-loops forever, burning CPU, and nothing reports it unhealthy"]
    result = CliRunner().invoke(cli, ["deployments", str(tmp_path)])
    assert "also linted:\n  ci/compose.yaml  fragment of compose.yaml  (services: web)\n" in result.output
    assert result.output.rstrip().endswith("not deployed: ci/compose.yaml")
    data = json.loads(CliRunner().invoke(cli, ["deployments", str(tmp_path), "--format", "json"]).output)
    assert data["variants"] == [{"name": "ci/compose.yaml over compose.yaml", "kind": "fragment",
                                 "parent": "compose.yaml", "file": "ci/compose.yaml",
                                 "files": ["compose.yaml", "ci/compose.yaml"], "profiles": [], "services": ["web"],
                                 "how": "fragment of compose.yaml"}]


def test_a_fragment_without_a_base_lints_only_the_services_it_defines_whole(tmp_path):
    write_tree(tmp_path, {"extra/compose.ci.yaml": (
        "services:\n  web:\n    environment: [A=1]\n  smtp:\n    image: mailhog/mailhog\n")})
    project = build_project(tmp_path, Config())
    fragment, = project.variants
    assert (fragment.kind, fragment.parent, fragment.focus) == ("fragment", None, frozenset({"smtp"}))
    assert [line.split(": ", 1)[0] for line in lint_lines(tmp_path, select=("CL3",))] == [
        "extra/compose.ci.yaml:4:3", "extra/compose.ci.yaml:5:12"]  # smtp's limits and tag, not web's


def test_an_override_template_stands_in_for_the_override_that_is_not_committed(tmp_path):
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  app:\n    image: zulip/docker-zulip:11.0\n    secrets: [key]\n",
        "compose.override.yaml.example": "secrets:\n  key:\n    environment: KEY\n"
                                         "services:\n  app:\n    environment:\n      HOST: example.com\n"})
    project = build_project(tmp_path, Config())
    deployment, = project.deployments
    assert deployment.files == ("compose.yaml", "compose.override.yaml.example")
    assert lint_lines(tmp_path, select=("CL106",)) == []
    result = CliRunner().invoke(cli, ["deployments", str(tmp_path)])
    assert "  note:       `compose.override.yaml.example` stands in for `compose.override.yaml`, which is not " \
           "committed: users copy it into place before `docker compose up`\n" in result.output
    # once the real override exists, it is the one
    write_tree(tmp_path, {"compose.override.yaml": "secrets:\n  key:\n    environment: KEY\n"})
    assert build_project(tmp_path, Config()).deployments[0].files == ("compose.yaml", "compose.override.yaml")


def test_a_documented_cd_into_the_readers_clone_stays_at_the_root(tmp_path):
    """temporalio/docker-compose: `git clone …/docker-compose.git`, `cd docker-compose`, then
    `docker-compose -f docker-compose-mysql-es.yml up` — the clone is this repository's root."""
    write_tree(tmp_path, {"docker-compose.yml": SERVICES, "docker-compose-mysql.yml": SERVICES,
                          "README.md": ("```bash\ngit clone https://github.com/example/docker-compose.git\n"
                                        "cd docker-compose\ndocker-compose up\n```\n\n"
                                        "```bash\ndocker-compose -f docker-compose-mysql.yml up\n```\n")})
    project = build_project(tmp_path, Config())
    assert [(d.source, str(d.origin), d.files) for d in project.deployments] == [
        ("documented", "README.md:4:1", ("docker-compose.yml",)),
        ("documented", "README.md:8:1", ("docker-compose-mysql.yml",))]


def test_a_workflow_step_name_that_quotes_a_command_is_not_run():
    text = ("on: push\njobs:\n  up:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - name: docker compose -f old.yml up\n        run: docker compose -f compose.yaml up -d\n")
    requests = automation_requests(".github/workflows/ci.yml", text)
    # was two: the step's `name:` was read as shell too, and named a file that may not exist (CL008)
    assert [[arg.text for arg in request.files] for request in requests] == [["compose.yaml"]]
