"""CI outputs end to end: the CLI on a repository, its output checked against the published shapes.

The reporters' unit tests (tests/reporters/) check hand-built diagnostics; these
run the real command, as the README's GitHub Actions and GitLab CI examples do,
and validate what it prints: SARIF against the official 2.1.0 schema, GitLab
against its documented Code Quality shape, GitHub by reading the workflow
commands back the way the Actions runner does.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import re
import shlex
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from click.testing import CliRunner
from helpers import REPO, write_tree

from composelint.cli import cli

# Only the input rules: these tests are about integrations, not about what the rules find.
INPUT_RULES_ONLY = "select: [CL001, CL002, CL003, CL004, CL005]\n"


def _load_test_module(name: str):
    """A reporter test module, for its shape or parser (one definition of each, not two)."""
    spec = importlib.util.spec_from_file_location(f"_ci_{name}", REPO / "tests" / "reporters" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GITLAB_SHAPE = _load_test_module("test_reporter_gitlab").GITLAB_CODE_QUALITY_SCHEMA
parse_command = _load_test_module("test_reporter_github").parse_command

FILES = {
    ".git/HEAD": "",
    ".composelint.yaml": INPUT_RULES_ONLY,
    "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n"
                    "    environment:\n      LEVEL: ${LOG_LEVEL}\n",
    "ops:prod, eu/docker-compose.yml": "services:\n  db:\n    image: postgres:16\n    enviroment: {}\n",
    "images/Dockerfile": "FROM python:3.12-slim\nRUN <<EOF\npip install flask\n",
}


def _runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    root = write_tree(tmp_path / "repo", FILES)
    monkeypatch.chdir(root)  # as in CI: the job runs at the root of the checkout
    return root


def composelint(*args: str):
    return _runner().invoke(cli, ["check", *args])


def _truth() -> list[dict]:
    return json.loads(composelint("--format", "json").stdout)["diagnostics"]


def test_fixture_has_findings_in_several_files_and_severities(repo):
    assert {d["severity"] for d in _truth()} == {"error", "warning"}
    assert len({d["path"] for d in _truth()}) == 3


# --------------------------------------------------------------------------- GitHub


def test_github_annotations_read_back_as_the_runner_reads_them(repo):
    result = composelint("--format", "github")
    assert result.exit_code == 1
    truth = _truth()
    commands = [parse_command(line) for line in result.stdout.splitlines()]
    assert len(commands) == len(truth)
    for (name, properties, message), diagnostic in zip(commands, truth):
        assert name == {"error": "error", "warning": "warning", "info": "notice"}[diagnostic["severity"]]
        assert properties["file"] == diagnostic["path"] and (repo / properties["file"]).is_file()
        assert int(properties["line"]) == diagnostic["line"]
        assert properties["title"] == f"{diagnostic['code']} [{diagnostic['name']}]"
        assert message.split("\nhelp: ")[0] == diagnostic["message"]
    assert any(properties["file"] == "ops:prod, eu/docker-compose.yml" for _, properties, _ in commands)


# --------------------------------------------------------------------------- SARIF


def test_sarif_output_file_validates_and_points_at_the_files(repo, sarif_validator):
    result = composelint("--format", "sarif", "--output-file", "composelint.sarif")
    assert result.exit_code == 1 and result.stdout == ""
    log = json.loads((repo / "composelint.sarif").read_text(encoding="utf-8"))
    errors = sorted(sarif_validator.iter_errors(log), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    (run,) = log["runs"]
    truth = _truth()
    assert len(run["results"]) == len(truth)
    assert "uri" not in run["originalUriBaseIds"]["%SRCROOT%"]  # the same log on any machine
    assert str(repo.resolve()) not in (repo / "composelint.sarif").read_text(encoding="utf-8")
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert all(rule["help"]["markdown"] and rule["fullDescription"]["text"] for rule in rules.values())
    for result_, diagnostic in zip(run["results"], truth):
        location = result_["locations"][0]["physicalLocation"]
        # What code scanning needs: a rule id, a relative URI under the checkout, a start line, a fingerprint.
        assert result_["ruleId"] == diagnostic["code"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        uri = location["artifactLocation"]["uri"]
        assert not re.match(r"^[a-z][a-z0-9+.-]*:", uri) and unquote(uri) == diagnostic["path"]
        assert (repo / unquote(uri)).is_file()
        assert location["region"]["startLine"] == diagnostic["line"]
        assert result_["partialFingerprints"]["composelint/v1"] == diagnostic["fingerprint"]


# --------------------------------------------------------------------------- GitLab


def test_gitlab_report_matches_the_documented_shape(repo):
    result = composelint("--format", "gitlab", "--output-file", "gl-code-quality-report.json")
    assert result.exit_code == 1 and result.stdout == ""
    report = json.loads((repo / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(GITLAB_SHAPE).validate(report)
    truth = _truth()
    assert [(issue["location"]["path"], issue["location"]["lines"]["begin"]) for issue in report] == [
        (d["path"], d["line"]) for d in truth]
    assert len({issue["fingerprint"] for issue in report}) == len(report)  # GitLab drops repeated fingerprints
    assert {issue["severity"] for issue in report} <= {"info", "minor", "major", "critical", "blocker"}


def test_clean_repository_gives_empty_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(write_tree(tmp_path, {".git/HEAD": "", ".composelint.yaml": INPUT_RULES_ONLY,
                                          "compose.yaml": "services:\n  web:\n    image: a:1\n"}))
    assert json.loads(composelint("--format", "gitlab").stdout) == []
    assert composelint("--format", "github").stdout == ""
    assert json.loads(composelint("--format", "sarif").stdout)["runs"][0]["results"] == []
    for fmt in ("gitlab", "github", "sarif"):
        assert composelint("--format", fmt).exit_code == 0


# --------------------------------------------------------------------------- the README's CI examples


def _readme_section(title: str) -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _yaml_blocks(section: str) -> list:
    from ruamel.yaml import YAML

    return [YAML(typ="safe").load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)]


def _run_line(command: str):
    """Run a README shell line's composelint command in-process."""
    words = shlex.split(command)
    assert words[0] == "composelint"
    return _runner().invoke(cli, words[1:])


