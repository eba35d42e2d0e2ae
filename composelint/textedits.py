"""Apply a fix's edits to a file's own text, touching nothing else.

A file is edited as it is on disk, never re-serialised: its bytes are decoded as UTF-8 (undecodable
bytes kept with ``surrogateescape``) with the BOM still in front and every line break as written, and
the edited text is encoded back the same way. Edits speak the model's positions (composelint.diagnostics.Edit):
lines of the text that ``reading.decode`` made, where CRLF and a lone CR are one break each and the
BOM is gone, and columns in code points. ``Lines`` maps those onto offsets in the raw text, so a CRLF
file keeps its CRLFs, a BOM stays, a tab is one column, and a "\\n" the edit inserts is written as
the file's own line break.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

BOM = "\ufeff"
_BREAK = re.compile("\r\n|\r|\n")


class Lines:
    """Where each line of a raw text starts and where its content ends (before its break)."""

    __slots__ = ("text", "starts", "ends", "offset0")

    def __init__(self, text: str) -> None:
        self.text = text
        self.offset0 = 1 if text.startswith(BOM) else 0
        self.starts = [self.offset0]
        self.ends = []
        for match in _BREAK.finditer(text):
            self.ends.append(match.start())
            self.starts.append(match.end())
        self.ends.append(len(text))

    def offset(self, line: int, column: int) -> int:
        """The raw offset of a 1-based (line, column); a column past the line's content stops at its
        end, a line past the last one is the end of the text."""
        if line > len(self.starts):
            return len(self.text)
        if line < 1:
            return self.offset0
        start, end = self.starts[line - 1], self.ends[line - 1]
        return min(start + max(column, 1) - 1, end)

    def newline(self) -> str:
        """The file's line break: its first one (as ruff's stylist), "\\n" in a file of one line."""
        match = _BREAK.search(self.text)
        return match.group() if match else "\n"


def decode_raw(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def encode_raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def ranges(lines: Lines, edits: Iterable) -> list[tuple[int, int, str]]:
    """Each edit as (start, end, replacement) in raw offsets, replacement in the file's line breaks."""
    newline = lines.newline()
    found = []
    for edit in edits:
        start = lines.offset(edit.start.line, edit.start.column)
        end = max(start, lines.offset(edit.end.line, edit.end.column))
        content = edit.content if newline == "\n" else edit.content.replace("\n", newline)
        found.append((start, end, content))
    return found


def conflicts(one: tuple[int, int, str], other: tuple[int, int, str]) -> bool:
    """Whether two edits overlap: they share text, or both start at one place (two insertions there
    have no order)."""
    return one[0] == other[0] or (one[0] < other[1] and other[0] < one[1])


def apply_ranges(text: str, chosen: Sequence[tuple[int, int, str]]) -> str:
    """``text`` with non-overlapping ranges replaced."""
    pieces = []
    last = 0
    for start, end, content in sorted(chosen, key=lambda item: (item[0], item[1])):
        pieces.append(text[last:start])
        pieces.append(content)
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def apply_edits(text: str, edits: Sequence) -> str:
    """``text`` (raw) with ``edits`` applied; they must not overlap (ValueError)."""
    lines = Lines(text)
    chosen = ranges(lines, edits)
    for index, one in enumerate(chosen):
        if any(conflicts(one, other) for other in chosen[index + 1:]):
            raise ValueError("overlapping edits")
    return apply_ranges(text, chosen)


_DIFF_LINE = re.compile("[^\n]*\n|[^\n]+$")


def unified_diff(path: str, original: str, fixed: str, context: int = 3) -> str:
    """A unified diff that `git apply` and `patch -p1` apply from the root: ``a/PATH`` and ``b/PATH``.

    Lines split at "\\n" only, as git and patch read them (a "\\r" stays in its line), and a last line
    without a break gets patch's "\\ No newline at end of file" marker.
    """
    import difflib

    out = []
    for line in difflib.unified_diff(_DIFF_LINE.findall(original), _DIFF_LINE.findall(fixed),
                                     f"a/{path}", f"b/{path}", n=context):
        out.append(line)
        if not line.endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)
