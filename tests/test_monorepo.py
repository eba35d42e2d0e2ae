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
    return CliRunner().invoke(cli, [*args, "--no-cache"])


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


# --------------------------------------------------------------------------- nested configurations


def _findings(output: str) -> list[tuple[str, str, str]]:
    return sorted((d["path"], d["code"], d["severity"]) for d in json.loads(output)["diagnostics"])


@pytest.fixture
def layered(tmp_path):
    """A root configuration and a service's own, both over the same mistake (CL004, an error)."""
    return write_tree(tmp_path / "repo", {
        ".git/HEAD": "ref: refs/heads/main\n",
        ".composelint.yaml": "select: [CL0]\n",
        "compose.yaml": BAD,
        "services/api/.composelint.yaml": "select: [CL0]\nseverity: {CL004: warning}\n"
                                          "per-file-ignores: {'legacy/*.yaml': [CL004]}\n",
        "services/api/compose.yaml": BAD,
        "services/api/legacy/compose.yaml": BAD,
        "services/web/.composelint.yaml": "select: [CL0]\nignore: [duplicate-key]\n",
        "services/web/compose.yaml": BAD,
    })


def test_the_closest_configuration_governs_the_files_below_it(layered, monkeypatch):
    monkeypatch.chdir(layered)
    assert _findings(invoke("--format", "json").output) == [
        ("compose.yaml", "CL004", "error"),  # the root's configuration
        ("services/api/compose.yaml", "CL004", "warning"),  # the service's severity
        # services/api/legacy: the service's per-file-ignores, relative to its directory
        # services/web: the service's ignore
    ]


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gitlab"])
def test_a_subdirectory_gives_the_same_report_from_the_root_and_from_inside(layered, monkeypatch, fmt):
    monkeypatch.chdir(layered)
    from_root = invoke("--format", fmt, "services/api")
    monkeypatch.chdir(layered / "services" / "api")
    from_inside = invoke("--format", fmt)
    assert from_root.exit_code == from_inside.exit_code == 1  # a warning is at the default fail-on
    assert from_root.output == from_inside.output
    assert "services/api/compose.yaml" in from_root.output and "services/api/legacy" not in from_root.output


def test_text_differs_only_in_the_paths(layered, monkeypatch):
    monkeypatch.chdir(layered)
    from_root = invoke("--format", "concise", "services/api").output
    monkeypatch.chdir(layered / "services" / "api")
    assert from_root == "services/api/" + invoke("--format", "concise").output
    assert from_root.startswith("services/api/compose.yaml:4:5: CL004 warning:")


def test_pre_commit_file_arguments_get_the_nested_configuration(layered, monkeypatch):
    monkeypatch.chdir(layered)  # the hook runs `composelint check FILES` from the repository root
    result = invoke("check", "--format", "concise", "services/web/compose.yaml", "services/api/compose.yaml")
    assert result.output.splitlines() == [
        "services/api/compose.yaml:4:5: CL004 warning: duplicate key `image`: it is already defined at line 3"]


def test_a_nested_exclude_leaves_files_out_of_the_model(layered, monkeypatch):
    write_tree(layered, {"services/api/.composelint.yaml": "select: [CL0]\nexclude: [legacy]\n"})
    monkeypatch.chdir(layered)
    paths = {path for path, _, _ in _findings(invoke("--format", "json").output)}
    assert "services/api/compose.yaml" in paths and "services/api/legacy/compose.yaml" not in paths


def test_a_nested_configuration_cannot_set_a_project_wide_key(layered, monkeypatch):
    write_tree(layered, {"services/api/.composelint.yaml": "select: [CL0]\ndeployments:\n  - [compose.yaml]\n"})
    for cwd in (layered, layered / "services" / "api"):
        monkeypatch.chdir(cwd)
        result = invoke("services/api" if cwd == layered else ".")
        assert result.exit_code == 2
        assert result.output.startswith(
            "composelint: error: invalid configuration: services/api/.composelint.yaml:2:1: `deployments` "
            "applies to the whole project, so a nested configuration cannot set it")
        assert "root: true" in result.output


