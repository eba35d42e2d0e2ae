"""`composelint server` without the `lsp` extra, and the CLI's start-up without the server."""

from __future__ import annotations

import subprocess
import sys

from lsp_client import environment


def test_without_the_extra_the_command_says_how_to_install_it(tmp_path):
    blocked = "import sys\nsys.modules['pygls'] = None\nsys.modules['lsprotocol'] = None\n"
    result = subprocess.run([sys.executable, "-c", f"{blocked}from composelint.cli import main\nmain(['server'])"],
                            cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=60,
                            stdin=subprocess.DEVNULL)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == ("composelint: error: the language server needs the `lsp` extra: "
                             "pip install 'composelint[lsp]' (lsprotocol is not installed)\n")


def test_server_is_listed_in_the_help():
    result = subprocess.run([sys.executable, "-m", "composelint", "--help"], env=environment(),
                            capture_output=True, text=True, timeout=60)
    assert "server" in result.stdout and "Run the language server" in result.stdout
