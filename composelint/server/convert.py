"""Findings as LSP diagnostics, and paths as URIs.

composelint positions are 1-based lines and columns in code points; LSP's are 0-based, in the
code units the client and server agreed on (UTF-16 unless the client offers UTF-32 or UTF-8).
"""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from composelint.diagnostics import Diagnostic, Severity

SOURCE = "composelint"
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFO: types.DiagnosticSeverity.Information}


class Lines:
    """A text split into lines once, converting code-point columns to the client's units."""

    def __init__(self, text: str | None, codec):
        self.lines = (text or "").split("\n")
        self.codec = codec
        encoding = getattr(codec, "encoding", "utf-16")
        encoding = getattr(encoding, "value", encoding)  # a PositionEncodingKind or its string
        # Counted by the codecs in C: pygls's codec counts in Python, char by char (~4 us a line).
        self._encoding = "utf-32" if encoding == "utf-32" else ("utf-8" if encoding == "utf-8" else "utf-16")

    def position(self, line: int, column: int) -> types.Position:
        """1-based (line, code-point column) -> the client's 0-based position, clamped to the text."""
        index = max(line - 1, 0)
        if index >= len(self.lines):
            return types.Position(line=len(self.lines) - 1, character=self.units(self.lines[-1]))
        text = self.lines[index]
        character = min(max(column - 1, 0), len(text))
        return types.Position(line=index, character=self.units(text[:character]))

    def units(self, text: str) -> int:
        if self._encoding == "utf-32" or text.isascii():
            return len(text)
        if self._encoding == "utf-8":
            return len(text.encode("utf-8", "surrogatepass"))
        return len(text.encode("utf-16-le", "surrogatepass")) // 2

    def range_of(self, span) -> types.Range:
        start = self.position(span.start.line, span.start.column)
        if span.end is not None:
            end = self.position(span.end.line, span.end.column)
        else:  # no end recorded: mark the rest of the line, so that the editor has something to underline
            index = start.line
            text = self.lines[index] if index < len(self.lines) else ""
            end = types.Position(line=index, character=max(self.units(text.rstrip()), start.character))
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return types.Range(start=start, end=end)


def to_lsp(diagnostic: Diagnostic, lines: Lines, uri_of, lines_of) -> types.Diagnostic:
    """``uri_of(path)`` and ``lines_of(path)`` give the URI and Lines of the files notes point to."""
    related = []
    for note in diagnostic.related:
        other = lines if note.span.path == diagnostic.span.path else lines_of(note.span.path)
        related.append(types.DiagnosticRelatedInformation(
            location=types.Location(uri=uri_of(note.span.path), range=other.range_of(note.span)),
            message=note.message))
    message = diagnostic.message
    if diagnostic.help:
        message += f"\nhelp: {diagnostic.help}"
    return types.Diagnostic(
        range=lines.range_of(diagnostic.span),
        message=message,
        severity=_SEVERITY[diagnostic.severity],
        code=diagnostic.code,
        code_description=types.CodeDescription(href=diagnostic.url) if diagnostic.url else None,
        source=SOURCE,
        related_information=related or None,
        # What a code action or hover needs to find the finding again.
        data={"code": diagnostic.code, "name": diagnostic.name, "line": diagnostic.span.start.line,
              "column": diagnostic.span.start.column},
    )


def path_to_uri(root: Path, relpath: str) -> str:
    return (root / relpath).as_uri()


def uri_to_path(uri: str) -> Path | None:
    from pygls.uris import to_fs_path

    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(path) if path else None
