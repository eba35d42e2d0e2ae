"""``SourceText``: the one line index of a source file, and the per-path cache every reader shares.

Every position in the model counts lines the way the files were read: ``reading.decode`` turns CRLF
and a lone CR into "\n", as libyaml (and so Compose) and editors break lines, so a line ends at "\n".
A text that did not come through ``decode`` may still hold CRLF: its "\r" belongs to the break, as
BuildKit's scanner trims it. (BuildKit alone keeps a lone CR inside its line; composelint follows
Compose and the editor there.) The YAML loader re-counts libyaml's marks from character offsets with
this index where libyaml would count other breaks (NEL, LS, PS), so parsers, fingerprints, baselines
and the text reporter's snippets all number one file alike.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Callable, Mapping

_NEWLINE = re.compile("\n")


class SourceText:
    """One file's text, split into lines once, lazily."""

    __slots__ = ("text", "_lines", "_starts")

    def __init__(self, text: str) -> None:
        self.text = text
        self._lines: list[str] | None = None
        self._starts: list[int] | None = None

    @property
    def lines(self) -> list[str]:
        """The lines without their breaks (a CRLF's "\r" removed)."""
        if self._lines is None:
            self._lines = [line[:-1] if line.endswith("\r") else line for line in self.text.split("\n")]
        return self._lines

    def line(self, number: int) -> str | None:
        """Line ``number`` (1-based), or None past the end."""
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else None

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset, clamped to the text."""
        starts = self._line_starts()
        offset = max(0, min(offset, len(self.text)))
        index = bisect.bisect_right(starts, offset) - 1
        return index + 1, offset - starts[index] + 1

    def line_end(self, offset: int) -> int:
        """Offset of the "\n" that ends the line holding ``offset`` (the text's length on the last line)."""
        starts = self._line_starts()
        index = bisect.bisect_right(starts, max(offset, 0))  # the next line's start, one past its break
        return starts[index] - 1 if index < len(starts) else len(self.text)

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [match.end() for match in _NEWLINE.finditer(self.text)]
        return self._starts


@lru_cache(maxsize=64)
def source_text(text: str) -> SourceText:
    """The shared index of ``text`` (a str caches its hash, so a lookup costs little)."""
    return SourceText(text)


class SourceLines:
    """Lines of files by path, from a mapping or a reader (which may fail: the file then has no lines)."""

    def __init__(self, sources: Mapping[str, str] | Callable[[str], str | None]) -> None:
        self._read = sources.get if isinstance(sources, Mapping) else sources
        self._texts: dict[str, SourceText] = {}

    def of(self, path: str) -> SourceText | None:
        source = self._texts.get(path)
        if source is None:
            try:
                text = self._read(path)
            except Exception:  # a reader that fails (a baseline's file gone) must not crash the run
                text = None
            if text is None:
                return None  # not cached: the project loads some files after others ask for them
            source = self._texts[path] = SourceText(text)
        return source

    def line(self, path: str, number: int) -> str | None:
        source = self.of(path)
        return source.line(number) if source is not None else None
