"""Start commands read the way a shell reads them: simple commands, wrappers, positions.

Two layers:

* :func:`parse_script` splits a POSIX shell script (the text after ``sh -c``, a Dockerfile
  shell-form CMD, a ``RUN`` line) into :class:`SimpleCommand` s: quotes, ``&&``, ``||``,
  ``;``, ``|``, ``&``, newlines, subshells and groups, ``if``/``while``/``for``/``case``
  bodies, redirections, here-documents, comments, ``NAME=value`` prefixes. Every word keeps
  the offset of each of its characters in the text, so a word found three levels down
  (``sh -c "tini -- sh -c 'python x.py'"``) still maps to its column in the file.
* :func:`start_analysis` turns a service's (or an image's) effective start command into
  :class:`Invocation` s, the programs that really run: ``sh -c``/``bash -c`` scripts are
  parsed, wrappers (``exec``, ``tini --``, ``dumb-init``, ``gosu user``, ``su-exec``,
  ``env``, ``nice``, ``timeout`` …) are looked through, ``cd`` is followed, and runners
  (``poetry run``, ``npx`` …) are marked so nobody looks their program up on ``PATH``.

Positions: a word's offsets go through maps down to the file. A Dockerfile instruction's text is mapped
exactly (:func:`argument_map`: continuation lines, comment lines, ``# escape=`` files; :func:`heredoc_map`;
:func:`json_strings` for exec-form elements and their escapes), and a word inside a word (the script of
``sh -c '…'``) through :class:`SubMap`; compose values are aligned with their YAML text (:func:`align`).

What a command does: :func:`install_of` reads the one table of package installs (:data:`INSTALLERS`) that
CL201 (:func:`package_install`), CL407 (:func:`python_package_install`) and the Python analysis of RUN
steps share; :func:`dev_mode` and :func:`operands` read development servers and the files a command runs.

Nothing here reads a file: positions come from ``project.sources`` (the text the model was
built from) and the model's instructions. Nothing raises on hostile input; scripts and nesting are bounded.
"""

from __future__ import annotations

import posixpath
import re
from bisect import bisect_right
from dataclasses import field
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

from composelint.diagnostics import Position, Span
from composelint.model import CommandPart, CommandWord, EffectiveCommand
from composelint.records import record

MAX_SCRIPT = 100_000  # characters of one script; longer scripts are not analysed
MAX_DEPTH = 4  # sh -c inside sh -c …
MAX_NESTING = 64  # $( $( … ) ) and ${ … } inside one word

SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox-sh"))
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGNMENT_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_FD_RE = re.compile(r"\d+\Z")


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
    lines = _lines(source)
    line_index = span.start.line - 1
    return (lines, line_index) if 0 <= line_index < len(lines) else None


@lru_cache(maxsize=64)
def _lines(source: str) -> list[str]:
    """The lines of a source text, split once (a str caches its hash, so lookups are cheap)."""
    return source.split("\n")


# --------------------------------------------------------------------------- words and scripts


@record(frozen=True, slots=True, eq=False)
class ShWord:
    """One shell word: its text after quote removal, and where every character came from."""

    text: str
    offsets: tuple[int, ...]  # frame offset of each character of text
    start: int  # frame offset of the word's first source character (a quote included)
    end: int  # exclusive
    literal: bool  # no expansion: no unquoted/double-quoted `$`, backquote, glob or leading `~`
    frame: Frame | None = None
    raw: str = ""  # the word as written, quotes included (for expansion with known variables)
    # Frame offset where each character's source starts when that is not ``offsets`` (an escaped character
    # starts at its backslash: `\"`); empty when the same.
    starts: tuple[int, ...] = ()

    @property
    def span(self) -> Span | None:
        if self.frame is None:
            return None
        return self.frame.span(self.start, self.end)


@record(frozen=True, slots=True)
class Redirect:
    operator: str
    target: ShWord | None


@record(frozen=True, slots=True)
class SimpleCommand:
    words: tuple[ShWord, ...]  # the argv, assignments and redirections removed
    assignments: tuple[tuple[str, ShWord], ...] = ()
    redirects: tuple[Redirect, ...] = ()
    background: bool = False  # ended by `&`
    after: str = ""  # the operator before it: "" | "&&" | "||" | ";" | "|" | "&" | "\n"
    piped: bool = False  # part of a pipeline
    conditional: bool = False  # may not run: inside if/while/case, after `||`
    depth: int = 0  # ( ) subshell / { } group nesting
    subshell: int = 0  # ( ) nesting only

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)


@record(frozen=True, slots=True)
class Script:
    commands: tuple[SimpleCommand, ...]
    complete: bool = True  # False: constructs not followed (functions, case, eval, unbalanced quotes)
    problem: str | None = None


@record(slots=True)
class _Token:
    kind: str  # "word" | "op" | "newline"
    value: str
    word: ShWord | None = None


