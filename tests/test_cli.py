"""The command line: default command, exit codes, formats, file arguments, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, REPO, write_tree

from composelint import __version__
from composelint.cli import cli

LIMITS = "    mem_limit: 256m\n    cpus: 0.5\n"  # no CL301 (missing-resource-limits) finding
GOOD = "services:\n  web:\n    image: nginx:1.27\n" + LIMITS
BAD = "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n" + LIMITS


def invoke(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_version_and_help():
    assert invoke("--version").output.strip() == f"composelint {__version__}"
    result = invoke("--help")
    assert result.exit_code == 0 and "check" in result.output


def test_default_command_is_check(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD})
    assert invoke(str(tmp_path), "--format", "concise").output == invoke(
        "check", str(tmp_path), "--format", "concise").output


def test_exit_codes(tmp_path):
    write_tree(tmp_path, {"good/compose.yaml": GOOD, "good/.git/HEAD": "", "bad/compose.yaml": BAD,
                          "bad/.git/HEAD": ""})
    assert invoke(str(tmp_path / "good"), "--select", "CL0").exit_code == 0
    assert invoke(str(tmp_path / "bad"), "--select", "CL0").exit_code == 1
    assert invoke(str(tmp_path / "bad"), "--select", "CL0", "--ignore", "CL004").exit_code == 0
    assert invoke(str(tmp_path / "missing")).exit_code == 2
    assert invoke(str(tmp_path / "bad"), "--select", "CL9").exit_code == 2
    assert invoke(str(tmp_path / "bad"), "--format", "xml").exit_code == 2


def test_fail_on_threshold(tmp_path):
    write_tree(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    command: ${UNSET}\n"})
    assert invoke(str(tmp_path), "--select", "CL0").exit_code == 1  # a warning; default fail-on is warning
    assert invoke(str(tmp_path), "--select", "CL0", "--fail-on", "error").exit_code == 0


def test_no_path_means_current_directory(tmp_path, monkeypatch):
    write_tree(tmp_path, {"compose.yaml": BAD})
    monkeypatch.chdir(tmp_path)
    result = invoke("--format", "concise", "--select", "CL0")
    assert result.output.startswith("compose.yaml:4:5: CL004")


def test_file_arguments_report_only_diagnostics_involving_them(tmp_path):
    write_tree(tmp_path, {".git/HEAD": "", "a/compose.yaml": BAD, "b/compose.yaml": BAD})
    result = invoke(str(tmp_path / "a" / "compose.yaml"), "--format", "concise")
    assert result.output.splitlines() == [line for line in result.output.splitlines() if line.startswith("a/")]
    assert result.output
    directory = invoke(str(tmp_path / "b"), "--format", "concise")
    assert directory.output and all(line.startswith("b/") for line in directory.output.splitlines())


def test_output_file_and_json(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD})
    out = tmp_path.parent / f"{tmp_path.name}-report.json"
    result = invoke(str(tmp_path), "--format", "json", "--output-file", str(out), "--select", "CL0")
    assert result.exit_code == 1 and result.output == ""
    report = json.loads(out.read_text())
    assert report["version"] == 1
    assert [(d["code"], d["line"], d["column"], d["end_line"], d["end_column"]) for d in report["diagnostics"]] == [
        ("CL004", 4, 5, 4, 10)]


def test_stdin_filename_lints_the_buffer_not_the_file(tmp_path):
    write_tree(tmp_path, {"compose.yaml": GOOD})
    result = invoke("--stdin-filename", str(tmp_path / "compose.yaml"), "--format", "concise", "--select", "CL0",
                    input=BAD)
    assert result.output.startswith("compose.yaml:4:5: CL004")
    assert (tmp_path / "compose.yaml").read_text() == GOOD


def test_rules_and_rule_commands():
    listing = invoke("rules")
    assert "CL001" in listing.output and "yaml-syntax" in listing.output
    as_json = json.loads(invoke("rules", "--format", "json").output)
    assert {"code", "name", "severity", "summary", "url"} <= set(as_json[0])
    page = invoke("rule", "CL004")
    assert page.exit_code == 0 and page.output.startswith("# CL004 duplicate-key")
    assert invoke("rule", "duplicate-key").output == page.output
    assert invoke("rule", "CL999").exit_code == 2


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "composelint", "--version"], capture_output=True, text=True,
                            cwd=REPO)
    assert result.returncode == 0 and result.stdout.strip() == f"composelint {__version__}"


@pytest.mark.parametrize("content", [b"\x00\x01\x02binary\xff", b"services: [\n", b"", b"\xff\xfe garbage"])
def test_broken_compose_files_give_diagnostics_not_tracebacks(tmp_path, content):
    (tmp_path / "compose.yaml").write_bytes(content)
    result = invoke(str(tmp_path), "--format", "concise")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.startswith("compose.yaml:")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_garbage_dockerfile_gives_a_diagnostic(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    result = invoke(str(tmp_path), "--format", "concise")
    assert result.exit_code == 1 and result.output.startswith("Dockerfile:")


def test_text_output_is_deterministic_and_has_a_summary(tmp_path):
    write_tree(tmp_path, {"compose.yaml": BAD, "b/compose.yaml": BAD})
    first = invoke(str(tmp_path), "--color", "never", "--select", "CL0").output
    assert first == invoke(str(tmp_path), "--color", "never", "--select", "CL0").output
    assert first.rstrip().endswith("Found 2 problems: 2 errors.\n"
                                   "No fixes available (2 hidden fixes can be enabled with the `--unsafe-fixes` option).")
    assert "\x1b[" not in first
    assert "\x1b[" in invoke(str(tmp_path), "--color", "always", "--select", "CL0").output


def test_incident_fixture_runs():
    result = invoke(str(FIXTURES / "incident"), "--format", "concise")
    assert result.exit_code == 1
    assert "CL004" in result.output
