"""The hadolint-parity rules of the image-build family, CL417-CL425 (issue 15): behaviours their pages and
scenario trees do not show — secrets never printed, the shared layer facts, the wrappers a RUN looks through."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import lint_lines, write_tree

from composelint.cli import cli

SECRET = "hunter2-0123456789"


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "github", "gitlab"])
def test_cl418_never_prints_the_secret(tmp_path, fmt):
    write_tree(tmp_path, {"Dockerfile": f"FROM alpine:3.20\nENV DB_PASSWORD={SECRET}\nARG API_TOKEN='{SECRET}'\n"})
    result = CliRunner().invoke(cli, ["check", "--select", "CL418", "--format", fmt, str(tmp_path)])
    assert "CL418" in result.output or "secret-in-build-arg" in result.output
    assert SECRET not in result.output


def test_cl418_names_follow_the_options(tmp_path):
    write_tree(tmp_path, {
        "Dockerfile": "FROM alpine:3.20\nENV DEMO_PASSWORD=demo CLIENT_CREDENTIALS=abc\n",
        ".composelint.yaml": "root: true\nrules:\n  CL418:\n    names: [PASSWORD, CREDENTIALS]\n"
                             "    allow: ['DEMO_*']\n",
    })
    assert [line.split(" warning")[0] for line in lint_lines(tmp_path, ("CL418",))] == ["Dockerfile:2:43: CL418"]
