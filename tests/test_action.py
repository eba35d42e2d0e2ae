"""The GitHub Action (action.yml): its steps run in bash the way the runner runs a composite action.

The runner evaluates `${{ … }}` expressions, exports the step's `env:`, runs `run:` with
`bash -e {0}`-like options from `shell: bash`, prepends every line a step appends to
`$GITHUB_PATH` to the next steps' PATH, and reads `name=value` lines from `$GITHUB_OUTPUT`.
These tests do the same with a tiny evaluator for the only expressions the action uses.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, write_tree

ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")

BROKEN_PROJECT = {
    "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n",
    ".composelint.yaml": "select: [CL004]\n",
}


def _action() -> dict:
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(ACTION.read_text(encoding="utf-8"))


def _evaluate(text: str, inputs: dict[str, str]) -> str:
    def value(match: re.Match) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        raise AssertionError(f"the test's evaluator does not know `{expression}`")

    return EXPRESSION.sub(value, text)


class Runner:
    """Runs the action's steps in order, as the GitHub runner does, inside one job directory."""

    def __init__(self, tmp_path: Path, inputs: dict[str, str], path: str):
        action = _action()
        self.steps = {step["id"]: step for step in action["runs"]["steps"]}
        self.inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
        self.inputs.update(inputs)
        self.workspace = tmp_path / "workspace"
        self.files = tmp_path / "runner"
        self.files.mkdir()
        self.github_path = self.files / "path"
        self.github_output = self.files / "output"
        self.github_path.touch()
        self.github_output.touch()
        self.path = path

    def run(self, step_id: str) -> subprocess.CompletedProcess:
        step = self.steps[step_id]
        assert step["shell"] == "bash"
        added = [line for line in self.github_path.read_text().splitlines() if line]
        env = {
            "PATH": os.pathsep.join([*reversed(added), self.path, "/usr/local/bin:/usr/bin:/bin"]),
            "HOME": os.environ.get("HOME", str(self.files)),
            "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_PATH": str(self.github_path),
            "GITHUB_OUTPUT": str(self.github_output),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "RUNNER_TEMP": str(self.files),
            "COMPOSELINT_NO_CACHE": "1",
        }
        env.update({name: _evaluate(str(value), self.inputs) for name, value in step.get("env", {}).items()})
        # `shell: bash` is `bash --noprofile --norc -eo pipefail {0}` on the runner.
        script = self.files / f"{step_id}.sh"
        script.write_text(step["run"], encoding="utf-8")
        return subprocess.run([shutil.which("bash"), "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=self.workspace, env=env, capture_output=True, text=True, timeout=600)

    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.github_output.read_text().splitlines() if "=" in line)


def _venv_bin() -> str:
    return str(Path(sys.executable).parent)


def test_scripts_take_inputs_only_through_env():
    # An input pasted into a script is code: `path: "$(curl …)"` would run. Through env it is data.
    for step in _action()["runs"]["steps"]:
        assert not EXPRESSION.search(step["run"]), f"step {step['id']} pastes an expression into its script"


def test_action_declares_the_documented_inputs():
    assert set(_action()["inputs"]) == {"path", "args", "sarif-file", "version", "python"}
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in ("path", "args", "sarif-file", "version"):
        assert f"`{name}`" in readme, f"README does not document the action input `{name}`"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_lint_step_annotates_and_writes_sarif(tmp_path):
    runner = Runner(tmp_path, {"sarif-file": "results.sarif", "args": "--fail-on error"}, _venv_bin())
    write_tree(runner.workspace, BROKEN_PROJECT)
    result = runner.run("lint")
    assert result.returncode == 1, result.stderr
    assert re.search(r"^::error file=compose\.yaml,line=4,col=5,.*title=CL004", result.stdout, re.M), result.stdout
    assert runner.outputs()["exit-code"] == "1"
    sarif = json.loads((runner.workspace / "results.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["CL004"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "compose.yaml"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_lint_step_on_a_clean_path_passes(tmp_path):
    runner = Runner(tmp_path, {"path": "clean", "args": "--select CL004"}, _venv_bin())
    write_tree(runner.workspace, {**BROKEN_PROJECT, "clean/compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})
    result = runner.run("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::error" not in result.stdout
    assert runner.outputs()["exit-code"] == "0"


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_a_usage_error_stops_before_the_second_run(tmp_path):
    runner = Runner(tmp_path, {"sarif-file": "out.sarif", "args": "--select"}, _venv_bin())
    write_tree(runner.workspace, BROKEN_PROJECT)
    result = runner.run("lint")
    assert result.returncode == 2
    assert runner.outputs()["exit-code"] == "2"


@pytest.mark.network
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_install_then_lint_as_the_runner_does(tmp_path):
    # The whole action: install composelint from the action's own checkout into a fresh venv,
    # put it on PATH through $GITHUB_PATH, then lint with it (nothing from this test's venv).
    runner = Runner(tmp_path, {"python": sys.executable}, "")
    write_tree(runner.workspace, BROKEN_PROJECT)
    installed = runner.run("install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    bin_dir = runner.github_path.read_text().strip()
    assert Path(bin_dir, "composelint").is_file()
    result = runner.run("lint")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "title=CL004" in result.stdout