class _Tokenizer:
    """POSIX-shell tokens over ``text``; positions mapped through ``base`` into the frame."""

    def __init__(self, text: str, base: Sequence[int] | None, frame: Frame | None,
                 base_starts: Sequence[int] | None = None) -> None:
        self.text = text
        self.base = base
        self.base_starts = base_starts
        self.frame = frame
        self.complete = True
        self.problem: str | None = None

    def _map(self, offset: int) -> int:
        base = self.base
        if base is None:
            return offset
        if not base:
            return 0
        if offset < len(base):
            return base[offset]
        return base[-1] + 1

    def _map_start(self, offset: int) -> int:
        """Where the source of character ``offset`` starts in the frame (before an escaping backslash)."""
        starts = self.base_starts
        if starts is not None and 0 <= offset < len(starts):
            return starts[offset]
        return self._map(offset)

    def tokens(self) -> list[_Token]:
        text, n = self.text, len(self.text)
        tokens: list[_Token] = []
        pending_heredocs: list[tuple[str, bool]] = []
        i = 0
        while i < n:
            char = text[i]
            if char in " \t\r":
                i += 1
                continue
            if char == "\\" and i + 1 < n and text[i + 1] == "\n":
                i += 2
                continue
            if char == "\n":
                tokens.append(_Token("newline", "\n"))
                i += 1
                if pending_heredocs:
                    i = self._skip_heredocs(i, pending_heredocs)
                    pending_heredocs = []
                continue
            if char == "#":
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            operator = self._operator(i)
            if operator:
                if operator in ("<<", "<<-"):
                    i += len(operator)
                    word, i = self._word(self._skip_blanks(i))
                    if word is not None:
                        pending_heredocs.append((word.text, operator == "<<-"))
                    tokens.append(_Token("op", operator, word))
                    continue
                tokens.append(_Token("op", operator))
                i += len(operator)
                continue
            word, i = self._word(i)
            if word is None:
                break
            # An all-digit word right before a redirection is a file descriptor, not an argument.
            if i < n and text[i] in "<>" and _FD_RE.match(word.text):
                continue
            tokens.append(_Token("word", word.text, word))
        if pending_heredocs:
            self.complete = False
        return tokens

    def _skip_blanks(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t":
            i += 1
        return i

    def _skip_heredocs(self, i: int, pending: list[tuple[str, bool]]) -> int:
        text, n = self.text, len(self.text)
        for delimiter, strip_tabs in pending:
            while i < n:
                end = text.find("\n", i)
                line = text[i:] if end < 0 else text[i:end]
                i = n if end < 0 else end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        return i

    def _operator(self, i: int) -> str:
        text = self.text
        if text[i] not in ";&|()<>":
            return ""
        for operator in ("&>>", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", ">>", "<<", "<&", ">&", "<>", ">|",
                         "&>", ";", "&", "|", "(", ")", "<", ">"):
            if text.startswith(operator, i):
                return operator
        return ""

    def _word(self, i: int) -> tuple[ShWord | None, int]:
        text, n = self.text, len(self.text)
        start = i
        chars: list[str] = []
        offsets: list[int] = []
        escapes: list[int] = []  # characters written behind a backslash
        literal = True
        if i < n and text[i] == "~":
            literal = False
        while i < n:
            char = text[i]
            if char in " \t\r\n;&|()<>":
                break
            if char == "\\":
                if i + 1 < n:
                    if text[i + 1] != "\n":
                        chars.append(text[i + 1])
                        offsets.append(i + 1)
                        escapes.append(i + 1)
                    i += 2
                else:
                    i += 1
                continue
            if char == "'":
                close = text.find("'", i + 1)
                if close < 0:
                    self.complete, self.problem = False, "unterminated single quote"
                    close = n
                for k in range(i + 1, close):
                    chars.append(text[k])
                    offsets.append(k)
                i = close + 1
                continue
            if char == '"':
                i += 1
                while i < n and text[i] != '"':
                    c = text[i]
                    if c == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                        if text[i + 1] != "\n":
                            chars.append(text[i + 1])
                            offsets.append(i + 1)
                            escapes.append(i + 1)
                        i += 2
                        continue
                    if c == "$" or c == "`":
                        literal = False
                        end = self._expansion_end(i)
                        for k in range(i, end):
                            chars.append(text[k])
                            offsets.append(k)
                        i = end
                        continue
                    chars.append(c)
                    offsets.append(i)
                    i += 1
                if i >= n:
                    self.complete, self.problem = False, "unterminated double quote"
                i += 1
                continue
            if char == "$" or char == "`":
                end = self._expansion_end(i)
                if end > i + 1 or char == "`":
                    literal = False
                for k in range(i, end):
                    chars.append(text[k])
                    offsets.append(k)
                i = end
                continue
            if char in "*?[":
                literal = False
            # a run of plain characters at once
            j = i + 1
            while j < n and text[j] not in _SPECIAL:
                j += 1
            chars.append(text[i:j])
            offsets.extend(range(i, j))
            i = j
        if i == start:
            return None, i + 1 if i < n else n
        frame_offsets = tuple(offsets) if self.base is None else tuple(self._map(k) for k in offsets)
        starts: tuple[int, ...] = ()
        if escapes or self.base_starts is not None:
            escaped = set(escapes)
            starts = tuple(self._map_start(k - 1 if k in escaped else k) for k in offsets)
        word = ShWord("".join(chars), frame_offsets, self._map_start(start), self._map(i - 1) + 1 if i > start else
                      self._map_start(start), literal, self.frame, text[start:i], starts)
        return word, i

    def _expansion_end(self, i: int) -> int:
        """End of the `$…` or backquote expansion starting at ``i`` (bounded, no recursion)."""
        text, n = self.text, len(self.text)
        if text[i] == "`":
            j = i + 1
            while j < n and text[j] != "`":
                j += 2 if text[j] == "\\" else 1
            return min(j + 1, n)
        if i + 1 >= n:
            return i + 1
        following = text[i + 1]
        if following in "({":
            opener, closer = following, ")" if following == "(" else "}"
            depth = 0
            j = i + 1
            quote = ""
            while j < n:
                c = text[j]
                if quote:
                    if c == quote:
                        quote = ""
                    elif c == "\\" and quote == '"':
                        j += 1
                elif c in "'\"":
                    quote = c
                elif c == "\\":
                    j += 1
                elif c == opener:
                    depth += 1
                    if depth > MAX_NESTING:
                        self.complete = False
                        return n
                elif c == closer:
                    depth -= 1
                    if depth == 0:
                        return j + 1
                j += 1
            self.complete, self.problem = False, f"unterminated `${following}`"
            return n
        if following.isalnum() or following == "_":
            j = i + 1
            if following.isdigit():
                return j + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            return j
        if following in "@*#?-$!":
            return i + 2
        return i + 1  # a lone `$` is a literal dollar sign


_SPECIAL = frozenset(" \t\r\n;&|()<>\\'\"$`*?[")
_RESERVED_START = frozenset(("if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"))
_RESERVED_END = frozenset(("fi", "done", "esac", "}"))


def parse_script(text: str, base: Sequence[int] | None = None, frame: Frame | None = None, *,
                 case_arms: bool = False, starts: Sequence[int] | None = None) -> Script:
    """Split a shell script into simple commands (see the module docstring); never raises.

    ``base`` maps offsets of ``text`` into the frame (a script that is itself a word: its ``offsets``),
    ``starts`` where each character's source starts there (its ``starts``: escaped characters begin at
    their backslash).

    ``case`` bodies are skipped unless ``case_arms`` is true: then the commands of every arm are kept
    (as ``conditional``) and only ``case WORD in`` and the ``pattern)`` of each arm are left out. A
    start command's arms are guesses, but a RUN step's installs must all count, whichever arm runs.
    """
    if len(text) > MAX_SCRIPT:
        return Script((), False, "script too long to analyse")
    try:
        tokenizer = _Tokenizer(text, base, frame, starts)
        tokens = tokenizer.tokens()
        commands, complete = _commands(tokens, case_arms)
        return Script(tuple(commands), complete and tokenizer.complete, tokenizer.problem)
    except Exception as error:  # defensive: a tokenizer bug must not stop the lint
        return Script((), False, f"{type(error).__name__}: {error}")


def _commands(tokens: list[_Token], case_arms: bool = False) -> tuple[list[SimpleCommand], bool]:
    commands: list[SimpleCommand] = []
    complete = True
    words: list[ShWord] = []
    assignments: list[tuple[str, ShWord]] = []
    redirects: list[Redirect] = []
    after = ""
    piped_in = False
    depth = 0
    subshell = 0
    conditional_depth = 0  # inside if/while/until/case bodies
    in_condition_stack: list[str] = []
    skip_until: str | None = None  # "do" after `for x in …`, "esac" for case
    or_chain = False
    expect_redirect_target: str | None = None
    function_depth: int | None = None
    case_states: list[str] = []  # with case_arms, per open `case`: "subject" | "patterns" | "body"

    def flush(terminator: str) -> None:
        nonlocal words, assignments, redirects, after, piped_in, or_chain
        if words or assignments or redirects:
            conditional = conditional_depth > 0 or or_chain or function_depth is not None
            commands.append(SimpleCommand(
                tuple(words), tuple(assignments), tuple(redirects), terminator == "&", after,
                piped_in or terminator in ("|", "|&"), conditional, depth, subshell))
        words, assignments, redirects = [], [], []
        piped_in = terminator in ("|", "|&")
        if terminator == "||":
            or_chain = True
        elif terminator in (";", "\n", "&", ";;"):
            or_chain = False
        if terminator:
            after = "\n" if terminator == "newline" else terminator

    for token in tokens:
        if expect_redirect_target is not None:
            if token.kind == "word":
                redirects.append(Redirect(expect_redirect_target, token.word))
                expect_redirect_target = None
                continue
            redirects.append(Redirect(expect_redirect_target, None))
            expect_redirect_target = None
        if case_states and case_states[-1] != "body":
            # `case WORD in` and each arm's `pattern)` are not commands.
            if case_states[-1] == "subject":
                if token.kind == "word" and token.value == "in":
                    case_states[-1] = "patterns"
            elif token.kind == "op" and token.value == ")":
                case_states[-1] = "body"
            elif token.kind == "word" and token.word is not None and token.word.literal and token.word.raw == "esac":
                case_states.pop()
                conditional_depth = max(0, conditional_depth - 1)
            continue
        if skip_until is not None:
            if token.kind == "word" and token.value == skip_until and not words:
                if skip_until == "esac":
                    conditional_depth = max(0, conditional_depth - 1)
                skip_until = None
            elif skip_until == "esac" and token.kind == "word" and token.value == "esac":
                skip_until = None
                conditional_depth = max(0, conditional_depth - 1)
            continue
        if token.kind == "newline":
            flush("newline")
            continue
        if token.kind == "op":
            value = token.value
            if value in ("<<", "<<-"):
                redirects.append(Redirect(value, token.word))
                continue
            if value in ("<", ">", ">>", "<&", ">&", "<>", ">|", "&>", "&>>", "<<<"):
                expect_redirect_target = value
                continue
            if value == "(":
                if words and not assignments and len(words) == 1:
                    # `name ( ) { … }`: a function definition; its body runs only when called.
                    complete = False
                    function_depth = depth
                    words = []
                    continue
                depth += 1
                subshell += 1
                continue
            if value == ")":
                flush("")
                if function_depth is not None and depth == function_depth:
                    continue  # the `)` of `name ( )`
                depth = max(0, depth - 1)
                subshell = max(0, subshell - 1)
                continue
            if value in (";;", ";&"):
                flush(";")
                if case_states:
                    case_states[-1] = "patterns"  # the next arm
                continue
            flush(value)
            continue
        word = token.word
        assert word is not None
        value = token.value
        if not words and not assignments:
            if word.literal and value in _RESERVED_START and word.raw == value:
                if value in ("if", "while", "until"):
                    in_condition_stack.append(value)
                    conditional_depth += 1
                elif value == "{":
                    depth += 1
                continue
            if word.literal and value in _RESERVED_END and word.raw == value:
                if value == "}":
                    depth = max(0, depth - 1)
                    if function_depth is not None and depth <= function_depth:
                        function_depth = None
                elif value in ("fi", "done"):
                    if in_condition_stack:
                        in_condition_stack.pop()
                    conditional_depth = max(0, conditional_depth - 1)
                elif value == "esac" and case_states:
                    case_states.pop()  # the last arm ended without `;;`
                    conditional_depth = max(0, conditional_depth - 1)
                continue
            if word.literal and word.raw in ("for", "select"):
                skip_until = "do"
                in_condition_stack.append(word.raw)
                conditional_depth += 1
                continue
            if word.literal and word.raw == "case":
                if case_arms:
                    case_states.append("subject")
                else:
                    skip_until = "esac"
                conditional_depth += 1
                complete = False
                continue
            if word.literal and word.raw == "function":
                complete = False
                function_depth = depth
                continue
        if not words:
            match = _ASSIGNMENT_RE.match(value)
            if match and word.raw[:match.end()] == value[:match.end()]:
                assignments.append((match.group(1), word))
                continue
        words.append(word)
    if expect_redirect_target is not None:
        redirects.append(Redirect(expect_redirect_target, None))
    flush("")
    return commands, complete


def assignment_value(word: ShWord) -> str:
    """The value part of a ``NAME=value`` word."""
    return word.text.split("=", 1)[1] if "=" in word.text else ""


# --------------------------------------------------------------------------- variable expansion


def expand(word: ShWord, env: Mapping[str, str] | None) -> str | None:
    """The word's value at run time: its text when literal, else expanded with ``env``.

    None when it depends on something unknown: a variable not in ``env``, a command
    substitution, a glob, ``~``.
    """
    if word.literal:
        return word.text
    if env is None:
        return None
    raw = word.raw
    if "`" in raw or "$(" in raw or raw.startswith("~"):
        return None
    if re.search(r"(?<!\\)[*?\[]", raw.replace("'*'", "").replace('"*"', "")):
        return None
    names = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", raw)
    if not names or any(name not in env for name in names):
        return None
    if re.search(r"\$\{[^}]*[:#%/?+-]", raw):
        return None
    from composelint.parsers.dockerfile import substitute

    return substitute(raw, env)


# --------------------------------------------------------------------------- what runs


@record(frozen=True, slots=True, eq=False)
class ShellCall:
    """``sh -c SCRIPT`` (or a Dockerfile shell-form command): the shell and what its script runs."""

    shell: ShWord  # the shell program word
    script: ShWord  # the script argument
    parsed: Script
    part: CommandPart
    exec_last: bool  # the last foreground command replaces the shell (`exec cmd`)
    backgrounds: tuple[SimpleCommand, ...]  # commands started with `&`
    foreground: int  # how many commands run in the foreground
    waits: bool  # the script calls `wait`
    traps: bool  # the script sets a `trap`
    implicit: bool = False  # a Dockerfile shell form: the shell is /bin/sh -c, not written by the user


@record(frozen=True, slots=True, eq=False)
class Invocation:
    """One program the start command runs, with wrappers and shells looked through."""

    words: tuple[ShWord, ...]  # argv: words[0] is the program
    part: CommandPart  # the compose/Dockerfile value it was written in
    assignments: tuple[tuple[str, ShWord], ...] = ()
    cwd: str | None = None  # after `cd` in the same script; None: the container's working directory
    cwd_unknown: bool = False  # a `cd` to something not known
    shell: ShellCall | None = None  # the script it is part of
    command: SimpleCommand | None = None
    exec_: bool = False
    background: bool = False
    conditional: bool = False
    wrapped_by: tuple[str, ...] = ()  # wrapper programs around it (tini, gosu, env …)
    runner: str | None = None  # "poetry run", "npx" …: that tool finds the program, not PATH
    role: str = "main"  # "main" | "wrapper" | "shell"

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)

    @property
    def program(self) -> str:
        return self.words[0].text if self.words else ""

    @property
    def name(self) -> str:
        """The program's base name (``/usr/local/bin/python3`` → ``python3``)."""
        return posixpath.basename(self.program)

    def span(self, first: int = 0, last: int | None = None) -> Span | None:
        """From word ``first`` to word ``last`` (inclusive; default: the last word), when on one line."""
        if not self.words:
            return None
        last = len(self.words) - 1 if last is None else min(last, len(self.words) - 1)
        start = self.words[first].span
        end = self.words[last].span
        if start is None:
            return None
        if end is None or end.path != start.path or end.end is None or end.start < start.start:
            return start
        return Span(start.path, start.start, end.end)

    def env(self) -> dict[str, str]:
        return {name: assignment_value(word) for name, word in self.assignments}


