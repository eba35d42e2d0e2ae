"""A real LSP client (pytest-lsp's, on pygls) driving ``composelint server`` in a subprocess."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")
pytest.importorskip("pytest_lsp", reason="pytest-lsp is not installed")

from lsprotocol import types  # noqa: E402
from pytest_lsp import make_test_lsp_client  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def server_command(*, prelude: str | None = None) -> list[str]:
    """``python -m composelint server``; ``prelude`` runs first in the server process (fault injection)."""
    if prelude is None:
        return [sys.executable, "-m", "composelint", "server"]
    return [sys.executable, "-c", f"{prelude}\nfrom composelint.cli import main\nmain(['server'])"]


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = str(REPO)
    return env


class Client:
    """pytest-lsp's client with waits that say what they waited for."""

    def __init__(self, client):
        self.lsp = client
        self.versions: dict[str, int] = {}

    @property
    def diagnostics(self) -> dict:
        return self.lsp.diagnostics

    async def until(self, predicate, what: str, timeout: float = TIMEOUT):
        """Wait for diagnostics notifications until ``predicate()`` holds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}; diagnostics: {self.summary()}")
            try:
                await asyncio.wait_for(
                    self.lsp.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), remaining)
            except asyncio.TimeoutError:
                pass
        return True

    def codes(self, uri: str) -> list[str]:
        return sorted(str(d.code) for d in self.diagnostics.get(uri, ()))

    def summary(self) -> dict:
        return {uri.rsplit("/", 2)[-2] + "/" + uri.rsplit("/", 1)[-1]: [(d.code, d.range.start.line, d.message[:60])
                                                                       for d in items]
                for uri, items in self.diagnostics.items()}

    def open(self, path: Path, text: str | None = None, language: str = "plaintext") -> str:
        uri = path.as_uri()
        self.versions[uri] = 1
        self.lsp.text_document_did_open(types.DidOpenTextDocumentParams(text_document=types.TextDocumentItem(
            uri=uri, language_id=language, version=1, text=path.read_text() if text is None else text)))
        return uri

    def replace(self, uri: str, text: str) -> None:
        """The whole buffer replaced (what a formatter or a paste does)."""
        self.versions[uri] += 1
        self.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def insert(self, uri: str, line: int, character: int, text: str) -> None:
        """An incremental edit: ``text`` typed at 0-based (line, character)."""
        self.versions[uri] += 1
        position = types.Position(line=line, character=character)
        self.lsp.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
            content_changes=[types.TextDocumentContentChangePartial(
                range=types.Range(start=position, end=position), text=text)]))


async def start(root: Path, *, prelude: str | None = None, options: dict | None = None,
                capabilities: types.ClientCapabilities | None = None) -> Client:
    client = make_test_lsp_client()
    await client.start_io(*server_command(prelude=prelude), env=environment(), cwd=str(root))
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities or types.ClientCapabilities(),
        root_uri=root.as_uri(), workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options=options))
    return Client(client)


async def stop(client: Client) -> int | None:
    """shutdown, exit; the server process's exit code."""
    await client.lsp.shutdown_session()
    server = client.lsp._server
    code = server.returncode if server is not None else None
    await client.lsp.stop()
    return code


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 4 * TIMEOUT))
