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