def test_a_root_true_configuration_is_a_project_of_its_own(layered, monkeypatch):
    write_tree(layered, {"services/web/.composelint.yaml": "root: true\nselect: [CL0]\nfail-on: error\n"})
    monkeypatch.chdir(layered)
    paths = {path for path, _, _ in _findings(invoke("--format", "json").output)}
    assert not any(path.startswith("services/web/") for path in paths)  # not part of the repository's project
    monkeypatch.chdir(layered / "services" / "web")
    result = invoke("--format", "github")
    assert result.exit_code == 1  # its own fail-on applies
    assert _github_files(result.output) == ["services/web/compose.yaml"]  # still from the repository root


def test_an_explicit_config_governs_every_file(layered, monkeypatch):
    monkeypatch.chdir(layered)
    result = invoke("--format", "json", "--config", ".composelint.yaml")
    assert {severity for _, _, severity in _findings(result.output)} == {"error"}
    assert len(_findings(result.output)) == 4


def test_the_command_line_selection_wins_over_nested_configurations(layered, monkeypatch):
    monkeypatch.chdir(layered)
    result = invoke("--format", "json", "--severity", "CL004=info", "--extend-select", "CL004")
    assert {severity for _, _, severity in _findings(result.output)} == {"info"}


def test_the_result_cache_sees_a_nested_configuration_change(layered, monkeypatch):
    monkeypatch.chdir(layered)
    cached = ["--format", "json", "services/api"]
    first = CliRunner().invoke(cli, cached).output
    assert CliRunner().invoke(cli, cached).output == first
    write_tree(layered, {"services/api/.composelint.yaml": "select: [CL0]\nseverity: {CL004: info}\n"})
    assert {severity for _, _, severity in _findings(CliRunner().invoke(cli, cached).output)} == {"info"}


def test_without_a_repository_the_nearest_configuration_is_the_root(tmp_path, monkeypatch):
    write_tree(tmp_path, {".composelint.yaml": "select: [CL0]\n", "compose.yaml": BAD,
                          "services/api/.composelint.yaml": "select: [CL0]\nignore: [CL004]\n",
                          "services/api/compose.yaml": BAD})
    monkeypatch.chdir(tmp_path / "services" / "api")
    assert invoke("--format", "concise").output == ""  # today's behaviour: its own project
    monkeypatch.chdir(tmp_path)
    assert _findings(invoke("--format", "json").output) == [("compose.yaml", "CL004", "error")]


@pytest.mark.parametrize("workspace", ["", "services/api"])
def test_the_vs_code_tasks_find_the_files_they_report(layered, monkeypatch, workspace):
    """editors/vscode/tasks.json runs from ${workspaceFolder}, the matcher's files are relative to it."""
    import re

    from helpers import REPO

    tasks = json.loads((REPO / "editors" / "vscode" / "tasks.json").read_text(encoding="utf-8"))["tasks"]
    folder = layered / workspace
    monkeypatch.chdir(folder)
    for task in tasks:
        assert task["options"]["cwd"] == "${workspaceFolder}"
        assert task["problemMatcher"]["fileLocation"] == ["relative", "${workspaceFolder}"]
        pattern = re.compile(task["problemMatcher"]["pattern"]["regexp"])
        current = str(layered / "services" / "api" / "compose.yaml")
        args = [current if arg == "${file}" else arg for arg in task["args"]]
        output = invoke(*args).output
        matched = [pattern.match(line) for line in output.splitlines()]
        assert matched and all(matched), output
        assert all((folder / match.group(1)).is_file() for match in matched)


def test_the_language_server_applies_nested_configurations_as_the_cli(layered):
    from composelint.server.session import Session

    session = Session.open(layered)
    outcome = session.lint({})
    found = sorted((path, d.code, d.severity.label) for path, items in outcome.by_path.items() for d in items)
    assert found == [("compose.yaml", "CL004", "error"), ("services/api/compose.yaml", "CL004", "warning")]
    assert session.is_config("services/api/.composelint.yaml")
