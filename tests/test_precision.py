"""Issue 13 §4 and the real-corpus false errors: each case here was an error on a real repository and
must not be (or was silent and must not stay so). Each case is modelled on the repository it came from."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from helpers import lint, lint_lines, write_tree

from composelint.cli import cli

# --------------------------------------------------------------------------- 1. ${VAR:?} and the environment

REQUIRED = """\
services:
  web:
    image: "${IMAGE:?set IMAGE}"
"""


def test_required_variable_in_a_known_environment_is_an_error(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": REQUIRED, ".env": "OTHER=1\n"})
    assert lint_lines(tmp_path, select=("CL005",)) == [
        "compose.yaml:3:13: CL005 error: required variable `IMAGE` is not set: set IMAGE"]


def test_required_variable_with_no_env_committed_is_a_deploy_time_warning(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": REQUIRED})
    assert lint_lines(tmp_path, select=("CL005",)) == [
        "compose.yaml:3:13: CL005 warning: required variable `IMAGE` is not set: set IMAGE; no .env or example "
        "env file is committed, so it must be set at deploy time"]


def test_an_example_env_file_defines_the_variable_silently(tmp_path: Path):
    for name in (".env.example", ".env.sample", ".env.dist", ".env.template", "example.env", "env.example",
                 "sample.env"):
        root = write_tree(tmp_path / name.strip("."), {"compose.yaml": REQUIRED, name: "IMAGE=nginx:1.27\n"})
        assert lint_lines(root, select=("CL005", "CL002")) == [], name


def test_an_example_that_lacks_the_variable_is_named(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": REQUIRED, "env.example": "OTHER=1\n"})
    assert lint_lines(tmp_path, select=("CL005",)) == [
        "compose.yaml:3:13: CL005 warning: required variable `IMAGE` is not set: set IMAGE; no .env is committed "
        "and `env.example` does not define it, so it must be set at deploy time"]


MATTERMOST = """\
services:
  mattermost:
    image: mattermost/mattermost-enterprise-edition:${MATTERMOST_IMAGE_TAG:?tag}
    container_name: "${CONTAINER_NAME}"
    read_only: ${MATTERMOST_CONTAINER_READONLY}
    ports:
      - ${CALLS_PORT}:${CALLS_PORT}/udp
    volumes:
      - ${MATTERMOST_CONFIG_PATH}:/mattermost/config:rw
