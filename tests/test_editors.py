"""Editor integrations: the VS Code problem matcher over real output, and --stdin-filename."""

from __future__ import annotations

import inspect
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, write_tree

from composelint.cli import cli

VSCODE = REPO / "editors" / "vscode"
# Only the input rules: these tests are about integrations, not about what the rules find.
INPUT_RULES_ONLY = "select: [CL001, CL002, CL003, CL004, CL005]\n"
MATCHER = json.loads((VSCODE / "problem-matcher.json").read_text(encoding="utf-8"))
PATTERN = MATCHER["pattern"]


def _runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def invoke(*args: str, input: str | None = None):
    return _runner().invoke(cli, list(args), input=input)


def _matcher_regex() -> re.Pattern:
    # VS Code builds `new RegExp(pattern.regexp)`; the pattern keeps to the syntax that
    # JavaScript and Python read alike (no named groups, lookbehind, inline flags or \Z).
    source = PATTERN["regexp"]
    assert not re.search(r"\(\?[P<=!aiLmsux]|\\[AZz]", source)
    return re.compile(source)


def test_matcher_shape():
    assert MATCHER["owner"] == "composelint"
    assert MATCHER["fileLocation"] == ["relative", "${workspaceFolder}"]
    groups = re.compile(PATTERN["regexp"]).groups
    assert sorted(PATTERN[key] for key in ("file", "line", "column", "code", "severity", "message")) == list(
        range(1, groups + 1))


def test_tasks_example_uses_the_shipped_matcher():
    tasks = json.loads((VSCODE / "tasks.json").read_text(encoding="utf-8"))
    assert tasks["version"] == "2.0.0"
    assert [task["label"] for task in tasks["tasks"]] == ["composelint", "composelint: current file"]
    for task in tasks["tasks"]:
        assert task["problemMatcher"] == MATCHER
        assert task["command"] == "composelint"
        assert task["args"][:3] == ["check", "--format", "concise"]
    assert tasks["tasks"][1]["args"][-1] == "${file}"


# A repository whose concise output has what trips matchers up: a path with a space,
# a path with a colon, a Dockerfile, messages with colons and backticks, every severity.
FILES = {
    ".git/HEAD": "",
    ".composelint.yaml": INPUT_RULES_ONLY,
    "my app/compose.yaml": "services:\n  api:\n    image: nginx:1.27\n    image: nginx:1.28\n",
    "ops:prod/compose.yaml": "services:\n  db:\n    image: postgres:16\n    environment:\n"
                             "      PASSWORD: \"${DB_PASSWORD:?set it: see the runbook}\"\n"
                             "      LEVEL: ${LOG_LEVEL}\n",
    "images/Dockerfile": "FROM python:3.12-slim\nRUN <<EOF\npip install flask\n",
}


def _problems(lines: list[str]) -> list[dict]:
    regex = _matcher_regex()
    problems = []
    for line in lines:
        match = regex.match(line)
        assert match, f"the problem matcher does not match {line!r}"
        problems.append({key: match.group(PATTERN[key])
                         for key in ("file", "line", "column", "code", "severity", "message")})
    return problems


def test_matcher_captures_real_concise_output(tmp_path):
    write_tree(tmp_path, FILES)
    args = ["check", str(tmp_path), "--select", "CL001,CL003,CL004,CL005", "--severity", "CL005=info"]
    concise = invoke(*args, "--format", "concise")
    assert concise.exit_code == 1
    truth = json.loads(invoke(*args, "--format", "json").stdout)["diagnostics"]
    problems = _problems(concise.stdout.splitlines())
    assert problems == [{"file": d["path"], "line": str(d["line"]), "column": str(d["column"]), "code": d["code"],
                         "severity": d["severity"], "message": d["message"]} for d in truth]
    assert {p["file"] for p in problems} == {"my app/compose.yaml", "ops:prod/compose.yaml", "images/Dockerfile"}
    assert {p["severity"] for p in problems} == {"error", "info"}
    assert any(": " in p["message"] for p in problems)
    for problem in problems:  # fileLocation: relative to the workspace folder, which is the project root
        assert (tmp_path / problem["file"]).is_file()


