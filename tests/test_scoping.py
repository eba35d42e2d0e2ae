"""A run over some paths models only what can bear on them (issue 19, item 5), and reports exactly what a
run over the whole repository's model reports for them (engine's only_paths filter)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import write_tree

import composelint.scoping as scoping
from composelint.assembly.discovery import walk
from composelint.assembly.project import build_project
from composelint.checking import _only_paths
from composelint.cli import cli
from composelint.config import load_config

LIMITS = "    mem_limit: 256m\n    cpus: 0.5\n"
DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\nCMD [\"python\", \"main.py\"]\n"

TREE = {
    ".git/HEAD": "ref: refs/heads/main\n",
    # The repository's first deployments (CL102's help names them) are unrelated; automation outside
    # deploys a file inside, merged over a base outside.
    "Makefile": ("up:\n\tdocker compose -f unrelated/svc-0/compose.yaml up -d\n"
                 "\tdocker compose -f unrelated/svc-1/compose.yaml up -d\n"),
    "scripts/deploy.sh": "#!/bin/sh\ndocker compose -f infra/base.yaml -f apps/web/compose.yaml up -d\n",
    "infra/base.yaml": "services:\n  web:\n    image: example/web:latest\n    ports: ['8080:80']\n" + LIMITS,
    "apps/web/compose.yaml": ("services:\n  web:\n    build: .\n    depends_on: [cache]\n"
                              "    ports: ['8080:8080']\n" + LIMITS),
    "apps/web/Dockerfile": DOCKERFILE,
    "apps/web/main.py": "import requests\n",
    # A file outside includes one inside; another extends a service inside.
    "apps/api/compose.yaml": ("services:\n  api:\n    image: example/api\n    container_name: api\n"
                              "    environment:\n      DB_URL: postgres://db:5432/app\n" + LIMITS),
    "ops/compose.yaml": "include:\n  - ../apps/api/compose.yaml\nservices:\n  api-copy:\n    image: example/api\n"
                        "    container_name: api\n" + LIMITS,
    "ops/extends.yml": ("services:\n  api-debug:\n    extends:\n      file: ../apps/api/compose.yaml\n"
                        "      service: api\n    privileged: true\n"),
    # An override inside, a layer over the defaults of a directory above.
    "apps/compose.yaml": "services:\n  gateway:\n    image: nginx:1.27\n" + LIMITS,
    "apps/admin/compose.override.yml": "services:\n  gateway:\n    privileged: true\n",
    # A service outside whose build context is inside.
    "tools/compose.yaml": "services:\n  builder:\n    build: ../apps/web\n    command: python missing.py\n" + LIMITS,
    # Services only an undeployed file outside defines, needed from inside; one an undeployed file inside defines.
    "legacy/cache.yml": "services:\n  cache:\n    image: redis:7\n" + LIMITS,
    "apps/lonely/extra.compose.yaml": ("services:\n  worker:\n    image: busybox:1.36\n    depends_on: [queue]\n"
                                       + LIMITS),
    "apps/lonely/helper.compose.yaml": "services:\n  helper:\n    image: busybox:1.36\n" + LIMITS,
    "jobs/compose.yaml": "services:\n  job:\n    image: busybox:1.36\n    depends_on: [helper]\n" + LIMITS,
    # An undeployed file inside defines a service a deployment outside also defines (then it is not "undeployed").
    "apps/shadow/extra.compose.yaml": "services:\n  redis:\n    image: redis:7\n" + LIMITS,
    "zz/cache/compose.yaml": "services:\n  redis:\n    image: redis:7\n" + LIMITS,
    # A Dockerfile outside that services inside and outside build: its findings are shared.
    "apps/multi/compose.yaml": "services:\n  m:\n    build: ../../shared\n" + LIMITS,
    "zz/other/compose.yaml": "services:\n  o:\n    build: ../../shared\n" + LIMITS,
    "shared/Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nCMD [\"python\", \"/app/main.py\"]\n",
    "shared/main.py": "import yaml\n",
    # A Dockerfile built from a directory below it, `build: ../` (the Dockerfile alone is linted).
    "site/Dockerfile": "FROM node:22-slim\nCOPY . /app\nRUN npm install\nCMD [\"node\", \"/app/main.js\"]\n",
    "site/e2e/compose.yaml": "services:\n  site:\n    build: ../\n" + LIMITS,
    # An image built outside, run unbuilt inside (not an unpinned tag: a local build).
    "images/compose.yaml": "services:\n  api-image:\n    image: example/api\n    build: .\n" + LIMITS,
    "images/Dockerfile": DOCKERFILE,
}
UNRELATED = {f"unrelated/svc-{index}/{name}": text for index in range(5) for name, text in (
    ("compose.yaml", f"services:\n  app-{index}:\n    build: .\n" + LIMITS), ("Dockerfile", DOCKERFILE),
    ("main.py", "import os\n"))}
TARGETS = ["apps", "apps/shadow", "apps/multi", "shared", "site/Dockerfile", "apps/web", "apps/api", "apps/admin", "apps/lonely", "apps/web/Dockerfile",
           "apps/web/compose.yaml", "apps/web/compose.yaml+apps/api/compose.yaml", "apps/web/main.py",
           "apps/lonely/extra.compose.yaml+jobs/compose.yaml", "infra", "tools", "legacy", "unrelated/svc-1", "jobs"]


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("scoping") / "repo", {**TREE, **UNRELATED})


def _whole(root, config, overrides, found, only_paths, dockerfiles_parsed=None):
    return build_project(root, config, overrides, found, dockerfiles_parsed=dockerfiles_parsed)


def _findings(monkeypatch, repo, target: str, scoped: bool) -> list[dict]:
    with monkeypatch.context() as patch:
        patch.chdir(repo)
        patch.setenv("COMPOSELINT_NO_FORK", "1")
        if not scoped:
            patch.setattr(scoping, "build_scoped_project", _whole)
        result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "json", *target.split("+")])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return json.loads(result.output)["diagnostics"]


@pytest.mark.parametrize("target", TARGETS)
def test_a_run_over_paths_reports_what_the_whole_repository_model_reports(repo, monkeypatch, target):
    whole = _findings(monkeypatch, repo, target, scoped=False)
    assert _findings(monkeypatch, repo, target, scoped=True) == whole


def test_the_fixture_exercises_the_boundary(repo, monkeypatch):
    """The comparisons above mean something: findings inside that depend on files outside."""
    found = {(d["code"], d["path"], d["severity"]) for d in _findings(monkeypatch, repo, "apps", scoped=True)}
    assert ("CL102", "legacy/cache.yml", "error") in found  # defined only outside, needed by web inside
    assert ("CL102", "apps/lonely/helper.compose.yaml", "error") in found  # needed by jobs/ outside
    assert ("CL203", "tools/compose.yaml", "error") in found  # built from apps/web by a service outside
    assert ("CL308", "apps/web/compose.yaml", "error") in found  # merged over infra/base.yaml by automation
    assert ("CL309", "apps/api/compose.yaml", "error") in found  # included by ops/compose.yaml
    assert ("CL306", "apps/admin/compose.override.yml", "warning") in found  # a layer over apps/compose.yaml
    assert not [code for code, path, _ in found if code == "CL304" and path == "apps/api/compose.yaml"]  # built in images/


def _project(repo, *targets):
    config = load_config(repo, None)
    found = walk(repo, config.exclude, config.limits.max_file_size)
    return scoping.build_scoped_project(repo, config, {}, found, _only_paths(repo, [repo / t for t in targets]))


def test_what_cannot_bear_on_the_paths_is_neither_modelled_nor_read(repo):
    from composelint.assembly.reading import observing

    with observing() as observed:
        project = _project(repo, "apps/web")
    modelled = {*project.compose_files, *project.dockerfiles}
    assert {"apps/web/compose.yaml", "apps/web/Dockerfile", "infra/base.yaml", "tools/compose.yaml",
            "legacy/cache.yml"} <= modelled
    # The first two deployments stay (CL102's help names them); the other unrelated services go, unread.
    assert not [path for path in modelled if path.startswith(("unrelated/svc-2", "unrelated/svc-3", "jobs/"))]
    read = {entry[1] for entry in observed if entry[0] == "read"}
    assert not [path for path in read if path.startswith("unrelated/svc-3/") and not path.endswith("compose.yaml")]


UNRESOLVED = {
    ".git/HEAD": "ref: refs/heads/main\n",
    "Makefile": ("a:\n\tdocker compose -f unrelated/a/compose.yaml up -d\n"
                 "b:\n\tdocker compose -f unrelated/b/compose.yaml up -d\n"),
    # A deployment whose file composelint cannot tell: any undeployed file may be the one it runs.
    "infra.sh": "#!/bin/sh\ndocker compose -f unrelated/c/compose.yaml -f \"$INFRA_FILE\" up -d\n",
    "unrelated/c/compose.yaml": "services:\n  c:\n    image: busybox:1.36\n" + LIMITS,
    "unrelated/a/compose.yaml": "services:\n  a:\n    image: busybox:1.36\n" + LIMITS,
    "unrelated/b/compose.yaml": "services:\n  b:\n    image: busybox:1.36\n" + LIMITS,
    "apps/x/extra.compose.yaml": "services:\n  extra:\n    image: busybox:1.36\n" + LIMITS,
}


def test_a_deployment_naming_its_files_with_a_variable_bears_on_every_path(tmp_path, monkeypatch):
    repo = write_tree(tmp_path / "repo", UNRESOLVED)
    whole = _findings(monkeypatch, repo, "apps/x", scoped=False)
    assert not [d for d in whole if d["code"] == "CL102"]  # `$INFRA_FILE` may name it
    assert _findings(monkeypatch, repo, "apps/x", scoped=True) == whole


def test_an_editor_buffer_is_linted_as_in_the_whole_repository_model(repo, monkeypatch):
    """`--stdin-filename` (editors, the pre-commit of one buffer): the buffer's path is the run's path."""
    buffer = TREE["apps/web/compose.yaml"].replace("depends_on: [cache]", "depends_on: [cache, queue]")
    outputs = []
    for scoped in (False, True):
        with monkeypatch.context() as patch:
            patch.chdir(repo)
            patch.setenv("COMPOSELINT_NO_FORK", "1")
            if not scoped:
                patch.setattr(scoping, "build_scoped_project", _whole)
            result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "json", "--stdin-filename",
                                              "apps/web/compose.yaml", "-"], input=buffer)
        outputs.append(json.loads(result.output)["diagnostics"])
    assert any(d["code"] == "CL101" and "queue" in d["message"] for d in outputs[0])
    assert outputs[1] == outputs[0]
