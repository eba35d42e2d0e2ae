"""Findings as LSP diagnostics, and paths as URIs.

composelint positions are 1-based lines and columns in code points; LSP's are 0-based, in the
code units the client and server agreed on (UTF-16 unless the client offers UTF-32 or UTF-8).

A diagnostic is built as the JSON the protocol sends (``diagnostic_json``), not as lsprotocol objects:
the server publishes ~800 findings for one 250-service compose file on every edit, and building,
then unstructuring, the typed objects cost ~40 ms of it (pygls's cattrs pass); the dictionaries cost
~6 ms. ``to_lsp`` gives the typed object (code actions) from the same dictionary, so there is one shape.
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from composelint.diagnostics import Diagnostic, Severity

SOURCE = "composelint"
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error.value,
             Severity.WARNING: types.DiagnosticSeverity.Warning.value,
             Severity.INFO: types.DiagnosticSeverity.Information.value}


class Lines:
    """A text split into lines once, converting code-point columns to the client's units."""

    def __init__(self, text: str | None, codec):
        self.lines = (text or "").split("\n")
        self.codec = codec
        encoding = getattr(codec, "encoding", "utf-16")
        encoding = getattr(encoding, "value", encoding)  # a PositionEncodingKind or its string
        # Counted by the codecs in C: pygls's codec counts in Python, char by char (~4 us a line).
        self._encoding = "utf-32" if encoding == "utf-32" else ("utf-8" if encoding == "utf-8" else "utf-16")

    def point(self, line: int, column: int) -> tuple[int, int]:
        """1-based (line, code-point column) -> the client's 0-based (line, character), clamped to the text."""
        index = max(line - 1, 0)
        if index >= len(self.lines):
            return len(self.lines) - 1, self.units(self.lines[-1])
        text = self.lines[index]
        character = min(max(column - 1, 0), len(text))
        return index, self.units(text[:character])

    def position(self, line: int, column: int) -> types.Position:
        index, character = self.point(line, column)
        return types.Position(line=index, character=character)

    def units(self, text: str) -> int:
        if self._encoding == "utf-32" or text.isascii():
            return len(text)
        if self._encoding == "utf-8":
            return len(text.encode("utf-8", "surrogatepass"))
        return len(text.encode("utf-16-le", "surrogatepass")) // 2

    def range_json(self, span) -> dict:
        """The span as an LSP Range (JSON)."""
        start = self.point(span.start.line, span.start.column)
        if span.end is not None:
            end = self.point(span.end.line, span.end.column)
        else:  # no end recorded: mark the rest of the line, so that the editor has something to underline
            index = start[0]
            text = self.lines[index] if index < len(self.lines) else ""
            end = (index, max(self.units(text.rstrip()), start[1]))
        if end < start:
            end = start
        return {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}}

    def range_of(self, span) -> types.Range:
        marked = self.range_json(span)
        return types.Range(start=types.Position(**marked["start"]), end=types.Position(**marked["end"]))


def diagnostic_json(diagnostic: Diagnostic, lines: Lines, uri_of, lines_of) -> dict:
    """The finding as an LSP Diagnostic (JSON); ``uri_of(path)`` and ``lines_of(path)`` give the URI and
    Lines of the files notes point to."""
    message = diagnostic.message
    if diagnostic.help:
        message += f"\nhelp: {diagnostic.help}"
    start = diagnostic.span.start
    found = {
        "range": lines.range_json(diagnostic.span),
        "message": message,
        "severity": _SEVERITY[diagnostic.severity],
        "code": diagnostic.code,
        "source": SOURCE,
        # What a code action or hover needs to find the finding again.
        "data": {"code": diagnostic.code, "name": diagnostic.name, "line": start.line, "column": start.column},
    }
    if diagnostic.url:
        found["codeDescription"] = {"href": diagnostic.url}
    if diagnostic.related:
        found["relatedInformation"] = [
            {"location": {"uri": uri_of(note.span.path),
                          "range": (lines if note.span.path == diagnostic.span.path
                                    else lines_of(note.span.path)).range_json(note.span)},
             "message": note.message}
            for note in diagnostic.related]
    return found


def to_lsp(diagnostic: Diagnostic, lines: Lines, uri_of, lines_of) -> types.Diagnostic:
    """The same finding as an lsprotocol object."""
    from lsprotocol.converters import get_converter

    return get_converter().structure(diagnostic_json(diagnostic, lines, uri_of, lines_of), types.Diagnostic)


def path_to_uri(root: Path, relpath: str) -> str:
    return (root / relpath).as_uri()


def uri_to_path(uri: str) -> Path | None:
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None
