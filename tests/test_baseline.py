"""Baselines: --write-baseline records today's findings, --baseline reports only new ones.

The key must survive edits that move a finding (lines added above it,
re-indentation, a message that embeds a line number) and must not survive an
edit of the offending text.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, write_tree

from composelint.baseline import Baseline, BaselineError, finding_key, render
from composelint.cli import cli
from composelint.diagnostics import Diagnostic, Severity, Span

# Two defects the input rules find: a duplicate key (whose message names the line of
# the first definition) and an unset required variable.
COMPOSE = """\
services:
  web:
    image: nginx:1.27
    image: nginx:1.28
    environment:
      TOKEN: ${TOKEN:?the web needs a token}
  worker:
    image: busybox:1.36
"""
SELECT = ("--select", "CL004,CL005")


def _runner() -> CliRunner:
    # click 8.1 mixes standard error into the output unless told not to; 8.2+ keeps both apart.
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def check(root: Path, *args: str):
    return _runner().invoke(cli, ["check", str(root), "--format", "concise", *SELECT, *args])


def lines(result) -> list[str]:
    return result.stdout.splitlines()


@pytest.fixture
def repo(tmp_path) -> Path:
    root = tmp_path / "repo"
    write_tree(root, {".git/HEAD": "", "compose.yaml": COMPOSE})
    return root


def _write(repo: Path) -> Path:
    baseline = repo / ".composelint-baseline.json"
    result = check(repo, "--write-baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "recorded 2 finding(s)" in result.stderr
    return baseline


def test_write_then_check_reports_nothing(repo):
    before = check(repo)
    assert before.exit_code == 1 and len(lines(before)) == 2
    baseline = _write(repo)
    after = check(repo, "--baseline", str(baseline))
    assert after.exit_code == 0 and after.stdout == "" and after.stderr == ""


def test_file_format_is_sorted_versioned_and_stable(repo):
    baseline = _write(repo)
    text = baseline.read_text(encoding="utf-8")
    data = json.loads(text)
    assert data["version"] == 1 and data["tool"] == "composelint"
    assert [(entry["code"], entry["path"], entry["count"]) for entry in data["findings"]] == [
        ("CL004", "compose.yaml", 1), ("CL005", "compose.yaml", 1)]
    assert all(set(entry) == {"code", "path", "subject", "fingerprint", "count"} for entry in data["findings"])
    assert "line" not in text and text.endswith("}\n")
    # Rewriting unchanged findings gives the same bytes; no temporary file is left behind.
    _write(repo)
    assert baseline.read_text(encoding="utf-8") == text
    assert sorted(p.name for p in repo.iterdir()) == [".composelint-baseline.json", ".git", "compose.yaml"]


def test_edits_that_move_findings_keep_them_baselined(repo):
    baseline = _write(repo)
    original = check(repo)
    shifted = "# the web tier\n\nx-defaults: &defaults\n  restart: unless-stopped\n\n" + COMPOSE.replace(
        "services:\n", "services:\n  cache:\n    image: redis:7.2\n\n")
    (repo / "compose.yaml").write_text(shifted, encoding="utf-8")
    moved = check(repo)
    # The same two findings, on other lines, and the duplicate-key message names the new line.
    assert [line.split(":", 1)[0] for line in lines(moved)] == ["compose.yaml", "compose.yaml"]
    assert lines(moved) != lines(original)
    assert "already defined at line 3" in original.stdout and "already defined at line 3" not in moved.stdout
    result = check(repo, "--baseline", str(baseline))
    assert result.exit_code == 0 and result.stdout == ""


def test_reindenting_keeps_findings_baselined(repo):
    baseline = _write(repo)
    (repo / "compose.yaml").write_text(COMPOSE.replace("  ", "    "), encoding="utf-8")  # 4-space indentation
    moved = lines(check(repo))
    assert [line.split(":")[2] for line in moved] == ["9", "20"]  # the same two findings, at other columns
    assert check(repo, "--baseline", str(baseline)).stdout == ""


def test_only_new_findings_are_reported(repo):
    baseline = _write(repo)
    grown = COMPOSE.replace("    image: busybox:1.36\n", "    image: busybox:1.36\n    image: busybox:1.37\n")
    (repo / "compose.yaml").write_text(grown, encoding="utf-8")
    result = check(repo, "--baseline", str(baseline))
    assert result.exit_code == 1
    assert lines(result) == ["compose.yaml:9:5: CL004 error: duplicate key `image`: it is already defined at line 8"]


def test_editing_the_offending_text_makes_a_new_finding(repo):
    baseline = _write(repo)
    (repo / "compose.yaml").write_text(COMPOSE.replace("image: nginx:1.28", "image: nginx:1.29"), encoding="utf-8")
    result = check(repo, "--baseline", str(baseline))
    assert [line.split(": ")[1].split()[0] for line in lines(result)] == ["CL004"]


def test_each_recorded_finding_covers_one_occurrence(tmp_path):
    root = tmp_path / "repo"
    twice = "services:\n  a:\n    image: x\n    image: x\n  b:\n    image: x\n    image: x\n"
    write_tree(root, {".git/HEAD": "", "compose.yaml": twice})
    baseline = root / "baseline.json"
    assert check(root, "--write-baseline", str(baseline)).exit_code == 0
    (entry,) = json.loads(baseline.read_text())["findings"]
    assert entry["count"] == 2  # identical text, identical key: counted, not merged away
    (root / "compose.yaml").write_text(twice + "  c:\n    image: x\n    image: x\n", encoding="utf-8")
    result = check(root, "--baseline", str(baseline))
    assert result.exit_code == 1 and len(lines(result)) == 1


def test_suppressed_by_baseline_shows_on_request_and_in_sarif(repo):
    baseline = _write(repo)
    shown = check(repo, "--baseline", str(baseline), "--show-suppressed")
    assert shown.exit_code == 0
    assert len(lines(shown)) == 2 and all(line.endswith(" (suppressed)") for line in lines(shown))
    sarif = _runner().invoke(cli, ["check", str(repo), *SELECT, "--baseline", str(baseline), "--show-suppressed",
                                   "--format", "sarif"])
    results = json.loads(sarif.stdout)["runs"][0]["results"]
    assert [result["suppressions"][0]["kind"] for result in results] == ["external", "external"]
    as_json = _runner().invoke(cli, ["check", str(repo), *SELECT, "--baseline", str(baseline), "--show-suppressed",
                                     "--format", "json"])
    assert [d["suppressed"] for d in json.loads(as_json.stdout)["diagnostics"]] == [{"reason": "baseline"}] * 2


def test_fixed_findings_are_pointed_out(repo):
    baseline = _write(repo)
    (repo / "compose.yaml").write_text(COMPOSE.replace("    image: nginx:1.28\n", ""), encoding="utf-8")
    result = check(repo, "--baseline", str(baseline))
    assert result.exit_code == 0 and result.stdout == ""
    assert "1 finding(s) recorded in" in result.stderr and "--write-baseline" in result.stderr
    # A run narrowed to some files does not see the rest, so it does not complain.
    narrowed = check(repo / "compose.yaml", "--baseline", str(baseline))
    assert narrowed.exit_code == 0 and narrowed.stderr == ""


def test_baseline_applies_to_file_arguments_and_stdin(repo):
    baseline = _write(repo)
    assert check(repo / "compose.yaml", "--baseline", str(baseline)).exit_code == 0
    edited = COMPOSE.replace("worker:\n", "worker:\n    image: busybox:1.35\n")
    result = _runner().invoke(cli, ["check", "--stdin-filename", str(repo / "compose.yaml"), "--format", "concise",
                                    *SELECT, "--baseline", str(baseline)], input=edited)
    assert result.exit_code == 1
    assert lines(result) == ["compose.yaml:9:5: CL004 error: duplicate key `image`: it is already defined at line 8"]


@pytest.mark.parametrize("content, message", [
    (None, "does not exist (create it with --write-baseline"),
    ("{not json", "is not valid JSON"),
    ('{"version": 1, "findings": []}', "is not a composelint baseline"),
    ('{"version": 99, "tool": "composelint", "findings": []}', "has version 99"),
    ('{"version": 1, "tool": "composelint", "findings": [{"fingerprint": "x", "count": 0}]}', "positive integer"),
    ('{"version": 1, "tool": "composelint", "findings": [{"count": 1}]}', "needs a \"fingerprint\""),
])
def test_a_bad_baseline_is_a_usage_error(repo, content, message):
    path = repo / "baseline.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = check(repo, "--baseline", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("composelint: error: ") and message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_an_unwritable_baseline_is_a_usage_error(repo):
    result = check(repo, "--write-baseline", str(repo / "missing-dir" / "baseline.json"))
    assert result.exit_code == 2 and "cannot write baseline file" in result.stderr
    assert not (repo / "missing-dir").exists()


def test_write_replaces_the_file_atomically(repo):
    baseline = repo / "baseline.json"
    baseline.write_text("old contents", encoding="utf-8")
    assert check(repo, "--write-baseline", str(baseline)).exit_code == 0
    assert json.loads(baseline.read_text(encoding="utf-8"))["version"] == 1
    assert [p.name for p in repo.iterdir() if p.name.endswith(".tmp")] == []


def test_write_baseline_from_the_command_line_process(repo):
    """The real entry point, as a user types it: relative paths, messages on standard error."""
    def composelint(*args):
        return subprocess.run([sys.executable, "-m", "composelint", *args, *SELECT], cwd=repo, capture_output=True,
                              text=True, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})

    result = composelint("--write-baseline", "b.json")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == "composelint: recorded 2 finding(s) in b.json\n"
    again = composelint("--baseline", "b.json", "--format", "concise")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")


# --------------------------------------------------------------------------- the key itself


def _diagnostic(line: int, column: int = 5, **changes) -> Diagnostic:
    values = dict(code="CL004", name="duplicate-key", severity=Severity.ERROR,
                  message=f"duplicate key `image`: it is already defined at line {line - 1}",
                  span=Span.at("compose.yaml", line, column, line, column + 5))
    values.update(changes)
    return Diagnostic(**values)


def test_key_ignores_position_and_message_but_not_text_code_path_or_subject():
    before = {"compose.yaml": "services:\n  web:\n    image: a\n    image: b\n"}
    after = {"compose.yaml": "# moved\nservices:\n  web:\n      image: a\n      image: b\n"}
    key = finding_key(_diagnostic(4), before.get)
    assert finding_key(_diagnostic(5, column=7), after.get) == key
    assert finding_key(_diagnostic(3), before.get) != key  # `image: a`, another text
    assert finding_key(_diagnostic(4, code="CL002"), before.get) != key
    assert finding_key(_diagnostic(4, subject="service 'web'"), before.get) != key
    moved = {"other.yaml": before["compose.yaml"]}
    assert finding_key(_diagnostic(4, span=Span.at("other.yaml", 4, 5, 4, 10)), moved.get) != key


def test_key_without_source_text_uses_the_message_without_numbers():
    unreadable = _diagnostic(1, code="CL006", message="the file is 12,345 bytes, over the 10,000-byte limit")
    grown = _diagnostic(1, code="CL006", message="the file is 99,999 bytes, over the 10,000-byte limit")
    assert finding_key(unreadable, {}.get) == finding_key(grown, {}.get)
    assert finding_key(unreadable, None) == finding_key(unreadable, {}.get)
    other = _diagnostic(1, code="CL006", message="permission denied: composelint cannot read this file")
    assert finding_key(other, {}.get) != finding_key(unreadable, {}.get)


def test_a_secret_is_not_hashed_into_the_baseline():
    sources = {"compose.yaml": "services:\n  db:\n    environment:\n      PASSWORD: hunter2\n"}
    rotated = {"compose.yaml": sources["compose.yaml"].replace("hunter2", "correct-horse")}
    secret = _diagnostic(4, column=17, code="CL307", span=Span.at("compose.yaml", 4, 17, 4, 24), sensitive=True)
    # The key does not depend on the secret's value: no hash of it is committed.
    assert finding_key(secret, sources.get) == finding_key(secret, rotated.get)
    assert finding_key(replace(secret, sensitive=False), sources.get) != finding_key(
        replace(secret, sensitive=False), rotated.get)


def test_a_failing_reader_does_not_break_matching():
    def broken(path):
        raise OSError("gone")

    diagnostic = _diagnostic(4)
    text = render([diagnostic], broken)
    path_free = json.loads(text)["findings"][0]["fingerprint"]
    assert path_free == finding_key(diagnostic, None)


def test_bound_matchers_are_independent(tmp_path):
    sources = {"compose.yaml": "services:\n  web:\n    image: a\n    image: b\n"}
    path = tmp_path / "b.json"
    path.write_text(render([_diagnostic(4)], sources.get), encoding="utf-8")
    baseline = Baseline.load(path)
    assert len(baseline) == 1
    first, second = baseline.bind(sources.get), baseline.bind(sources.get)
    assert first.covers(_diagnostic(4)) and not first.covers(_diagnostic(4))
    assert second.covers(_diagnostic(4)) and second.unmatched() == 0
    assert baseline.bind(sources.get).unmatched() == 1
    with pytest.raises(BaselineError):
        Baseline.load(tmp_path / "absent.json")


# --------------------------------------------------------------------------- findings about something missing

DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"main.py\"]\n"
SERVICES = "services:\n  api:\n    build: .\n    depends_on: [db]\n  db:\n    image: postgres:16\n"


def test_pinning_the_base_image_keeps_a_root_user_finding_baselined(tmp_path):
    root = tmp_path / "repo"
    write_tree(root, {".git/HEAD": "", "Dockerfile": DOCKERFILE, "compose.yaml": SERVICES})
    select = ("--select", "CL301,CL303,CL404")

    def run(*args):
        return _runner().invoke(cli, ["check", str(root), "--format", "concise", *select, *args])

    before = lines(run())
    assert sorted(line.split(": ")[1].split()[0] for line in before) == ["CL301", "CL301", "CL303", "CL404"]
    baseline = root / "baseline.json"
    assert run("--write-baseline", str(baseline)).exit_code == 0
    # Pin the base image, comment the services, rename nothing: the same things are still missing.
    (root / "Dockerfile").write_text(DOCKERFILE.replace("python:3.12-slim", "python:3.12.7-slim@sha256:" + "a" * 64),
                                     encoding="utf-8")
    (root / "compose.yaml").write_text(SERVICES.replace("  api:\n", "  api:  # the API\n")
                                       .replace("  db:\n", "  db:  # postgres\n"), encoding="utf-8")
    assert [line.split(":")[0:2] for line in lines(run())] == [line.split(":")[0:2] for line in before]
    result = run("--baseline", str(baseline))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    # The user switch is what the finding is about: adding one fixes it, and the baseline says so.
    (root / "Dockerfile").write_text(DOCKERFILE.replace("CMD", "USER 1000\nCMD"), encoding="utf-8")
    fixed = run("--baseline", str(baseline))
    assert fixed.exit_code == 0 and fixed.stdout == ""
    assert fixed.stderr.splitlines()[1:] == ["  CL404 Dockerfile"]


def test_the_stale_note_lists_the_entries_that_no_longer_match(repo):
    baseline = _write(repo)
    (repo / "compose.yaml").write_text(COMPOSE.replace("    image: nginx:1.28\n", "").replace(
        "${TOKEN:?the web needs a token}", "set"), encoding="utf-8")
    result = check(repo, "--baseline", str(baseline))
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"composelint: 2 finding(s) recorded in {baseline} no longer occur; rewrite it with --write-baseline "
        f"{baseline} so that they are reported if they come back:",
        "  CL004 compose.yaml",
        "  CL005 compose.yaml",
    ]


def test_a_baselined_run_counts_the_baselined_findings(repo):
    baseline = _write(repo)
    text = _runner().invoke(cli, ["check", str(repo), *SELECT, "--baseline", str(baseline), "--color", "never"])
    assert text.exit_code == 0 and text.stdout == "All checks passed (2 baselined).\n"
    (repo / "compose.yaml").write_text(COMPOSE + "    image: busybox:1.37\n", encoding="utf-8")
    grown = _runner().invoke(cli, ["check", str(repo), *SELECT, "--baseline", str(baseline), "--color", "never"])
    # The duplicate key's fix (unsafe) is counted as ruff does, after the summary.
    assert grown.stdout.rstrip("\n").endswith("Found 1 problem: 1 error (2 baselined).\nNo fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).")