@record(frozen=True, slots=True, eq=False)
class StartAnalysis:
    invocations: tuple[Invocation, ...]
    shells: tuple[ShellCall, ...]
    complete: bool  # False when part of the command could not be followed


def _wrapper_skip(name: str, words: Sequence[ShWord], i: int) -> tuple[int, str] | None:
    """For a wrapper program at ``words[i]``: (index of the wrapped program, kind) or None."""
    n = len(words)
    j = i + 1

    def options(with_value: Iterable[str] = (), stop_at_dashdash: bool = True) -> int:
        k = j
        takes = frozenset(with_value)
        while k < n:
            text = words[k].text
            if text == "--" and stop_at_dashdash:
                return k + 1
            if not text.startswith("-") or text == "-":
                return k
            if text in takes:
                k += 2
                continue
            k += 1
        return k

    if name in ("tini", "tini-static", "docker-init"):
        return options(("-p", "-e", "-l")), "init"
    if name == "dumb-init":
        return options(("-r", "--rewrite")), "init"
    if name == "catatonit":
        return options(("-P",)), "init"
    if name in ("gosu", "su-exec", "s6-setuidgid"):
        return (j + 1, "user") if j < n else None
    if name in ("nohup", "builtin"):
        return j, "plain"
    if name == "exec":
        return options(("-a",)), "exec"
    if name == "command":
        if j < n and words[j].text in ("-v", "-V"):
            return None  # `command -v x` looks a program up; it does not run it
        return options(), "plain"
    if name == "time":
        return options(("-f", "-o")), "plain"
    if name == "nice":
        return options(("-n", "--adjustment")), "plain"
    if name == "ionice":
        return options(("-c", "-n", "-p", "-P", "-u")), "plain"
    if name == "stdbuf":
        return options(("-i", "-o", "-e")), "plain"
    if name == "timeout":
        k = options(("-s", "-k", "--signal", "--kill-after"))
        return (k + 1, "plain") if k < n else None
    if name == "taskset":
        k = options(("-c",))
        return (k + 1, "plain") if k < n and not words[j].text.startswith("-c") else (k, "plain")
    if name == "setpriv":
        return options(("--reuid", "--regid", "--groups", "--ruid", "--rgid", "--euid", "--egid")), "user"
    if name in ("runuser",):
        return options(("-u", "-g", "-G", "--user", "--group")), "user"
    if name == "sudo":
        return options(("-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D", "--user", "--group")), "user"
    if name == "chpst":
        return options(("-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c", "-r",
                        "-t")), "user"
    return None


