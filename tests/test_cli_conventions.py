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