def test_matcher_is_the_same_in_javascript(tmp_path):
    """Run the regular expression under Node, as VS Code does, when Node is available."""
    node = shutil.which("node")
    write_tree(tmp_path, FILES)
    output = invoke("check", str(tmp_path), "--format", "concise").stdout
    expected = [[m.group(i) for i in range(1, 7)] for m in map(_matcher_regex().match, output.splitlines())]
    if node is None:
        assert expected  # the Python half still ran; Node is not installed here
        return
    script = ("const p = new RegExp(process.argv[1]);"
              "const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);"
              "console.log(JSON.stringify(lines.map(l => { const m = p.exec(l); return m && m.slice(1, 7); })));")
    result = subprocess.run([node, "-e", script, PATTERN["regexp"]], input=output, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_matcher_ignores_what_is_not_a_finding():
    regex = _matcher_regex()
    for line in ("All checks passed.", "Found 2 problems: 2 errors.", "   |", "composelint: error: bad config",
                 "compose.yaml:4: CL004 error: no column"):
        assert regex.match(line) is None


# --------------------------------------------------------------------------- --stdin-filename


BAD_COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n"
BAD_DOCKERFILE = "FROM python:3.12-slim\nRUN <<EOF\npip install flask\n"


@pytest.fixture
def project(tmp_path) -> Path:
    return write_tree(tmp_path / "project", {".git/HEAD": "", ".composelint.yaml": INPUT_RULES_ONLY,
                                             "compose.yaml": "services:\n  web:\n    image: x:1\n"})


def _stdin(filename: str, text: str, *args: str):
    return invoke("check", "--stdin-filename", filename, "--format", "concise", *args, input=text)


def test_stdin_buffer_of_a_file_not_saved_yet_in_a_new_directory(project, monkeypatch):
    monkeypatch.chdir(project.parent)  # the editor's working directory is not the project
    result = _stdin(str(project / "services" / "api" / "compose.yaml"), BAD_COMPOSE)
    assert result.exit_code == 1
    # As ruff does: relative to the current directory, so that the path opens from there.
    assert result.stdout.splitlines() == [
        f"{project.name}/services/api/compose.yaml:4:5: CL004 error: duplicate key `image`: it is already defined at line 3"]
    assert not (project / "services").exists()


def test_stdin_dockerfile_buffer(project):
    new = _stdin(str(project / "api" / "Dockerfile"), BAD_DOCKERFILE)
    assert new.exit_code == 1 and new.stdout.startswith("api/Dockerfile:2:5: CL003 error: unterminated heredoc")
    (project / "Dockerfile").write_text("FROM python:3.12-slim\n")
    saved = _stdin(str(project / "Dockerfile"), BAD_DOCKERFILE)
    assert saved.stdout.startswith("Dockerfile:2:5: CL003")
    assert _stdin(str(project / "Dockerfile"), "FROM python:3.12-slim\n").exit_code == 0


def test_stdin_relative_path(project, monkeypatch):
    monkeypatch.chdir(project)
    result = _stdin("compose.yaml", BAD_COMPOSE)
    assert result.stdout.startswith("compose.yaml:4:5: CL004")
    monkeypatch.chdir(project / ".git")
    assert _stdin("../compose.yaml", BAD_COMPOSE).stdout == "../" + result.stdout


def test_stdin_reports_only_the_buffer(project):
    write_tree(project, {"legacy/compose.yaml": BAD_COMPOSE})
    assert _stdin(str(project / "compose.yaml"), "services:\n  web:\n    image: x:2\n").exit_code == 0


def test_stdin_json_output_follows_the_schema(project):
    import jsonschema

    schema = json.loads((REPO / "composelint" / "data" / "output-schema.json").read_text(encoding="utf-8"))
    result = invoke("check", "--stdin-filename", str(project / "compose.yaml"), "--format", "json",
                    input=BAD_COMPOSE)
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema)
    assert [(d["path"], d["line"], d["column"], d["code"]) for d in report["diagnostics"]] == [
        ("compose.yaml", 4, 5, "CL004")]


def test_stdin_outside_the_project_is_a_usage_error(project, tmp_path):
    write_tree(tmp_path / "other", {".git/HEAD": ""})
    outside = invoke("check", str(project), "--stdin-filename", str(tmp_path / "other" / "compose.yaml"),
                     input=BAD_COMPOSE)
    assert outside.exit_code == 2 and "outside the project root" in outside.stderr