def test_readme_github_workflows_run(repo, sarif_validator):
    action_workflow, annotations, code_scanning = _yaml_blocks(_readme_section("GitHub Actions"))
    # The action's own steps run in tests/test_action.py; here, the workflow that uses it.
    steps = action_workflow["jobs"]["composelint"]["steps"]
    (action,) = [s for s in steps if s.get("uses", "").startswith("composelint/composelint@")]
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == action["with"]["sarif-file"]
    assert upload["if"] == "${{ !cancelled() }}"
    assert action_workflow["permissions"]["security-events"] == "write"
    for workflow in (annotations, code_scanning):
        assert {"name", "on", "jobs"} <= set(workflow) or {"name", True, "jobs"} <= set(workflow)  # YAML 1.1 `on`
        (job,) = workflow["jobs"].values()
        assert job["runs-on"] == "ubuntu-latest"
        uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
        assert uses[:2] == ["actions/checkout", "actions/setup-python"]
        assert "pip install composelint" in [step.get("run") for step in job["steps"]]
    steps = annotations["jobs"]["composelint"]["steps"]
    (command,) = [s["run"] for s in steps if s.get("run", "").startswith("composelint")]
    result = _run_line(command)
    assert result.exit_code == 1
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in result.stdout.splitlines())

    steps = code_scanning["jobs"]["composelint"]["steps"]
    (command,) = [s["run"] for s in steps if s.get("run", "").startswith("composelint")]
    assert _run_line(command).exit_code == 1
    (upload,) = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["if"] == "${{ !cancelled() }}"  # the upload still runs when composelint fails the step
    assert code_scanning["permissions"]["security-events"] == "write"
    sarif_validator.validate(json.loads((repo / upload["with"]["sarif_file"]).read_text(encoding="utf-8")))


def test_readme_gitlab_job_runs(repo):
    (pipeline,) = _yaml_blocks(_readme_section("GitLab CI"))
    job = pipeline["composelint"]
    report_path = job["artifacts"]["reports"]["codequality"]
    assert job["artifacts"]["when"] == "always"  # the report is kept when the job fails
    (command,) = [line for line in job["script"] if line.startswith("composelint")]
    first, _, fallback = command.partition(" || ")
    assert _run_line(first).exit_code == 1
    jsonschema.Draft202012Validator(GITLAB_SHAPE).validate(json.loads((repo / report_path).read_text()))
    printed = _run_line(fallback)
    assert printed.exit_code == 1 and printed.stdout.splitlines()[0].startswith("compose.yaml:4:5: CL004 error:")
