"""A hostile buffer yields a diagnostic, a failed run a log message; the server keeps serving."""

from __future__ import annotations

from pathlib import Path

import pytest

from lsp_client import REPO, run, start, stop, types

HOSTILE = REPO / "fixtures" / "hostile"
GOOD = "services:\n  web:\n    image: nginx:1.27\n    command: sh -c 'pip install flask && flask run'\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "compose.yaml").write_text(GOOD)
    return tmp_path


@pytest.mark.parametrize("name, text, code, words", [
    ("alias-bomb", (HOSTILE / "yaml" / "billion-laughs.yaml").read_text(), "CL007", "alias"),
    ("binary", "services:\n  web:\x00\x01\x02\n    image: nginx\n", "CL001", "binary"),
    ("50MB", "services:\n" + "#" * (50 * 1024 * 1024) + "\n", "CL007", "limit"),
])
def test_a_hostile_buffer_yields_a_diagnostic_and_the_server_keeps_serving(project, name, text, code, words):
    async def scenario():
        client = await start(project)
        uri = client.open(project / "compose.yaml", text=text)
        await client.until(lambda: code in client.codes(uri), f"{code} for the {name} buffer", timeout=180)
        finding = next(d for d in client.diagnostics[uri] if d.code == code)
        assert words in finding.message
        client.replace(uri, GOOD)  # and then an ordinary edit is linted as usual
        await client.until(lambda: "CL201" in client.codes(uri) and code not in client.codes(uri),
                           "the findings of the good buffer", timeout=180)
        assert await stop(client) == 0

    run(scenario())


FAULT = """
import composelint.engine as engine
_run = engine.run
def run(project, *args, **kwargs):
    if any("INJECTED-FAULT" in text for text in project.sources.values()):
        raise RuntimeError("injected fault in a run")
    return _run(project, *args, **kwargs)
engine.run = run
"""


def test_an_internal_error_in_one_run_is_logged_and_the_next_run_works(project):
    async def scenario():
        client = await start(project, prelude=FAULT)
        uri = client.open(project / "compose.yaml", text=GOOD + "# INJECTED-FAULT\n")
        for _ in range(600):
            if any("injected fault" in m.message for m in client.lsp.log_messages):
                break
            await __import__("asyncio").sleep(0.1)
        message = next(m for m in client.lsp.log_messages if "injected fault" in m.message)
        assert message.type == types.MessageType.Error
        assert "internal error while linting" in message.message and "RuntimeError" in message.message
        client.replace(uri, GOOD)
        await client.until(lambda: "CL201" in client.codes(uri), "findings after the failed run")
        assert await stop(client) == 0

    run(scenario())
