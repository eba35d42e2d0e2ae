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


# --------------------------------------------------------------------------- analysis.layers

def _commands(run: str):
    from composelint.analysis.python.commands import run_commands
    from composelint.parsers.dockerfile import parse_dockerfile

    dockerfile = parse_dockerfile(f"FROM debian:12\n{run}\n", "Dockerfile")
    instruction = dockerfile.stages[0].instructions[0]
    return instruction, run_commands(dockerfile, instruction, {})


@pytest.mark.parametrize("removal, removes", [
    ("rm -rf /var/lib/apt/lists/*", True),
    ("rm -r /var/lib/apt/lists/", True),
    ("rm -rf /var/lib/apt", True),
    ("rm -rf /var/cache/apt/*", False),  # another directory
    ("rm -rf /var", False),  # too wide to be a cleanup: composelint does not take it as one
    ("echo rm -rf /var/lib/apt/lists", False),
])
def test_removes_names_the_directory_or_a_parent(removal, removes):
    from composelint.analysis.layers import removes as removes_of

    _, commands = _commands(f"RUN apt-get update && {removal}")
    assert removes_of(commands, ["/var/lib/apt/lists"]) is removes


@pytest.mark.parametrize("flags, kept_out", [
    ("--mount=type=cache,target=/var/lib/apt/lists", True),
    ("--mount=type=cache,target=/var/lib/apt,sharing=locked", True),
    ("--mount=type=tmpfs,dst=/var/lib/apt/lists", True),
    ("--mount=type=cache,target=/var/cache/apt", False),
    ("--mount=type=bind,target=/var/lib/apt/lists", False),  # a bind mount is not kept out of the layer here
    ("--mount=type=secret,id=x", False),
])
def test_kept_out_by_cache_and_tmpfs_mounts_on_the_directory(flags, kept_out):
    from composelint.analysis.layers import kept_out as kept_out_of

    instruction, _ = _commands(f"RUN {flags} apt-get update")
    assert kept_out_of(instruction, ["/var/lib/apt/lists"]) is kept_out


@pytest.mark.parametrize("target, covered", [
    ("/root/.npm", True), ("/home/node/.npm", True), ("$HOME/.npm", True), ("/root", True),
    ("/root/.cache", False), ("/app/node_modules", False),
])
def test_home_relative_cache_directories(target, covered):
    from composelint.analysis.layers import covers

    assert covers(target, "~/.npm") is covered


def test_run_commands_keep_the_wrappers_and_the_grouping():
    _, commands = _commands('RUN sudo -E sh -c "cd /a && make" && (cd /b && make) || doas true')
    by_program = {(command.argv[0], command.argv[1:2]): command for command in commands}
    cd_a = by_program[("cd", ("/a",))]
    assert [word.text for word in cd_a.wrappers] == ["sudo", "sh"] and not cd_a.grouped
    cd_b = by_program[("cd", ("/b",))]
    assert cd_b.subshell == 1 and cd_b.grouped and not cd_b.wrappers
    assert [word.text for word in by_program[("true", ())].wrappers] == ["doas"]