# Runners find their program themselves (a virtualenv, node_modules/.bin): never a PATH lookup.
_RUNNERS = {
    "poetry": ("run",), "pipenv": ("run",), "pdm": ("run",), "hatch": ("run",), "rye": ("run",),
    "uv": ("run",), "npx": (), "pnpx": (), "bunx": (), "pnpm": ("exec", "dlx"), "yarn": ("exec", "dlx"),
    "bundle": ("exec",), "conda": ("run",), "mamba": ("run",), "micromamba": ("run",), "pipx": ("run",),
    "uvx": (),
}
_RUNNER_VALUE_OPTIONS = {
    "uv": ("--with", "--python", "-p", "--project", "--directory", "--package", "--extra", "--group",
           "--env-file", "--index", "--index-url"),
    "conda": ("-n", "--name", "-p", "--prefix", "--cwd"),
    "mamba": ("-n", "--name", "-p", "--prefix", "--cwd"),
    "micromamba": ("-n", "--name", "-p", "--prefix", "--cwd"),
    "npx": ("-p", "--package", "-c", "--call"),
    "pipx": ("--spec", "--python"),
    "uvx": ("--from", "--with", "--python", "-p"),
}


def _runner_skip(name: str, words: Sequence[ShWord], i: int) -> int | None:
    subcommands = _RUNNERS.get(name)
    if subcommands is None:
        return None
    j = i + 1
    if subcommands:
        # `poetry -C dir run x`: global options before the subcommand are skipped.
        while j < len(words) and words[j].text.startswith("-"):
            j += 1
        if j >= len(words) or words[j].text not in subcommands:
            return None
        j += 1
    takes = _RUNNER_VALUE_OPTIONS.get(name, ())
    while j < len(words):
        text = words[j].text
        if text == "--":
            return j + 1
        if not text.startswith("-"):
            return j
        j += 2 if text in takes else 1
    return None


def shell_script_index(words: Sequence[ShWord], i: int) -> int | None:
    """For a shell program at ``words[i]``: the index of its ``-c`` script argument, or None."""
    j = i + 1
    has_c = False
    while j < len(words):
        text = words[j].text
        if text == "--":
            j += 1
            break
        if text in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            j += 2
            continue
        if text.startswith("--"):
            j += 1
            continue
        if len(text) > 1 and text[0] in "-+" and text[1:].isalpha():
            if "c" in text[1:] and text[0] == "-":
                has_c = True
            j += 1
            continue
        break
    if has_c and j < len(words):
        return j
    return None


