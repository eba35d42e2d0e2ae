"""The parts of the server that need no client: positions, suppression placement, hover text."""

from __future__ import annotations

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")

from pygls.workspace.position_codec import PositionCodec  # noqa: E402

from composelint.diagnostics import Position, Span  # noqa: E402
from composelint.server.convert import Lines  # noqa: E402


@pytest.mark.parametrize("encoding, expected", [("utf-16", 6), ("utf-8", 8), ("utf-32", 5)])
def test_columns_are_converted_to_the_negotiated_code_units(encoding, expected):
    # "x: 😋 y": the emoji is 1 code point, 2 UTF-16 units, 4 UTF-8 bytes; column 6 is "y" (after "😋 ").
    lines = Lines("a\nx: 😋 y\n", PositionCodec(encoding))
    position = lines.position(2, 6)
    assert (position.line, position.character) == (1, expected)
    # The same as pygls's own (slower) conversion.
    assert position.character == PositionCodec(encoding).client_num_units("x: 😋 ")


def test_a_span_without_an_end_underlines_the_rest_of_its_line():
    lines = Lines("services:\n  web:   \n", PositionCodec("utf-16"))
    marked = lines.range_of(Span("compose.yaml", Position(2, 3)))
    assert (marked.start.character, marked.end.line, marked.end.character) == (2, 1, 6)


def test_positions_beyond_the_text_are_clamped():
    lines = Lines("FROM x\n", PositionCodec("utf-16"))
    assert (lines.position(9, 1).line, lines.position(1, 99).character) == (1, 6)


def test_cyclic_garbage_is_collected_when_the_editor_pauses_or_after_many_runs(monkeypatch):
    import asyncio
    import gc

    from composelint.server import app

    collected = []
    monkeypatch.setattr(app, "COLLECT_IDLE", 0.5)
    monkeypatch.setattr(app, "COLLECT_EVERY", 3)
    monkeypatch.setattr(app.gc, "collect", lambda: collected.append(1))
    server = app.ComposelintServer()
    enabled = gc.isenabled()
    gc.disable()  # as in `composelint server` (cli.main)

    async def until(count: int) -> float:
        started = asyncio.get_running_loop().time()
        while len(collected) < count:
            await asyncio.sleep(0.01)
            assert asyncio.get_running_loop().time() - started < 10
        return asyncio.get_running_loop().time() - started

    async def scenario():
        server.ran()
        server.ran()  # typing: the pause starts again after each run
        assert collected == []
        assert await until(1) >= 0.45  # collected after the pause, not before
        for _ in range(3):  # runs without a pause: collected at the third, at once
            server.ran()
        assert await until(2) < 0.45

    try:
        asyncio.run(scenario())
    finally:
        server.executor.shutdown(wait=True)
        if enabled:
            gc.enable()


def test_the_root_hadolint_configuration_counts_as_configuration(tmp_path):
    from composelint.server.session import Session

    session = Session(tmp_path)
    assert session.is_config(".hadolint.yaml") and session.is_config(".hadolint.yml")
    assert not session.is_config("sub/.hadolint.yaml")  # hadolint's is read at the project root only
    assert session.is_config("sub/.composelint.yaml")


def _finding():
    from composelint.diagnostics import Diagnostic, Related, Severity

    return Diagnostic(code="CL201", name="runtime-install", severity=Severity.WARNING,
                      message="pip install at start", help="install at build time",
                      span=Span("compose.yaml", Position(2, 8), Position(2, 11)),  # "pip", after an emoji
                      url="https://example.invalid/CL201.md",
                      related=(Related(Span("Dockerfile", Position(1, 1)), "built here"),
                               Related(Span("compose.yaml", Position(1, 1)), "service")))


def test_published_json_is_what_lsprotocol_would_send():
    from lsprotocol import types
    from lsprotocol.converters import get_converter

    from composelint.server.convert import diagnostic_json, to_lsp

    texts = {"compose.yaml": "services:\n  x: 😋 pip\n", "Dockerfile": "FROM python\n"}
    codec = PositionCodec("utf-16")
    lines = Lines(texts["compose.yaml"], codec)
    args = (lines, lambda path: f"file:///p/{path}", lambda path: Lines(texts[path], codec))
    sent = diagnostic_json(_finding(), *args)
    typed = to_lsp(_finding(), *args)
    assert isinstance(typed, types.Diagnostic)
    assert get_converter().unstructure(typed) == sent  # one shape, whichever way it is built
    assert sent["range"] == {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 11}}  # UTF-16
    assert sent["relatedInformation"][0]["location"] == {
        "uri": "file:///p/Dockerfile",
        "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 11}}}
    assert sent["message"] == "pip install at start\nhelp: install at build time"
    assert (sent["severity"], sent["codeDescription"]["href"]) == (2, "https://example.invalid/CL201.md")


def test_diagnostics_are_sent_as_one_message_or_through_the_typed_call_without_pygls_internals():
    from composelint.server import app

    server = app.ComposelintServer()
    sent, typed = [], []

    class Protocol:
        _send_data = sent.append

    class Bare:
        pass

    server.text_document_publish_diagnostics = typed.append
    diagnostics = [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
                    "message": "m", "severity": 1, "code": "CL001", "source": "composelint"}]
    for protocol in (Protocol(), Bare()):
        server.protocol = protocol
        server.send_diagnostics("file:///p/compose.yaml", diagnostics, 3)
    assert sent == [{"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
                     "params": {"uri": "file:///p/compose.yaml", "diagnostics": diagnostics, "version": 3}}]
    assert [(params.uri, params.version, params.diagnostics[0].message) for params in typed] == \
        [("file:///p/compose.yaml", 3, "m")]


def test_a_rules_fix_becomes_an_action_on_the_file_it_edits():
    from composelint.diagnostics import Diagnostic, Edit, Fix, Position, Severity, Span
    from composelint.server.actions import fixes_for

    def finding(fix):
        return Diagnostic(code="CL407", name="missing-python-dependency", severity=Severity.ERROR, message="m",
                          span=Span("app/main.py", Position(1, 8)), fix=fix)

    add = Edit.insert("app/requirements.txt", 2, 1, "celery\n")
    [action] = fixes_for(finding(Fix.unsafe("Add `celery`", add)), None)
    assert (action.path, action.safe, action.preferred) == ("app/requirements.txt", False, False)
    assert (action.edits[0].line, action.edits[0].column, action.edits[0].text) == (2, 1, "celery\n")
    here = Edit.insert("app/main.py", 1, 1, "#")
    assert fixes_for(finding(Fix.safe("Comment out", here)), None)[0].path is None
    assert fixes_for(finding(Fix.safe("Two files", add, here)), None) == []  # a fix edits one file
    assert fixes_for(finding(None), None) == []
