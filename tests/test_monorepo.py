"""Monorepos (issue 17, item 1): one path base for every machine format, cwd-relative paths for people,
and nested configurations applied to the files below them, whichever directory the run starts from."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import write_tree

from composelint.cli import cli

LIMITS = "    mem_limit: 256m\n    cpus: 0.5\n"
# CL004 (duplicate key) on line 4, column 5: a finding every selection keeps.
BAD = "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n" + LIMITS


def invoke(*args):
    return CliRunner().invoke(cli, ["--no-cache", *args])


@pytest.fixture
def monorepo(tmp_path):
    """A repository whose service keeps its own configuration, as ruff users do."""
    return write_tree(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        "services/api/.composelint.yaml": "select: [CL0]\n",
        "services/api/compose.yaml": BAD,
    })


def _github_files(output: str) -> list[str]:
    return [line.split("file=", 1)[1].split(",", 1)[0] for line in output.splitlines() if line.startswith("::")]


@pytest.mark.parametrize("start", ["root", "service"])
def test_machine_formats_name_files_from_the_repository_root(monorepo, monkeypatch, start):
    cwd, target = (monorepo, "services/api") if start == "root" else (monorepo / "services" / "api", ".")
    monkeypatch.chdir(cwd)
    github = invoke("--format", "github", target)
    assert github.exit_code == 1, github.output
    assert _github_files(github.output) == ["services/api/compose.yaml"]
    document = json.loads(invoke("--format", "json", target).output)
    assert {d["path"] for d in document["diagnostics"]} == {"services/api/compose.yaml"}
    gitlab = json.loads(invoke("--format", "gitlab", target).output)
    assert {issue["location"]["path"] for issue in gitlab} == {"services/api/compose.yaml"}
    sarif = json.loads(invoke("--format", "sarif", target).output)
    uris = {location["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for location in result["locations"]}
    assert uris == {"services/api/compose.yaml"}


def test_people_get_paths_relative_to_the_current_directory(monorepo, monkeypatch):
    monkeypatch.chdir(monorepo)
    assert invoke("--format", "concise", "services/api").output.startswith("services/api/compose.yaml:4:5: CL004")
    monkeypatch.chdir(monorepo / "services")
    text = invoke("api").output
    assert text.startswith("api/compose.yaml:4:5: CL004"), text
    monkeypatch.chdir(monorepo / "services" / "api")
    assert invoke("--format", "concise").output.startswith("compose.yaml:4:5: CL004")


def test_path_base_on_the_command_line_and_in_the_configuration(monorepo, monkeypatch):
    monkeypatch.chdir(monorepo)
    result = invoke("--format", "github", "--path-base", "services", "services/api")
    assert _github_files(result.output) == ["api/compose.yaml"]
    (monorepo / "services" / "api" / ".composelint.yaml").unlink()
    write_tree(monorepo, {".composelint.yaml": "path-base: services\n"})
    assert _github_files(invoke("--format", "github", "services/api").output) == ["api/compose.yaml"]
    # People still get paths they can open from where they are.
    assert invoke("--format", "concise", "services/api").output.startswith("services/api/compose.yaml:4:5:")


def test_a_path_base_that_is_not_a_directory_is_a_configuration_error(monorepo, monkeypatch):
    monkeypatch.chdir(monorepo)
    (monorepo / "services" / "api" / ".composelint.yaml").unlink()
    write_tree(monorepo, {".composelint.yaml": "path-base: nowhere\n"})
    result = CliRunner().invoke(cli, ["--no-cache", "services/api"])
    assert result.exit_code == 2
    assert "`path-base`: nowhere is not a directory" in result.output


def test_without_a_repository_paths_stay_relative_to_the_project(tmp_path, monkeypatch):
    write_tree(tmp_path, {"project/compose.yaml": BAD, "elsewhere/.keep": ""})
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert _github_files(invoke("--format", "github", str(tmp_path / "project")).output) == ["compose.yaml"]
    # Run from outside the project: the file is not below the current directory, so the project's path.
    assert invoke("--format", "concise", str(tmp_path / "project")).output.startswith("compose.yaml:4:5:")