"""


def test_example_values_interpolate_an_unknown_environment(tmp_path: Path):
    """mattermost/docker: no .env, an env.example: its values, not "", fill the schema-checked fields."""
    write_tree(tmp_path, {"docker-compose.yml": MATTERMOST, "env.example": (
        "MATTERMOST_IMAGE_TAG=10.5\nCONTAINER_NAME=mattermost\nMATTERMOST_CONTAINER_READONLY=false\n"
        "CALLS_PORT=8443\nMATTERMOST_CONFIG_PATH=./volumes/app/mattermost/config\n")})
    assert lint_lines(tmp_path, select=("CL002", "CL005")) == []


def test_no_schema_error_on_a_value_emptied_by_an_unknown_variable(tmp_path: Path):
    """penpot's devenv: variables set by its scripts, no .env: the blanks are the deployer's to fill."""
    write_tree(tmp_path, {"docker-compose.yml": MATTERMOST})
    lines = lint_lines(tmp_path, select=("CL002", "CL005"))
    assert [line for line in lines if " CL002 " in line] == []
    assert all(" warning: " in line for line in lines) and len(lines) == 6


def test_schema_errors_stay_when_the_environment_is_known(tmp_path: Path):
    write_tree(tmp_path, {"docker-compose.yml": MATTERMOST, ".env": "MATTERMOST_IMAGE_TAG=10.5\n"})
    schema = [line for line in lint_lines(tmp_path, select=("CL002",))]
    assert schema == [
        "docker-compose.yml:4:21: CL002 error: `services.mattermost.container_name` must be a container name of "
        "letters, digits, `_`, `.` and `-`, starting with a letter or digit, not an empty string",
        "docker-compose.yml:5:16: CL002 error: `services.mattermost.read_only` must be a boolean (`true` or "
        "`false`), not an empty string",
        "docker-compose.yml:7:9: CL002 error: `services.mattermost.ports[0]` is not a valid port mapping "
        "(`:/udp`): the container port is missing",
        "docker-compose.yml:9:9: CL002 error: `services.mattermost.volumes[0]` is not a valid volume "
        "(`:/mattermost/config:rw`): it has an empty section between colons"]


def test_required_variable_in_an_undeployed_file_is_a_warning(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": "services:\n  app:\n    image: nginx:1.27\n", ".env": "A=1\n",
                          "extra/docker-compose.later.yml": REQUIRED, "extra/.env": "A=1\n"})
    lines = lint_lines(tmp_path, select=("CL005",))
    assert lines == ["extra/docker-compose.later.yml:3:13: CL005 warning: required variable `IMAGE` is not set: "
                     "set IMAGE"]


def test_required_variable_of_a_ci_deployment_is_a_warning(tmp_path: Path):
    """zulip/docker-zulip ci/base.yaml: the workflow job sets GITHUB_CI_IMAGE in its env: block."""
    write_tree(tmp_path, {
        "compose.yaml": "services:\n  zulip:\n    image: zulip/docker-zulip:11.0-0\n",
        "ci/base.yaml": "services:\n  zulip:\n    image: \"${GITHUB_CI_IMAGE:?error}\"\n",
        "ci/base.env": "SETTING=1\n",
        ".github/workflows/test.yaml": (
            "jobs:\n  test:\n    runs-on: ubuntu-latest\n    env:\n      GITHUB_CI_IMAGE: zulip:pr\n    steps:\n"
            "      - run: docker compose -f compose.yaml -f ci/base.yaml --env-file ci/base.env up -d\n")})
    assert lint_lines(tmp_path, select=("CL005",)) == [
        "ci/base.yaml:3:13: CL005 warning: required variable `GITHUB_CI_IMAGE` is not set: error; no env file it "
        "is interpolated with sets it, so the automation at .github/workflows/test.yaml:7 must export it"]


def test_configured_env_file_makes_the_environment_known(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": REQUIRED, "ci/lint.env": "OTHER=1\n",
                          ".composelint.yaml": "env-file: ci/lint.env\n"})
    assert lint_lines(tmp_path, select=("CL005",)) == [
        "compose.yaml:3:13: CL005 error: required variable `IMAGE` is not set: set IMAGE"]
    (tmp_path / "ci/lint.env").write_text("IMAGE=nginx:1.27\n", encoding="utf-8")
    assert lint_lines(tmp_path, select=("CL005",)) == []


def test_missing_configured_env_file_is_reported(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": REQUIRED, ".composelint.yaml": "env-file: [ci/lint.env]\n"})
    lines = lint_lines(tmp_path, select=("CL008",))
    assert lines == [".composelint.yaml:1:1: CL008 error: env file `ci/lint.env` (named by `env-file` in the "
                     "configuration) does not exist: interpolation goes on without it"]


def test_cli_env_file_is_repeatable_and_may_live_outside_the_project(tmp_path: Path):
    root = write_tree(tmp_path / "repo", {"compose.yaml": (
        "services:\n  web:\n    image: \"${IMAGE:?set IMAGE}\"\n    environment:\n      T: ${TOKEN:?x}\n")})
    outside = write_tree(tmp_path / "secrets", {"a.env": "IMAGE=nginx:1.27\nTOKEN=\n", "b.env": "TOKEN=t\n"})
    runner = CliRunner()
    base = ["check", str(root), "--select", "CL005", "--format", "concise", "--no-cache"]
    result = runner.invoke(cli, base + ["--env-file", str(outside / "a.env")])
    assert result.output.splitlines()[0] == "compose.yaml:5:10: CL005 error: required variable `TOKEN` is empty: x"
    result = runner.invoke(cli, base + ["--env-file", str(outside / "a.env"), "--env-file", str(outside / "b.env")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, base + ["--env-file", str(outside / "missing.env")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_required_variable_a_script_exports_is_a_warning_and_one_it_does_not_an_error(tmp_path: Path):
    files = {"compose.yaml": REQUIRED, ".env": "OTHER=1\n",
             "deploy.sh": "#!/bin/sh\nexport IMAGE=nginx:1.27\ndocker compose up -d\n"}
    write_tree(tmp_path / "exports", files)
    assert [line.split(": ", 2)[1] for line in lint_lines(tmp_path / "exports", select=("CL005",))] == [
        "CL005 warning"]
    files["deploy.sh"] = "#!/bin/sh\ndocker compose up -d\n"
    write_tree(tmp_path / "silent", files)
    assert lint_lines(tmp_path / "silent", select=("CL005",)) == [
        "compose.yaml:3:13: CL005 error: required variable `IMAGE` is not set: set IMAGE"]


# --------------------------------------------------------------------------- 2. a comment-only layer

BASE = "services:\n  web:\n    image: nginx:1.27\n"


def test_comment_only_file_layered_with_f_is_skipped_as_compose_does(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": BASE, "compose.extras.yaml": "# local additions go here\n",
                          "up.sh": "#!/bin/sh\ndocker compose -f compose.yaml -f compose.extras.yaml up -d\n"})
    assert lint_lines(tmp_path, select=("CL001",)) == []


def test_a_deployment_of_only_empty_files_is_an_error(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": "# nothing yet\n", "compose.override.yaml": "\n"})
    assert lint_lines(tmp_path, select=("CL001",)) == [
        "compose.yaml:1:1: CL001 error: the compose file is only comments: Compose refuses an empty file"]


def test_an_empty_file_no_deployment_runs_is_a_note(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": BASE, "compose.extras.yaml": "# local additions go here\n"})
    assert lint_lines(tmp_path, select=("CL001",)) == [
        "compose.extras.yaml:1:1: CL001 info: the compose file is only comments: Compose refuses it alone "
        "(layered with -f over another file, it adds nothing)"]


# --------------------------------------------------------------------------- files the automation creates

ENV_FILE_COMPOSE = "services:\n  server:\n    image: redash/redash:25.1.0\n    env_file: .env\n"


def test_env_file_the_makefile_creates_is_not_missing(tmp_path: Path):
    """getredash/redash: a `.env:` target with `printf … >> .env`, and `compose_build: .env`."""
    write_tree(tmp_path, {"compose.yaml": ENV_FILE_COMPOSE, "Makefile": (
        "compose_build: .env\n\tdocker compose build\n\n.env:\n\tprintf \"SECRET=%s\\n\" x >> .env\n")})
    assert lint_lines(tmp_path, select=("CL008",)) == [
        "compose.yaml:4:15: CL008 info: env_file `.env` is not in the repository: `make .env` (Makefile:4) creates "
        "it, so service 'server' starts only after that step"]
    assert [[ref.name for ref in d.services] for d in lint(tmp_path, select=("CL008",)).diagnostics] == [["server"]]


def test_env_file_a_script_or_the_readme_copies_from_the_example(tmp_path: Path):
    write_tree(tmp_path / "script", {"compose.yaml": ENV_FILE_COMPOSE, "env.example": "A=1\n",
                                     "scripts/setup.sh": "#!/bin/sh\ncd ..\ncp env.example .env\n"})
    assert [line.split(": ", 2)[1] for line in lint_lines(tmp_path / "script", select=("CL008",))] == [
        "CL008 info"]
    write_tree(tmp_path / "readme", {"compose.yaml": ENV_FILE_COMPOSE, "env.example": "A=1\n", "README.md": (
        "# Setup\n\n```console\n$ cp env.example .env\n$ docker compose up -d\n```\n")})
    assert lint_lines(tmp_path / "readme", select=("CL008",)) == [
        "compose.yaml:4:15: CL008 info: env_file `.env` is not in the repository: `cp env.example .env` "
        "(README.md:4) creates it, so service 'server' starts only after that step"]


def test_env_file_nothing_creates_is_still_an_error(tmp_path: Path):
    write_tree(tmp_path, {"compose.yaml": ENV_FILE_COMPOSE, "Makefile": "up:\n\tdocker compose up -d\n"})
    assert lint_lines(tmp_path, select=("CL008",)) == [
        "compose.yaml:4:15: CL008 error: env_file `.env` does not exist: Compose refuses to start service 'server'"]


# --------------------------------------------------------------------------- 3. build contexts: assumed, named, created

WILDCARD = "FROM node:20-alpine\nWORKDIR /app\nCOPY common/*.js ./\nCOPY common/util.js ./lib/\nCMD [\"node\", \"index.js\"]\n"


def test_wildcard_source_resolves_the_assumed_context_like_a_literal_one(tmp_path: Path):
    """No one builds svc/docker/Dockerfile: a parent directory that has common/ may be its context."""
    write_tree(tmp_path, {"svc/docker/Dockerfile": WILDCARD, "common/util.js": "x\n", "common/index.js": "x\n"})
    assert lint_lines(tmp_path, select=("CL406",)) == []


def test_missing_source_under_an_assumed_context_is_a_warning(tmp_path: Path):
    """Kong kong-build-tools/test/Dockerfile.test:32 `COPY kong /kong`: nothing says how it is built."""
    write_tree(tmp_path, {"test/Dockerfile.test": "FROM ubuntu:24.04\nCOPY kong /kong\nCMD [\"/kong/bin/kong\"]\n"})
    assert lint_lines(tmp_path, select=("CL406", "CL203")) == [
        "test/Dockerfile.test:2:6: CL406 warning: `COPY` source `kong` is not in the build context `test` (assumed: "
        "nothing in the repository says which context builds this Dockerfile): the build fails with \"not found\"",
        "test/Dockerfile.test:3:7: CL203 warning: the image runs the program `/kong/bin/kong`, which is not in the "
        "container: the build context `test` has no `kong` (if `test` is its build context: nothing in the "
        "repository says which context builds this Dockerfile, and some COPY sources are not there)"]


def test_a_context_named_by_a_build_script_is_used_and_its_misses_are_errors(tmp_path: Path):
    files = {"svc/docker/Dockerfile": "FROM alpine:3.20\nCOPY common/app.sh /app.sh\nCOPY missing.txt /m\n",
             "common/app.sh": "#!/bin/sh\n",
             "build.sh": "#!/bin/sh\ndocker build -t svc -f svc/docker/Dockerfile --build-arg A=1 .\n"}
    write_tree(tmp_path, files)
    assert lint_lines(tmp_path, select=("CL406",)) == [
        "svc/docker/Dockerfile:3:6: CL406 error: `COPY` source `missing.txt` is not in the build context (the "
        "project root) (the context build.sh:2 builds it with): the build fails with \"not found\""]


def test_bake_and_build_push_action_name_contexts(tmp_path: Path):
    dockerfile = "FROM alpine:3.20\nCOPY common/app.sh /app.sh\n"
    write_tree(tmp_path / "bake", {"svc/Dockerfile": dockerfile, "common/app.sh": "x\n", "docker-bake.hcl": (
        'target "svc" {\n  context = "."\n  dockerfile = "svc/Dockerfile"\n}\n')})
    write_tree(tmp_path / "action", {"svc/Dockerfile": dockerfile, "common/app.sh": "x\n",
                                     ".github/workflows/image.yml": (
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: docker/build-push-action@v6\n"
        "        with:\n          context: .\n          file: ./svc/Dockerfile\n")})
    for root in (tmp_path / "bake", tmp_path / "action"):
        (root / "svc/Dockerfile").write_text(dockerfile + "COPY nothere /x\n", encoding="utf-8")
        assert [line.split(": ", 2)[1] for line in lint_lines(root, select=("CL406",))] == ["CL406 error"], root


def test_source_under_a_directory_the_automation_creates_is_not_missing(tmp_path: Path):
    """temporalio/docker-compose tls/run-tls.sh: `mkdir -p .pki`, a container writes ca.pem, then build;
    penpot: manage.sh rsyncs the bundle into docker/images/bundle-backend/ before `docker build`."""
    write_tree(tmp_path / "temporal", {
        "tls/Dockerfile.admin-tools-tls": "FROM alpine:3.20\nCOPY ./.pki/ca.pem /usr/local/share/ca.crt\n",
        "docker-compose-tls.yml": ("services:\n  admin:\n    build:\n      context: .\n"
                                   "      dockerfile: tls/Dockerfile.admin-tools-tls\n"),
        "tls/run-tls.sh": "#!/bin/sh\nmkdir -p .pki\ndocker compose -f docker-compose-tls.yml build\n"})
    assert lint_lines(tmp_path / "temporal", select=("CL406",)) == []
    write_tree(tmp_path / "penpot", {
        "docker/images/Dockerfile.backend": ("FROM eclipse-temurin:21\nARG BUNDLE_PATH=\"./bundle-backend/\"\n"
                                             "COPY $BUNDLE_PATH /opt/penpot/backend/\n"),
        "manage.sh": ("#!/bin/sh\nfunction build-backend {\n  rsync -avr ./bundles/backend/ ./docker/images/bundle-backend/;\n"
                      "  pushd ./docker/images;\n  docker build -t penpot/backend -f Dockerfile.backend .;\n  popd;\n}\n")})
    assert lint_lines(tmp_path / "penpot", select=("CL406",)) == []


def test_deployments_listing_says_when_example_values_stand_in(tmp_path: Path):
    write_tree(tmp_path, {"docker-compose.yml": MATTERMOST, "env.example": "MATTERMOST_IMAGE_TAG=10.5\n"})
    result = CliRunner().invoke(cli, ["deployments", str(tmp_path)])
    assert "  variables:  from env.example (no .env is committed; pass --env-file to lint with the real values)" \
        in result.output.splitlines()
    (tmp_path / ".env").write_text("MATTERMOST_IMAGE_TAG=10.5\n", encoding="utf-8")
    assert "variables:" not in CliRunner().invoke(cli, ["deployments", str(tmp_path)]).output


def test_a_script_run_from_the_root_that_pushd_s_into_a_compose_directory(tmp_path: Path):
    """Kong/docker-kong tests/01-image.test.sh: run from the root, `pushd compose` … `popd`, twice."""
    write_tree(tmp_path, {
        "compose/docker-compose.yml": "services:\n  kong:\n    image: kong:3.9.1\n",
        "tests/01-image.test.sh": ("#!/bin/bash\npushd compose\ndocker compose up -d\ndocker compose kill\npopd\n"
                                   "pushd compose\ndocker compose -p kong up -d\npopd\n")})
    assert lint_lines(tmp_path, select=("CL008",)) == []


def test_build_contexts_and_tags_come_from_makefile_recipes_without_compose():
    """nginx-proxy: `docker build --pull -t web test/requirements/web` sits in a recipe of its own."""
    from composelint.assembly.created import named_build_contexts

    makefile = ("build-web:\n\tdocker build --pull -t web test/requirements/web\n"
                "build-api:\n\tcd api && docker build -f docker/Dockerfile --tag=api:dev .\n")
    found = named_build_contexts([("Makefile", makefile)])
    assert {path: [(c.context, c.tags) for c in contexts] for path, contexts in found.items()} == {
        "test/requirements/web/Dockerfile": [("test/requirements/web", ("web",))],
        "api/docker/Dockerfile": [("api", ("api:dev",))]}