class _Walker:
    def __init__(self, part: CommandPart) -> None:
        self.part = part
        self.invocations: list[Invocation] = []
        self.shells: list[ShellCall] = []
        self.complete = True

    def argv(self, words: Sequence[ShWord], *, depth: int, shell: ShellCall | None = None,
             command: SimpleCommand | None = None, cwd: str | None = None, cwd_unknown: bool = False,
             wrapped: tuple[str, ...] = (), exec_: bool = False, implicit_shell: bool = False,
             inherited: tuple = ()) -> None:
        i = 0
        assignments = tuple(inherited) + (tuple(command.assignments) if command is not None else ())
        runner: str | None = None
        background = command.background if command is not None else False
        conditional = command.conditional if command is not None else False
        while i < len(words):
            word = words[i]
            name = posixpath.basename(word.text)
            if not word.literal:
                break
            if name == "env":
                self._record(words[i:i + 1], depth, shell, command, cwd, cwd_unknown, wrapped, exec_, "wrapper",
                             assignments, background, conditional)
                wrapped = wrapped + ("env",)
                j = i + 1
                extra: list[tuple[str, ShWord]] = []
                while j < len(words):
                    text = words[j].text
                    if text in ("-u", "--unset", "-C", "--chdir"):
                        j += 2
                        continue
                    if text.startswith("-S") or text.startswith("--split-string"):
                        self.complete = False
                        return
                    if text == "--":
                        j += 1
                        break
                    if text.startswith("-"):
                        j += 1
                        continue
                    match = _ASSIGNMENT_RE.match(text)
                    if match:
                        extra.append((match.group(1), words[j]))
                        j += 1
                        continue
                    break
                assignments = tuple(assignments) + tuple(extra)
                i = j
                continue
            skip = _wrapper_skip(name, words, i) if runner is None else None
            if skip is not None:
                target, kind = skip
                if kind == "exec":
                    exec_ = True
                else:
                    self._record(words[i:target], depth, shell, command, cwd, cwd_unknown, wrapped, exec_,
                                 "wrapper", assignments, background, conditional)
                    wrapped = wrapped + (name,)
                i = target
                continue
            if name in SHELLS and runner is None:
                index = shell_script_index(words, i)
                if index is not None:
                    self._record(words[i:i + 1], depth, shell, command, cwd, cwd_unknown, wrapped, exec_, "shell",
                                 assignments, background, conditional)
                    self.script(words[i], words[index], depth=depth + 1, cwd=cwd, cwd_unknown=cwd_unknown,
                                wrapped=wrapped + (name,), implicit=implicit_shell, inherited=assignments)
                    return
            if runner is None:
                target = _runner_skip(name, words, i)
                if target is not None and target < len(words):
                    self._record(words[i:target], depth, shell, command, cwd, cwd_unknown, wrapped, exec_,
                                 "wrapper", assignments, background, conditional)
                    runner = name if name in ("npx", "pnpx", "bunx", "uvx") else f"{name} {words[i + 1].text}"
                    wrapped = wrapped + (name,)
                    i = target
                    continue
            break
        if i >= len(words):
            return
        self._record(words[i:], depth, shell, command, cwd, cwd_unknown, wrapped, exec_, "main", assignments,
                     background, conditional, runner)

    def _record(self, words, depth, shell, command, cwd, cwd_unknown, wrapped, exec_, role, assignments,
                background, conditional, runner=None) -> None:
        frame = words[0].frame if words else None
        part = frame.part if frame is not None and frame.part is not None else self.part
        self.invocations.append(Invocation(
            tuple(words), part, tuple(assignments), cwd, cwd_unknown, shell, command, exec_, background,
            conditional, tuple(wrapped), runner, role))

    def script(self, shell_word: ShWord, script_word: ShWord, *, depth: int, cwd: str | None, cwd_unknown: bool,
               wrapped: tuple[str, ...], implicit: bool = False, inherited: tuple = ()) -> None:
        if depth > MAX_DEPTH:
            self.complete = False
            return
        # A double-quoted script with expansions (`sh -c "$APP --flag"`) is parsed as written: only the
        # outer layer's expansions matter, and those are few in start commands.
        parsed = parse_script(script_word.text, script_word.offsets, script_word.frame,
                              starts=script_word.starts or None)
        if not parsed.complete:
            self.complete = False
        commands = parsed.commands
        foreground = [command for command in commands if not command.background]
        last = foreground[-1] if foreground else None
        exec_last = bool(last is not None and last.words and last.words[0].text == "exec" and len(last.words) > 1)
        call = ShellCall(
            shell_word, script_word, parsed, self.part, exec_last,
            tuple(command for command in commands if command.background), len(foreground),
            any(command.words and command.words[0].text == "wait" for command in commands),
            any(command.words and command.words[0].text == "trap" for command in commands), implicit)
        self.shells.append(call)
        directory_stack: list[tuple[int, str | None, bool]] = []
        current_cwd, current_unknown = cwd, cwd_unknown
        for command in commands:
            # A `cd` inside ( ) ends with the subshell.
            while directory_stack and command.subshell < directory_stack[-1][0]:
                _, current_cwd, current_unknown = directory_stack.pop()
            if command.words and command.words[0].text == "cd":
                if command.subshell and (not directory_stack or directory_stack[-1][0] < command.subshell):
                    directory_stack.append((command.subshell, current_cwd, current_unknown))
                target = command.words[1] if len(command.words) > 1 else None
                if target is None or not target.literal or target.text in ("-",) or command.conditional:
                    current_unknown = True
                else:
                    current_cwd = _join(current_cwd, target.text)
                continue
            self.argv(command.words, depth=depth, shell=call, command=command, cwd=current_cwd,
                      cwd_unknown=current_unknown, wrapped=wrapped, inherited=inherited)


def _join(cwd: str | None, target: str) -> str:
    if target.startswith("/"):
        return "/" + posixpath.normpath(target).lstrip("/")
    if cwd is None:
        return target if target.startswith("./") or target == "." else "./" + target
    joined = posixpath.normpath(posixpath.join(cwd, target))
    return "/" + joined.lstrip("/") if joined.startswith("/") else joined


def words_of(part: CommandPart, sources: Mapping[str, str] | None,
             located: Sequence[tuple[Span, object] | None] | None = None) -> list[ShWord]:
    """The part's words as shell words, each its own frame (exec-form elements are literal).

    ``located`` gives, per word, an exact span and the map of its characters (:func:`image_part_maps`: the
    JSON elements of a Dockerfile exec form, the script of a shell form).
    """
    result = []
    for index, word in enumerate(part.words):
        where = None
        if located is not None and index < len(located) and located[index] is not None:
            span, where = located[index]
            word = CommandWord(word.text, span)
        frame = Frame(word, sources, part, where)
        result.append(ShWord(word.text, tuple(range(len(word.text))), 0, len(word.text), True, frame, word.text))
    return result


def start_analysis(project, start: EffectiveCommand, prefix: Sequence[str] = ()) -> StartAnalysis:
    """The programs an effective start command runs (cached per command).

    ``prefix`` is an ENTRYPOINT the image brings that the model cannot show (a distroless image's
    ``python3``): its words come first and have no position.
    """
    cache = project.facts.table("shell.start_analysis")
    key = (id(start), tuple(prefix))
    hit = cache.get(key)
    if hit is not None and hit[0] is start:
        return hit[1]
    words: list[ShWord] = [ShWord(text, (), 0, 0, True, None, text) for text in prefix]
    parts = start.parts()
    shell_form = any(part.form == "shell" for part in parts)
    for part in parts:
        words.extend(words_of(part, project.sources, image_part_maps(project, part)))
    if not parts:
        result = StartAnalysis((), (), True)
    else:
        walker = _Walker(parts[0])
        walker.argv(words, depth=0, implicit_shell=shell_form)
        result = StartAnalysis(tuple(walker.invocations), tuple(walker.shells), walker.complete)
    cache[key] = (start, result)
    return result


# --------------------------------------------------------------------------- Dockerfile CMD / ENTRYPOINT


def exec_element_maps(instruction, escape: str = "\\") -> list[tuple[Span, SubMap]] | None:
    """Each element of an exec-form instruction (``RUN ["pip", "install", "x"]``): the span of its text
    between the quotes and the map of its characters (escape sequences included); None when unsure."""
    values = instruction.exec_args
    if instruction.form != "exec" or values is None:
        return None
    arguments = argument_map(instruction, escape)
    elements = json_strings(instruction.arguments) if arguments is not None else None
    if elements is None or [value for value, _, _ in elements] != list(values):
        return None
    result = []
    for value, starts, ends in elements:
        where = SubMap(arguments, starts, ends)
        span = where.span(0, len(value)) if value else None
        if span is None:  # `""`: the position between the quotes
            quote = starts[0] if starts else None
            span = arguments.span(quote - 1, quote) if quote else None
        result.append((span or instruction.arguments_span or instruction.span, where))
    return result


def image_part_maps(project, part: CommandPart) -> list[tuple[Span, object] | None] | None:
    """Exact spans and character maps for the words of a Dockerfile CMD/ENTRYPOINT part: each element of
    the exec form; the script of the shell form (its shell words are not written in the file)."""
    if not part.origin.startswith("image-") or not part.words:
        return None
    cache = project.facts.table("shell.image_part_maps")
    key = (part.span, part.form, len(part.words))  # many services share one Dockerfile's CMD
    if key not in cache:
        cache[key] = _image_part_maps(project, part)
    return cache[key]


def _image_part_maps(project, part: CommandPart) -> list[tuple[Span, object] | None] | None:
    found = dockerfile_instruction(project, part.span)
    if found is None:
        return None
    instruction, escape = found
    if part.form == "exec":
        return exec_element_maps(instruction, escape)
    if part.form != "shell" or part.words[-1].text != instruction.arguments:
        return None
    where = argument_map(instruction, escape)
    if where is None:
        return None
    span = where.span(0, where.length) or part.words[-1].span
    return [None] * (len(part.words) - 1) + [(span, where)]


# --------------------------------------------------------------------------- small helpers for rules


