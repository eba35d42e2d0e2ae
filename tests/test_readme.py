"""The README's promises that can be checked: set-up commands, CI command, example outputs."""

from __future__ import annotations

import re

from click.testing import CliRunner
from helpers import REPO

from composelint.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.MULTILINE | re.DOTALL)


def test_readme_opens_with_the_two_setup_commands():
    first, second = BLOCKS[0], BLOCKS[1]
    assert README.index("```") < README.index("\n## "), "the commands come before any section"
    assert first[1].strip().endswith("composelint fixtures/incident")
    assert "pytest" in second[1]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = BLOCKS[1][1].strip()
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert ci_lines[-1] == test_command


def test_console_examples_match_real_output(monkeypatch):
    monkeypatch.chdir(REPO)
    examples = [body for lang, body in BLOCKS if lang == "console"]
    assert examples
    for body in examples:
        command, *expected = body.rstrip("\n").split("\n")
        assert command.startswith("$ composelint ")
        args = command[len("$ composelint "):].split()
        result = CliRunner().invoke(cli, args)
        assert result.output.rstrip("\n").split("\n") == expected, command
