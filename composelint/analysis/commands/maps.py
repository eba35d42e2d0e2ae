"""Positions in files: maps from offsets in a command's text to file positions.

A Dockerfile instruction's text is mapped exactly (:func:`argument_map`: continuation lines, comment
lines, ``# escape=`` files; :func:`heredoc_map`; :func:`json_strings` for exec-form elements and their
escapes), and a word inside a word (the script of ``sh -c '…'``) through :class:`SubMap`; compose values
are aligned with their YAML text (:func:`align`)."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Callable, Mapping, Sequence

from composelint.diagnostics import Position, Span
from composelint.model import CommandPart, CommandWord
from composelint.sourcetext import source_text

MAX_SCRIPT = 100_000  # characters of one script; longer scripts are not analysed


# --------------------------------------------------------------------------- positions in files


class TextMap:
    """Where each character of a text assembled from pieces of a file's lines is written.

    The text is the concatenation of pieces; piece ``k`` starts at offset ``starts[k]`` of the text and is
    written at (``lines[k]``, ``columns[k]``) onwards, on one line. Offsets before the first piece's start
    are not part of the text (:func:`argument_map` uses that to skip a keyword and flags).
    """

    __slots__ = ("path", "_starts", "_lines", "_columns", "length")

    def __init__(self, path: str, starts: list[int], lines: list[int], columns: list[int], length: int) -> None:
        self.path = path
        self._starts = starts
        self._lines = lines
        self._columns = columns
        self.length = length

    def position(self, offset: int) -> Position:
        index = max(bisect_right(self._starts, offset) - 1, 0)
        return Position(self._lines[index], self._columns[index] + offset - self._starts[index])

    def span(self, start: int, end: int) -> Span | None:
        """The span of ``text[start:end]`` (``end`` exclusive), or None for an empty or out-of-range slice."""
        if not self._starts or not 0 <= start < end <= self.length:
            return None
        last = self.position(end - 1)
        return Span(self.path, self.position(start), Position(last.line, last.column + 1))


class SubMap:
    """A text made of characters of another mapped text: a quoted script, a decoded JSON string.

    Character ``k`` of this text was written as ``parent_text[starts[k]:ends[k]]`` (``ends`` defaults to
    one character each; an escape sequence such as ``\\u00e9`` is longer).
    """

    __slots__ = ("parent", "starts", "ends", "length")

    def __init__(self, parent, starts: Sequence[int], ends: Sequence[int] | None = None) -> None:
        self.parent = parent
        self.starts = starts
        self.ends = ends
        self.length = len(starts)

    def span(self, start: int, end: int) -> Span | None:
        if self.parent is None or not 0 <= start < end <= self.length:
            return None
        last = self.ends[end - 1] if self.ends is not None else self.starts[end - 1] + 1
        return self.parent.span(self.starts[start], last)


class WholeMap:
    """A text whose characters cannot be traced (a script changed by variable expansion): every slice of it
    is the span of the word it came from, ``parent_text[start:end]``."""

    __slots__ = ("parent", "start", "end")

    def __init__(self, parent, start: int, end: int) -> None:
        self.parent, self.start, self.end = parent, start, end

    def span(self, start: int, end: int) -> Span | None:
        return self.parent.span(self.start, self.end) if self.parent is not None else None


class LazyMap:
    """A map built on first use (most words of most RUN steps are never reported)."""

    __slots__ = ("_build", "_map")

    def __init__(self, build: Callable[[], object]) -> None:
        self._build: Callable[[], object] | None = build
        self._map = None

    def span(self, start: int, end: int) -> Span | None:
        if self._build is not None:
            self._map, self._build = self._build(), None
        return self._map.span(start, end) if self._map is not None else None


def _trim_continuation(text: str, escape: str) -> tuple[str, bool]:
    """BuildKit's continuation test (as in :mod:`composelint.parsers.dockerfile`): the escape character ends
    the line (blanks after it allowed) and is not itself escaped."""
    body = text.rstrip(" \t")
    if body.endswith(escape) and (len(body) == 1 or body[-2] != escape):
        return body[:-1], True
    return text, False


def argument_map(instruction, escape: str = "\\") -> TextMap | None:
    """Positions of the characters of ``instruction.arguments`` (continuation lines joined) in the Dockerfile.

    Rebuilds the logical line from ``instruction.text`` the way the Dockerfile parser does (the escape
    character and the line break removed, blank and comment lines inside the continuation skipped, no
    separator added) and checks that it ends with the arguments; None when it does not.
    """
    arguments = instruction.arguments
    text = instruction.text
    if not arguments or not text:
        return None
    lines = text.split("\n")
    first_line, first_column = instruction.span.start.line, instruction.span.start.column
    starts: list[int] = []
    numbers: list[int] = []
    columns: list[int] = []
    pieces: list[str] = []
    total = 0
    piece, continued = _trim_continuation(lines[0], escape)
    starts.append(0)
    numbers.append(first_line)
    columns.append(first_column)
    pieces.append(piece)
    total += len(piece)
    index = 1
    while continued and index < len(lines):
        following = lines[index]
        lead = following.lstrip()
        if lead and lead[0] != "#":  # BuildKit skips blank and comment lines inside a continuation
            piece, continued = _trim_continuation(following, escape)
            starts.append(total)
            numbers.append(first_line + index)
            columns.append(1)
            pieces.append(piece)
            total += len(piece)
        index += 1
    joined = "".join(pieces).rstrip()
    if not joined.endswith(arguments):
        return None
    shift = len(joined) - len(arguments)
    return TextMap(instruction.span.path, [start - shift for start in starts], numbers, columns, len(arguments))


def heredoc_map(instruction, number: int) -> TextMap | None:
    """Positions of the characters of the body of ``instruction.heredocs[number - 1]`` (tabs stripped by
    ``<<-`` accounted for; each line's newline sits just after its last character)."""
    if not 0 < number <= len(instruction.heredocs):
        return None
    heredoc = instruction.heredocs[number - 1]
    lines = instruction.text.split("\n")
    first = heredoc.span.start.line
    base = instruction.span.start.line
    starts: list[int] = []
    numbers: list[int] = []
    columns: list[int] = []
    offset = 0
    body_lines = heredoc.body.split("\n")
    if body_lines and body_lines[-1] == "":
        body_lines.pop()
    for index, body_line in enumerate(body_lines):
        source_index = first + index - base
        if not 0 < source_index < len(lines):
            return None
        source = lines[source_index]
        skip = len(source) - len(body_line)
        if skip < 0 or source[skip:] != body_line:
            return None
        starts.append(offset)
        numbers.append(first + index)
        columns.append(skip + 1)
        offset += len(body_line) + 1
    return TextMap(instruction.span.path, starts, numbers, columns, len(heredoc.body))


_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def json_strings(text: str) -> list[tuple[str, list[int], list[int]]] | None:
    """The strings of a JSON array of strings (an exec form), each with where its characters are written.

    Each item is ``(value, starts, ends)``: character ``k`` of ``value`` is ``text[starts[k]:ends[k]]``
    (longer than one character for an escape sequence). None when ``text`` is not such an array.
    """
    n = len(text)
    i = 0

    def blanks(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    i = blanks(i)
    if i >= n or text[i] != "[":
        return None
    i = blanks(i + 1)
    found: list[tuple[str, list[int], list[int]]] = []
    if i < n and text[i] == "]":
        return found if blanks(i + 1) == n else None
    while i < n:
        if text[i] != '"':
            return None
        i += 1
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        while True:
            if i >= n:
                return None
            char = text[i]
            if char == '"':
                i += 1
                break
            if char != "\\":
                if char < " ":
                    return None  # JSON forbids raw control characters in strings
                chars.append(char)
                starts.append(i)
                ends.append(i + 1)
                i += 1
                continue
            if i + 1 >= n:
                return None
            code = text[i + 1]
            if code in _JSON_ESCAPES:
                chars.append(_JSON_ESCAPES[code])
                starts.append(i)
                ends.append(i + 2)
                i += 2
                continue
            if code != "u" or not re.fullmatch(r"[0-9A-Fa-f]{4}", text[i + 2:i + 6]):
                return None
            value = int(text[i + 2:i + 6], 16)
            end = i + 6
            if 0xD800 <= value < 0xDC00 and text.startswith("\\u", end) and \
                    re.fullmatch(r"[dD][c-fC-F][0-9A-Fa-f]{2}", text[end + 2:end + 6]):
                value = 0x10000 + ((value - 0xD800) << 10) + (int(text[end + 2:end + 6], 16) - 0xDC00)
                end += 6
            chars.append(chr(value))
            starts.append(i)
            ends.append(end)
            i = end
        found.append(("".join(chars), starts, ends))
        i = blanks(i)
        if i < n and text[i] == ",":
            i = blanks(i + 1)
            continue
        if i < n and text[i] == "]":
            return found if blanks(i + 1) == n else None
        return None
    return None


def dockerfile_instruction(project, span: Span):
    """The instruction of ``project``'s Dockerfile at ``span.path`` whose span is ``span``, with the file's
    escape character; None when there is none (cached per file)."""
    cache = project.facts.table("shell.instructions")
    found = cache.get(span.path)
    if found is None:
        dockerfile = project.dockerfiles.get(span.path) if getattr(project, "dockerfiles", None) else None
        if dockerfile is None:
            return None
        found = ({instruction.span: instruction for instruction in dockerfile.instructions}, dockerfile.escape)
        cache[span.path] = found
    instruction = found[0].get(span)
    return (instruction, found[1]) if instruction is not None else None


class Frame:
    """One command word as written in a file; maps offsets in its text to file positions.

    ``where`` (a :class:`TextMap`, :class:`SubMap` …) maps them exactly when the caller knows how the word
    is written (a Dockerfile's shell-form script, an exec-form element); otherwise the word's text is
    aligned with the file region greedily (:func:`align`).
    """

    __slots__ = ("word", "part", "_positions", "_sources", "_where")

    def __init__(self, word: CommandWord, sources: Mapping[str, str] | None, part: CommandPart | None = None,
                 where=None) -> None:
        self.word = word
        self.part = part
        self._sources = sources
        self._where = where
        self._positions: list[tuple[int, int]] | None | bool = False  # False: not computed yet

    def span(self, start: int, end: int) -> Span:
        """The span of ``word.text[start:end]``; the whole word's span when it cannot be narrowed."""
        whole = self.word.span
        if self._where is not None:
            return self._where.span(max(start, 0), min(end, len(self.word.text))) or whole
        if start <= 0 and end >= len(self.word.text):
            return whole
        positions = self._align()
        if not positions or start >= len(positions) or end <= start:
            return whole
        line, column = positions[start]
        end_line, end_column = positions[min(end, len(positions)) - 1]
        return Span(whole.path, Position(line, column), Position(end_line, end_column + 1))

    def _align(self) -> list[tuple[int, int]] | None:
        if self._positions is False:
            self._positions = align(self._sources, self.word.span, self.word.text)
        return self._positions  # type: ignore[return-value]


def align(sources: Mapping[str, str] | None, span: Span, text: str) -> list[tuple[int, int]] | None:
    """(line, column) of every character of ``text`` inside the file region ``span``, or None.

    ``text`` is what the region means after the file format removed its syntax (quotes, escapes,
    line continuations, comment lines inside a Dockerfile instruction, YAML folding). The walk is
    greedy and linear: a character of the region that is not the next character of the text
    must be syntax (a quote, a backslash, blanks, a line break or a ``#`` comment line), or the
    alignment fails and the caller keeps the whole span.
    """
    if not text or len(text) > MAX_SCRIPT:
        return None
    found = _source_lines(sources, span)
    if found is None:
        return None
    lines, line_index = found
    end_line = span.end.line - 1 if span.end is not None else line_index
    end_line = min(end_line, len(lines) - 1)
    positions: list[tuple[int, int]] = []
    column = span.start.column - 1
    i = 0
    line = lines[line_index]
    at_line_start = False
    while i < len(text):
        if column >= len(line):
            # The region continues on the next line: that line break is syntax or a newline char.
            if line_index >= end_line:
                return None
            if text[i] == "\n":
                positions.append((line_index + 1, column + 1))
                i += 1
            line_index += 1
            line = lines[line_index]
            column = 0
            at_line_start = True
            continue
        char = line[column]
        if at_line_start:
            stripped = line.lstrip()
            if stripped.startswith("#") and text[i] != "#":
                column = len(line)  # a comment line inside a continued Dockerfile instruction
                continue
            at_line_start = False
        expected = text[i]
        if char == expected:
            positions.append((line_index + 1, column + 1))
            i += 1
            column += 1
            continue
        if expected == "\n" and char in " \t":
            column += 1
            continue
        if expected in " \t" and char in " \t\\":
            column += 1
            continue
        if char in "\"'\\ \t":
            column += 1
            continue
        return None
    return positions


def _source_lines(sources: Mapping[str, str] | None, span: Span) -> tuple[list[str], int] | None:
    """The lines of the file ``span`` is in and the index of its first line, when both exist."""
    source = sources.get(span.path) if sources is not None else None
    if source is None:
        return None
    lines = source_text(source).lines
    line_index = span.start.line - 1
    return (lines, line_index) if 0 <= line_index < len(lines) else None


# --------------------------------------------------------------------------- words and scripts