def is_python(name: str) -> bool:
    return bool(re.fullmatch(r"(?:python|pypy)(?:[23](?:\.\d+)?)?[a-z]?", name))


def option_value(words: Sequence[ShWord], names: Iterable[str], start: int = 1) -> ShWord | None:
    """The value of ``--name value`` / ``--name=value`` / ``-n value`` among ``words[start:]``."""
    wanted = tuple(names)
    for index in range(start, len(words)):
        text = words[index].text
        for name in wanted:
            if text == name and index + 1 < len(words):
                return words[index + 1]
            if name.startswith("--") and text.startswith(name + "="):
                return words[index]
    return None


def describe(invocation: Invocation, limit: int = 80) -> str:
    """The invocation as text for a message: ``pip install -r requirements.txt``."""
    text = " ".join(invocation.argv)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------- what a command does


_NPM_INSTALL = frozenset(("install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal",
                          "isntall", "add", "ci", "clean-install", "install-clean", "isntall-clean", "update", "up",
                          "upgrade", "udpate"))
def _first_operand(words: Sequence[ShWord], start: int) -> tuple[int, str] | None:
    for index in range(start, len(words)):
        text = words[index].text
        if not text.startswith("-"):
            return index, text
    return None


# Options of the Python installers that take the next word as their value (pip, uv, Poetry, PDM …): the
# option parser of analysis/python/installers.py reads them too.
PIP_VALUE_OPTIONS = frozenset((
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "-t", "--target", "--prefix",
    "--root", "--platform", "--python-version", "--implementation", "--abi", "--no-binary", "--only-binary",
    "--progress-bar", "--cache-dir", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action",
    "--cert", "--client-cert", "--src", "--upgrade-strategy", "-C", "--config-settings", "--global-option",
    "--install-option", "--python", "--report", "--root-user-action", "--keyring-provider", "--python-platform",
    "--index-strategy", "--resolution", "--prerelease", "-p", "--extra", "--group", "--only-group", "--no-group",
    "--directory", "--project", "--package", "--link-mode", "--exclude-newer", "--torch-backend", "--index",
    "--default-index", "--config-file", "--use-feature", "--use-deprecated", "-w", "--wheel-dir", "-d", "--dest",
    "-o", "--output-file", "--only", "--with", "--without", "-E", "--extras", "-r", "--requirement",
    "-c", "--constraint", "-e", "--editable", "--overrides", "--build-constraint", "--no-binary-package",
))
SYSTEM_VALUE_OPTIONS = frozenset(("-o", "-t", "--target-release", "-c", "-X", "--repository", "--root"))
_CONDA_VALUE_OPTIONS = frozenset(("-n", "--name", "-p", "--prefix", "-c", "--channel", "-f", "--file"))
_NPM_VALUE_OPTIONS = frozenset(("--prefix", "-C", "--workspace", "-w", "--registry", "--cache", "--userconfig"))


@record(frozen=True, slots=True)
class _Installer:
    ecosystem: str  # "python" | "system" | "node" | "ruby" | "php" | "rust"
    verbs: frozenset | None  # the subcommands that install; None: the program installs whatever follows
    value_options: frozenset = frozenset()
    bare: bool = False  # the program alone (no subcommand) installs too: `yarn`
    isolated: bool = False  # installs applications into their own environments (pipx): nothing to import


def _installer(ecosystem: str, *verbs: str, **more) -> _Installer:
    return _Installer(ecosystem, frozenset(verbs), **more)


# THE table of package installs: program (or "uv pip", "uv tool", "setup.py") -> how it installs. CL201
# (`package_install`), CL407 (`python_package_install`) and the Python analysis of RUN steps
# (analysis/python/installers.py) all read it through `install_of`.
INSTALLERS: dict[str, _Installer] = {
    "pip": _installer("python", "install", value_options=PIP_VALUE_OPTIONS),
    "uv pip": _installer("python", "install", "sync", value_options=PIP_VALUE_OPTIONS),
    "uv": _installer("python", "sync", "add", value_options=PIP_VALUE_OPTIONS),
    "uv tool": _installer("python", "install", value_options=PIP_VALUE_OPTIONS, isolated=True),
    "poetry": _installer("python", "install", "add", "update", "sync", value_options=PIP_VALUE_OPTIONS),
    "pipenv": _installer("python", "install", "sync", "update", value_options=PIP_VALUE_OPTIONS),
    "pdm": _installer("python", "install", "sync", "add", "update", value_options=PIP_VALUE_OPTIONS),
    "conda": _installer("python", "install", "create", "update", value_options=_CONDA_VALUE_OPTIONS),
    "conda env": _installer("python", "create", "update", value_options=_CONDA_VALUE_OPTIONS),
    "pipx": _installer("python", "install", value_options=PIP_VALUE_OPTIONS, isolated=True),
    "easy_install": _Installer("python", None),
    "pip-sync": _Installer("python", None),
    "setup.py": _installer("python", "install", "develop"),
    "apt-get": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "apt": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "aptitude": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "apk": _installer("system", "add", value_options=SYSTEM_VALUE_OPTIONS),
    "yum": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "dnf": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "microdnf": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "tdnf": _installer("system", "install", value_options=SYSTEM_VALUE_OPTIONS),
    "zypper": _installer("system", "install", "in", value_options=SYSTEM_VALUE_OPTIONS),
    "npm": _Installer("node", _NPM_INSTALL, _NPM_VALUE_OPTIONS),
    "yarn": _installer("node", "install", "add", "upgrade", bare=True),
    "pnpm": _installer("node", "install", "i", "add", "update", "up", value_options=_NPM_VALUE_OPTIONS),
    "bun": _installer("node", "install", "i", "add"),
    "gem": _installer("ruby", "install"),
    "bundle": _installer("ruby", "install", "update", bare=True),  # `bundle` alone runs `bundle install`
    "composer": _installer("php", "install", "require", "update"),
    "cargo": _installer("rust", "install"),
}
for _alias in ("mamba", "micromamba"):  # conda's drop-in replacements
    INSTALLERS[_alias] = INSTALLERS["conda"]
    INSTALLERS[f"{_alias} env"] = INSTALLERS["conda env"]
_PIP_PROGRAM_RE = re.compile(r"pip(?:\d+(?:\.\d+)?)?\Z")
_PYTHON_VALUE_OPTIONS = frozenset(("-X", "-W", "--check-hash-based-pycs"))


@record(frozen=True, slots=True)
class PackageInstall:
    """A command that installs packages, read from its argv by :func:`install_of`."""

    tool: str  # a key of INSTALLERS: "pip", "uv pip", "uv", "poetry", "conda env", "apt-get", "npm" …
    ecosystem: str  # "python" | "system" | "node" | "ruby" | "php" | "rust"
    verb: str  # the subcommand that installs ("install", "add", "sync" …); "" for the program alone
    verb_index: int  # argv index of that subcommand (of the last program word when there is none)
    program_end: int  # argv index where the tool's own options and operands start (after `python -m pip`)
    isolated: bool = False  # pipx, `uv tool`: applications in their own environments

    def operands(self, argv: Sequence[str]) -> list[str]:
        """The words after the subcommand that are not options (packages, paths; option values skipped)."""
        value_options = INSTALLERS[self.tool].value_options
        found = []
        index = self.verb_index + 1 if self.verb else self.program_end
        while index < len(argv):
            text = argv[index]
            if text == "--":
                found.extend(argv[index + 1:])
                break
            if text.startswith("-") and len(text) > 1:
                index += 2 if text in value_options else 1
                continue
            found.append(text)
            index += 1
        return found


