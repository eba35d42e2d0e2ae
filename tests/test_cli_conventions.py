"""The command line behaves as people expect of a CLI tool (issue 17): pipes, output files, help,
exit-code switches, statistics, colour, an empty run."""

from __future__ import annotations

import os
import subprocess
import sys

from click.testing import CliRunner
from helpers import REPO, write_tree

from composelint.cli import cli

LIMITS = "    mem_limit: 256m\n    cpus: 0.5\n"
BAD = "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n" + LIMITS


def invoke(*args, input=None, env=None):
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def _run_with_closed_stdout(*args, cwd) -> subprocess.CompletedProcess:
    """``composelint ARGS | head -0``: the reader of standard output is gone before anything is written."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(PYTHONPATH=str(REPO), COMPOSELINT_NO_CACHE="1")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "composelint", *args], cwd=cwd, env=env, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)


def test_a_closed_pipe_ends_the_run_quietly_with_the_sigpipe_status(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD})
    for args in ((str(tmp_path),), ("rules",), ("--help",), (str(tmp_path), "--format", "json")):
        result = _run_with_closed_stdout(*args, cwd=tmp_path)
        assert (result.returncode, result.stderr) == (141, ""), args


def test_an_output_file_in_a_missing_directory_is_a_usage_error(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD})
    target = tmp_path / "missing" / "out.txt"
    for command in ((str(tmp_path),), ("graph", str(tmp_path))):
        result = invoke(*command, "-o", str(target))
        assert result.exit_code == 2
        assert result.output == f"composelint: error: cannot write {target}: the directory {target.parent} " \
                                f"does not exist\n"


def test_top_level_help_shows_the_default_commands_options():
    result = invoke("--help")
    assert result.exit_code == 0
    usage, options = result.output.split("Options (of `check`, the default command):", 1)
    assert usage.startswith("Usage: cli [OPTIONS] [PATHS]...\n   or: cli COMMAND [ARGS]...")  # CliRunner: "cli"
    options, commands = options.split("Commands:", 1)
    for flag in ("--format", "--select", "--ignore", "--extend-select", "--baseline", "--statistics", "--exit-zero",
                 "-q, --quiet", "--color", "-V, --version", "-h, --help"):
        assert f"  {flag}" in options, flag
    assert options.count("--help") == 1
    assert "check " in commands and "version " in commands and "help " in commands


def test_version_spellings_and_help_command():
    expected = invoke("--version").output
    assert expected.startswith("composelint ")
    assert invoke("-V").output == invoke("version").output == expected
    assert invoke("help").output == invoke("--help").output
    assert invoke("help", "rules").output == invoke("rules", "--help").output
    unknown = invoke("help", "nope")
    assert unknown.exit_code == 2 and "no command is named `nope`" in unknown.output


def test_exit_zero_and_fail_on_never_keep_the_findings_but_exit_0(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD})
    plain = invoke(str(tmp_path), "--format", "concise", "--select", "CL0")
    assert plain.exit_code == 1 and "CL004" in plain.output
    for flags in (("--exit-zero",), ("--fail-on", "never")):
        result = invoke(str(tmp_path), "--format", "concise", "--select", "CL0", *flags)
        assert (result.exit_code, result.output) == (0, plain.output), flags
    assert invoke(str(tmp_path / "missing"), "--exit-zero").exit_code == 2  # a usage error stays one


def test_fail_on_never_in_the_configuration(tmp_path):
    write_tree(tmp_path, {".git/HEAD": "", "compose.yaml": BAD, ".composelint.yaml": "fail-on: never\n"})
    result = invoke(str(tmp_path), "--format", "concise", "--select", "CL0")
    assert result.exit_code == 0 and "CL004" in result.output
    # The command line still decides over the file.
    assert invoke(str(tmp_path), "--select", "CL0", "--fail-on", "error").exit_code == 1
    (tmp_path / ".composelint.yaml").write_text("fail-on: sometimes\n")
    assert invoke(str(tmp_path), "--select", "CL0").exit_code == 2


def test_statistics_count_findings_per_rule(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD, "b/compose.yaml": BAD + "  db:\n    image: postgres:16.4\n"})
    result = invoke(str(tmp_path), "--statistics", "--select", "CL004,CL301")
    assert result.exit_code == 1
    assert result.output == "2  CL004  duplicate-key\n1  CL301  missing-resource-limits\n"
    as_json = invoke(str(tmp_path), "--statistics", "--select", "CL004,CL301", "--format", "json")
    assert __import__("json").loads(as_json.output) == [
        {"code": "CL004", "name": "duplicate-key", "count": 2},
        {"code": "CL301", "name": "missing-resource-limits", "count": 1}]
    wrong = invoke(str(tmp_path), "--statistics", "--format", "sarif")
    assert wrong.exit_code == 2 and "--statistics prints text or json, not sarif" in wrong.output


def test_quiet_prints_only_the_findings(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD})
    loud = invoke(str(tmp_path), "--select", "CL0", "--color", "never")
    quiet = invoke(str(tmp_path), "--select", "CL0", "--color", "never", "-q")
    assert loud.output.rstrip().endswith("Found 1 problem: 1 error.\nNo fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).")
    assert quiet.exit_code == 1 and quiet.output == loud.output.rstrip("\n").rsplit("\n\n", 1)[0] + "\n"
    baseline = tmp_path.parent / f"{tmp_path.name}-baseline.json"
    written = invoke(str(tmp_path), "--select", "CL0", "--write-baseline", str(baseline), "-q")
    assert (written.exit_code, written.output) == (0, "")


def test_colour_follows_force_color_and_no_color(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD})
    args = (str(tmp_path), "--select", "CL0")
    assert "\x1b[" not in invoke(*args).output  # not a terminal
    assert "\x1b[" in invoke(*args, env={"FORCE_COLOR": "1"}).output
    assert "\x1b[" not in invoke(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).output
    assert "\x1b[" not in invoke(*args, "--color", "never", env={"FORCE_COLOR": "1"}).output
    assert "\x1b[" in invoke(*args, "--color", "always", env={"NO_COLOR": "1"}).output
    assert "\x1b[" not in invoke(*args, env={"FORCE_COLOR": ""}).output  # empty means unset


def test_rules_by_family_as_text_or_json():
    text = invoke("rules", "--family", "3").output.splitlines()
    assert text and all(line.startswith("CL3") for line in text)
    by_name = __import__("json").loads(invoke("rules", "--family", "image-build", "--format", "json").output)
    assert by_name and {rule["family"] for rule in by_name} == {"image build"}
    assert {rule["code"][:3] for rule in by_name} == {"CL4"}
    wrong = invoke("rules", "--family", "7")
    assert wrong.exit_code == 2 and "no such family" in wrong.output


def test_a_run_with_nothing_to_lint_says_so(tmp_path):
    write_tree(tmp_path, {".git/HEAD": "", "docs/README.md": "# docs\n", "app/compose.yaml": BAD})
    for target in (tmp_path / "docs",):
        result = CliRunner().invoke(cli, [str(target)])
        assert result.exit_code == 0
        assert result.stdout == ""
        assert result.stderr == f"composelint: warning: nothing to lint: no compose file or Dockerfile under " \
                                f"{target}\n"
        sarif = CliRunner().invoke(cli, [str(target), "--format", "sarif"])
        assert sarif.exit_code == 0 and __import__("json").loads(sarif.stdout)["runs"][0]["results"] == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(cli, [str(empty), "-q"]).output == ""
    # A file named on its own that is not ours (pre-commit passes every changed YAML file) is no warning.
    values = CliRunner().invoke(cli, [str(tmp_path / "docs" / "README.md")])
    assert values.exit_code == 0 and values.stderr == "" and values.stdout == ""
    # With something to lint and nothing found, the summary stands.
    clean = invoke(str(tmp_path / "app"), "--select", "CL1")
    assert clean.exit_code == 0 and clean.output == "All checks passed.\n"