def _subcommand(argv: Sequence[str], start: int, value_options: frozenset) -> int | None:
    """The index of the first word from ``start`` that is not an option (option values skipped)."""
    index = start
    while index < len(argv):
        text = argv[index]
        if text == "--":
            return index + 1 if index + 1 < len(argv) else None
        if not text.startswith("-") or text == "-":
            return index
        index += 2 if text in value_options else 1
    return None


def _with_verb(tool: str, argv: Sequence[str], program_end: int) -> PackageInstall | None:
    installer = INSTALLERS[tool]
    if installer.verbs is None:
        return PackageInstall(tool, installer.ecosystem, "", program_end - 1, program_end)
    index = _subcommand(argv, program_end, installer.value_options)
    if index is None:
        return PackageInstall(tool, installer.ecosystem, "", program_end - 1, program_end) if installer.bare \
            else None
    if argv[index] not in installer.verbs:
        return None
    return PackageInstall(tool, installer.ecosystem, argv[index], index, program_end, installer.isolated)


def install_of(argv: Sequence[str]) -> PackageInstall | None:
    """The package install an argv performs (``pip install``, ``python -m pip install``, ``uv sync``,
    ``poetry install``, ``conda env create``, ``apt-get install``, ``npm ci`` …), or None.

    Wrappers (``sudo``, ``env``, ``sh -c``) must already be looked through: ``argv[0]`` is the program.
    """
    if not argv:
        return None
    name = posixpath.basename(argv[0])
    if _PIP_PROGRAM_RE.match(name):
        return _with_verb("pip", argv, 1)
    if is_python(name):
        index = 1
        while index < len(argv) and argv[index].startswith("-") and argv[index] != "-m":
            index += 2 if argv[index] in _PYTHON_VALUE_OPTIONS else 1
        if index + 1 >= len(argv):
            return None
        if argv[index] == "-m":
            module = argv[index + 1]
            if module == "pip":
                return _with_verb("pip", argv, index + 2)
            if module == "uv" and index + 2 < len(argv) and argv[index + 2] == "pip":
                return _with_verb("uv pip", argv, index + 3)
            return None
        if posixpath.basename(argv[index]) == "setup.py":
            return _with_verb("setup.py", argv, index + 1)
        return None
    if name in ("uv", "conda", "mamba", "micromamba"):
        installer = INSTALLERS[name]
        index = _subcommand(argv, 1, installer.value_options)
        if index is None:
            return None
        nested = {"uv": {"pip": "uv pip", "tool": "uv tool"}}.get(name, {"env": f"{name} env"}).get(argv[index])
        if nested is not None:
            return _with_verb(nested, argv, index + 1)
        return _with_verb(name, argv, 1)
    if name in INSTALLERS and " " not in name and name != "setup.py":
        return _with_verb(name, argv, 1)
    return None


_PYTHON_SYSTEM_PACKAGE = re.compile(r"(?:python[23]?|py[23]|pypy3?)-\S")


def package_install(invocation: Invocation) -> bool:
    """Whether the invocation installs packages of any kind (pip, npm, apt-get, apk, poetry, gem …): CL201."""
    if not invocation.words or invocation.role != "main":
        return False
    return install_of(invocation.argv) is not None


def python_package_install(invocation: Invocation) -> bool:
    """Whether the invocation installs Python packages the application can import: a Python installer
    (not pipx or ``uv tool``, whose applications live in their own environments), or a system package
    manager installing Python packages (``apt-get install python3-yaml``). CL407 trusts such a command to
    provide imports; an npm or gem install does not."""
    if not invocation.words or invocation.role != "main":
        return False
    argv = invocation.argv
    found = install_of(argv)
    if found is None:
        return False
    if found.ecosystem == "python":
        return not found.isolated
    return found.ecosystem == "system" and any(_PYTHON_SYSTEM_PACKAGE.match(word) for word in found.operands(argv))


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().strip("'\"").lower() in ("1", "true", "yes", "on")


# Script names that say "development server" when the package.json cannot be read (`serve` does not:
# it is as often `serve -s build`, a static server).
_DEV_SCRIPT = re.compile(r"^(?:dev|develop|development|watch|start[:_-]?dev|start[:_-]?watch|dev[:_-].*|"
                         r"watch[:_-].*|.*[:_-]watch)$")
_DEV_TEXT = re.compile(
    r"(?:^|[\s;&|(])(?:npx\s+)?(?:nodemon|ts-node-dev|tsnd|node-dev|react-scripts\s+start|next\s+dev|nuxt\s+dev|"
    r"nuxi\s+dev|vite(?:\s+(?:dev|serve))?(?=\s*$|\s*[;&|)]|\s+-)|ng\s+serve|vue-cli-service\s+serve|webpack\s+serve|"
    r"webpack-dev-server|nest\s+start\s+[^;&|]*--watch|tsx\s+watch|node\s+[^;&|]*--watch|astro\s+dev|"
    r"remix\s+dev|svelte-kit\s+dev|gatsby\s+develop|ember\s+serve|parcel(?!\s+build))(?=\s|$|[;&|)])")


def dev_mode(invocation: Invocation, env: Mapping[str, str]) -> tuple[str, ShWord | None] | None:
    """A development server or reload mode: (what, the word that says so) or None.

    ``env`` is the container's environment (image ENV and compose ``environment``) for flags
    such as ``FLASK_DEBUG=1`` or ``UVICORN_RELOAD=true``.
    """
    words = invocation.words
    if not words or invocation.role == "shell":
        return None
    name = invocation.name
    start = 1
    if is_python(name) and len(words) > 2 and words[1].text == "-m":
        name, start = words[2].text, 3
    argv = [word.text for word in words]
    local_env = dict(env)
    local_env.update(invocation.env())
    if name in ("uvicorn", "hypercorn", "gunicorn"):
        for word in words[start:]:
            if word.text == "--reload" or word.text.startswith("--reload-") or word.text.startswith("--reload="):
                return f"`{name} {word.text}`", word
        if name == "uvicorn" and _truthy(local_env.get("UVICORN_RELOAD")):
            return "`UVICORN_RELOAD` set", None
        if name == "gunicorn" and "--reload" in (local_env.get("GUNICORN_CMD_ARGS") or "").split():
            return "`--reload` in `GUNICORN_CMD_ARGS`", None
        return None
    if name == "flask":
        if "run" not in argv[start:]:
            return None
        run_index = argv.index("run", start)
        for word in words[start:]:
            if word.text in ("--debug", "--reload"):
                return f"`flask {'run ' if argv.index(word.text) > run_index else ''}{word.text}`", word
        if "--no-reload" in argv or "--no-debug" in argv:
            return None
        if _truthy(local_env.get("FLASK_DEBUG")):
            return "`flask run` with `FLASK_DEBUG` set", None
        if (local_env.get("FLASK_ENV") or "").strip().lower() == "development":
            return "`flask run` with `FLASK_ENV=development`", None
        return None
    if name in ("manage.py", "django-admin") or (is_python(invocation.name) and start == 1 and len(words) > 1
                                                 and posixpath.basename(words[1].text) == "manage.py"):
        for word in words:
            if word.text in ("runserver", "runserver_plus"):
                return f"Django's `{word.text}`", word
        return None
    if name in ("watchmedo", "watchfiles", "nodemon", "ts-node-dev", "tsnd", "node-dev"):
        return f"`{name}`", words[start - 1] if start > 1 else words[0]
    if name in ("node", "nodejs", "deno", "bun"):
        for word in words[1:]:
            if word.text in ("--watch", "--watch-path") or word.text.startswith("--watch="):
                return f"`{name} {word.text}`", word
            if not word.text.startswith("-"):
                break
        return None
    if name in ("npm", "yarn", "pnpm", "bun"):
        operand = _first_operand(words, 1)
        if operand is None:
            return None
        index, verb = operand
        script = None
        if verb in ("run", "run-script"):
            following = _first_operand(words, index + 1)
            script = following[1] if following else None
            word = words[following[0]] if following else None
        elif name != "npm" or verb in ("start",):
            script, word = verb, words[index]
        else:
            return None
        if script is not None and script != "start" and _DEV_SCRIPT.match(script):
            return f"`{name} {'run ' if verb in ('run', 'run-script') else ''}{script}`", word
        return None
    text = " ".join(argv)
    if _DEV_TEXT.search(text):
        return f"`{describe(invocation, 40)}`", words[0]
    return None


def dev_script_text(script: str) -> bool:
    """Whether a package.json script (its text) runs a development server."""
    return bool(_DEV_TEXT.search(script))


@record(frozen=True, slots=True)
class Operand:
    """A file a command needs in order to start: a script, a module, a jar, the program itself."""

    word: ShWord
    kind: str  # "program" | "script" | "module" | "jar" | "package.json" | "node-script"
    value: str  # the path or dotted module name (expanded)


def _pip_files(invocation: Invocation, name: str) -> list[ShWord] | None:
    """The requirement/constraint files of `pip install -r FILE` (None: not a pip install)."""
    words = invocation.words
    found = install_of((name,) + invocation.argv[1:])  # `name`: the program word expanded
    if found is None or found.tool not in ("pip", "uv pip") or found.verb != "install":
        return None
    files = []
    for index in range(found.verb_index + 1, len(words) - 1):
        if words[index].text in ("-r", "--requirement", "-c", "--constraint"):
            files.append(words[index + 1])
    return files


def _operand(word: ShWord, kind: str, env: Mapping[str, str] | None) -> Operand | None:
    value = expand(word, env)
    return Operand(word, kind, value) if value else None


def _never(text: str) -> bool:
    return False


@record(frozen=True)
class _Interpreter:
    """How an interpreter's argv names the file it runs, read past its options."""

    positional: str | None  # the kind of its first positional word (None: that word is no file of ours)
    value_options: frozenset = frozenset()  # options whose value is the next word
    operand_options: Mapping[str, str] = field(default_factory=dict)  # `-m MODULE`, `-jar FILE`: next word's kind
    stop: Callable[[str], bool] = _never  # an option after which the code comes from elsewhere (`-c CODE`)
    option_prefixes: tuple[str, ...] = ("-",)

    def operand(self, words: Sequence[ShWord], env: Mapping[str, str] | None) -> Operand | None:
        index = 1
        while index < len(words):
            text = words[index].text
            if text in self.value_options:
                index += 2
                continue
            if text in self.operand_options:
                return _operand(words[index + 1], self.operand_options[text], env) if index + 1 < len(words) else None
            if self.stop(text):
                return None
            if text.startswith(self.option_prefixes):
                index += 1
                continue
            return _operand(words[index], self.positional, env) if self.positional else None
        return None


def _shell_stop(text: str) -> bool:
    # `-c` reads the script from an argument and `-s` from stdin, in any cluster of flags (`-ec`).
    return text.startswith(("-", "+")) and ("c" in text or "s" in text[1:] or text in ("--version", "--help"))


_PYTHON = _Interpreter(
    "script", _PYTHON_VALUE_OPTIONS, {"-m": "module"},
    lambda text: text == "-" or text.startswith("-c") or text in ("--version", "-V", "--help", "-h"))
_INTERPRETERS = {
    "node": _Interpreter("node-script", frozenset((
        "-r", "--require", "--import", "--loader", "--experimental-loader", "--env-file", "--inspect-port", "--title",
        "--conditions", "-C", "--input-type", "--stack-size", "--max-old-space-size", "--watch-path",
        "--localstorage-file")), stop=frozenset((
            "-e", "--eval", "-p", "--print", "-i", "--interactive", "-v", "--version", "-h", "--help", "-", "--test",
            "--run")).__contains__),
    "sh": _Interpreter("script", frozenset(("-o", "+o", "-O", "+O", "--rcfile", "--init-file")), stop=_shell_stop,
                       option_prefixes=("-", "+")),
    "java": _Interpreter(None, frozenset((
        "-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-modules", "--add-opens", "--add-exports",
        "-javaagent", "--enable-native-access")), {"-jar": "jar"}),
}
_INTERPRETERS["nodejs"] = _INTERPRETERS["node"]


def operands(invocation: Invocation, env: Mapping[str, str] | None = None) -> list[Operand]:
    """Files and modules the invocation runs (see :class:`Operand`); only what is certain."""
    words = invocation.words
    if not words or invocation.role == "shell":
        return []
    found: list[Operand] = []
    program = words[0]
    program_text = expand(program, env)
    if program_text is None:
        return []
    name = posixpath.basename(program_text)
    if "/" in program_text and invocation.runner is None:
        found.append(Operand(program, "program", program_text))
    if invocation.role != "main":
        return found
    requirements = _pip_files(invocation, name)
    if requirements is not None:
        found.extend(operand for operand in (_operand(word, "requirements", env) for word in requirements) if operand)
        return found
    interpreter = _PYTHON if is_python(name) else _INTERPRETERS.get("sh" if name in SHELLS else name)
    if interpreter is not None:
        operand = interpreter.operand(words, env)
        if operand is not None:
            found.append(operand)
        return found
    if name in ("ruby", "perl", "php", "Rscript", "deno", "bun", "ts-node", "tsx") and len(words) > 1:
        index = 1
        if name in ("deno", "bun") and words[1].text == "run":
            index = 2
        elif name in ("deno", "bun"):
            return found
        if name in ("ruby", "perl", "php", "Rscript") and index < len(words) and words[index].text.startswith("-"):
            return found  # options may take values (`php -S addr`): do not guess which word is the script
        while index < len(words) and words[index].text.startswith("-"):
            index += 1
        if index < len(words):
            value = expand(words[index], env)
            if value and (name not in ("ruby", "perl", "php") or "." in posixpath.basename(value)):
                found.append(Operand(words[index], "script", value))
        return found
    if name in ("npm", "yarn", "pnpm"):
        operand = _first_operand(words, 1)
        if operand is not None and (operand[1] in ("start", "run", "run-script", "test") or
                                    (name != "npm" and operand[1] not in _NPM_INSTALL and operand[1] not in (
                                        "install", "add", "exec", "dlx", "global", "create", "init", "config",
                                        "cache", "--version", "version", "help"))):
            found.append(Operand(words[operand[0]], "package.json", "package.json"))
        return found
    if name in ("uvicorn", "gunicorn", "hypercorn", "daphne"):
        for word in words[1:]:
            text = word.text
            if text.startswith("-") or "=" in text:
                continue
            if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.()]*", text):
                found.append(Operand(word, "module", text.split(":", 1)[0]))
                break
        return found
    return found
