"""The line structure of a Dockerfile, as BuildKit reads it: parser directives and the escape
character, continuation lines (blank and comment lines inside them skipped) and heredoc bodies."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import field

from composelint.diagnostics import Position, Severity, Span
from composelint.model import Heredoc, ParseProblem
from composelint.parsers.dockerfile.words import (_HEREDOC_INSTRUCTIONS, _extract_flags, _heredoc_markers,
                                                  _json_array, _split_keyword)
from composelint.records import record

CODE = "CL003"
_DIRECTIVES = ("syntax", "escape", "check")

_Span, _Position = Span, Position  # module-level aliases: spans are built in the hot loop

MAX_PROBLEMS = 100  # per file; a garbage file would otherwise report every line

_DIRECTIVE_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[ \t\n\f\r]*=[ \t\n\f\r]*(.+?)[ \t\n\f\r]*\Z")
# The replacement character is counted apart (str.count): in the class, a character above U+00FF beside
# several ranges compiles to a 64 K-entry bitmap (~0.3 ms at import).
_CONTROL_RE = re.compile(r"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]")


# --------------------------------------------------------------------------- logical lines


@record(slots=True)
class _Logical:
    """One instruction as BuildKit assembles it: continuation lines joined, heredoc bodies attached."""

    joined: str
    piece_offsets: list[int]  # where each physical piece starts in ``joined``
    piece_lines: list[int]  # 0-based line of each piece
    piece_columns: list[int]  # 0-based column where each piece starts on its line
    first_line: int
    content_end_line: int  # last line that contributed text (comments/blank lines excluded)
    heredoc_bodies: list[tuple[int, int]] = field(default_factory=list)  # (first body line, terminator line)
    heredocs: list[Heredoc] = field(default_factory=list)

    def locate(self, offset: int) -> tuple[int, int]:
        """(line, column), both 0-based, of ``joined[offset]``."""
        if len(self.piece_offsets) == 1:
            return self.first_line, self.piece_columns[0] + offset
        index = bisect_right(self.piece_offsets, offset) - 1
        if index < 0:
            index = 0
        return self.piece_lines[index], self.piece_columns[index] + offset - self.piece_offsets[index]

    def locate_end(self, offset: int) -> tuple[int, int]:
        """(line, column) just after ``joined[offset - 1]``: an exclusive end."""
        if offset <= 0:
            return self.locate(0)
        line, column = self.locate(offset - 1)
        return line, column + 1


class _LineReader:
    """The parser's state, its problem list, and the reading of directives, lines and heredocs."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        if text.startswith("\ufeff"):
            text = text[1:]
        self.text = text
        lines = text.split("\n")
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()
        # BuildKit trims "\r" and "\n" from the right of every line it reads.
        self.lines = [line.rstrip("\r") if line.endswith("\r") else line for line in lines]
        self.problems: list[ParseProblem] = []
        self.dropped_problems = 0
        self.escape = "\\"
        self.directives: dict[str, str] = {}
        self.directive_end = 0  # first line after the directive block
        self.stage_index = -1  # of the FROM seen last
        self._unsupported_heredoc: tuple[str, int, frozenset[str]] | None = None
        self._stage_names: dict[str, int] = {}

    # ----------------------------------------------------------------- helpers

    def span(self, line: int, column: int, end_line: int, end_column: int) -> Span:
        """A span from 0-based coordinates."""
        return _Span(self.path, _Position(line + 1, column + 1), _Position(end_line + 1, end_column + 1))

    def line_span(self, line: int) -> Span:
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        indent = len(text) - len(text.lstrip())
        return self.span(line, indent, line, max(len(text), indent + 1))

    @property
    def capped(self) -> bool:
        """True once MAX_PROBLEMS are recorded: further problems are only counted."""
        return len(self.problems) >= MAX_PROBLEMS

    def problem(self, message: str, span: Span, help: str | None = None, severity: Severity | None = None,
                anchor: str = "") -> None:
        if self.capped:
            self.dropped_problems += 1
            return
        self.problems.append(ParseProblem(CODE, message, span, help=help, severity=severity, anchor_text=anchor))

    def _looks_binary(self) -> bool:
        head = self.text[:8192]
        if "\x00" in self.text:
            return True
        if not head:
            return False
        return len(_CONTROL_RE.findall(head)) + head.count("\ufffd") > max(8, len(head) // 10)

    # ----------------------------------------------------------------- directives

    def _read_directives(self) -> None:
        """Parser directives: ``# name=value`` lines before any instruction, blank line or other comment."""
        seen_lines: dict[str, int] = {}
        index = 0
        for index, line in enumerate(self.lines):
            stripped = line.lstrip()
            if not stripped.startswith("#"):
                break
            match = _DIRECTIVE_RE.match(stripped[1:].lstrip())
            if match is None or match.group(1).lower() not in _DIRECTIVES:
                break
            name, value = match.group(1).lower(), match.group(2)
            remainder_column = len(line) - len(stripped[1:].lstrip())  # where the text after "#" and blanks starts
            value_column = remainder_column + match.start(2)
            if name in seen_lines:
                self.problem(
                    f"the `{name}` parser directive is given twice (first on line {seen_lines[name] + 1})",
                    self.line_span(index),
                    help=f"keep one `# {name}=` line; Docker refuses a Dockerfile that repeats a directive")
            else:
                seen_lines[name] = index
                self.directives[name] = value
                if name == "escape":
                    if value in ("\\", "`"):
                        self.escape = value
                    else:
                        self.problem(
                            f"invalid escape directive `{value}`: the escape character must be `\\` or a backtick",
                            self.span(index, value_column, index, value_column + len(value)),
                            help="write `# escape=\\` (the default) or `# escape=`` ` (common on Windows)",
                        )
        else:
            index = len(self.lines)
        self.directive_end = index
        # A directive written after the block is an ordinary comment: warn while still in the header.
        for late in range(index, len(self.lines)):
            stripped = self.lines[late].lstrip()
            if stripped and not stripped.startswith("#"):
                break
            if not stripped:
                continue
            match = _DIRECTIVE_RE.match(stripped[1:].lstrip())
            if match is not None and match.group(1).lower() in _DIRECTIVES:
                name = match.group(1).lower()
                self.problem(
                    f"`# {name}=` on line {late + 1} is not a parser directive, only a comment: directives must "
                    "come before any blank line, other comment or instruction",
                    self.line_span(late), severity=Severity.WARNING,
                    help=f"move this line to the top of the file (lines 1..{index + 1}), above blank lines and "
                         "other comments")

    # ----------------------------------------------------------------- line structure

    def _trim_continuation(self, text: str) -> tuple[str, bool]:
        """BuildKit's continuation test: the escape character ends the line, not preceded by another one."""
        escape = self.escape
        body = text.rstrip(" \t")
        if body.endswith(escape) and (len(body) == 1 or body[-2] != escape):
            return body[:-1], True
        return text, False

    def _scan(self) -> list[_Logical]:
        lines = self.lines
        count = len(lines)
        logicals: list[_Logical] = []
        may_continue = (self.escape, " ", "\t")  # a line ending otherwise cannot be continued
        index = 0
        while index < count:
            raw = lines[index]
            stripped = raw.lstrip()
            if not stripped or stripped[0] == "#":
                index += 1
                continue
            if stripped.endswith(may_continue):
                piece, continued = self._trim_continuation(stripped)
            else:
                piece, continued = stripped, False
            offsets, piece_lines, columns, pieces = [0], [index], [len(raw) - len(stripped)], [piece]
            total = len(piece)
            content_end = index
            cursor = index + 1
            while continued and cursor < count:
                following = lines[cursor]
                lead = following.lstrip()
                if not lead or lead[0] == "#":  # BuildKit skips both inside a continued instruction
                    cursor += 1
                    continue
                piece, continued = self._trim_continuation(following)
                offsets.append(total)
                piece_lines.append(cursor)
                columns.append(0)
                pieces.append(piece)
                total += len(piece)
                content_end = cursor
                cursor += 1
            joined = "".join(pieces)
            logical = _Logical(joined, offsets, piece_lines, columns, index, content_end)
            cursor = self._read_heredocs(logical, cursor)
            if joined.strip():
                logicals.append(logical)
            index = cursor
        return logicals

    def _read_heredocs(self, logical: _Logical, cursor: int) -> int:
        """Consume heredoc bodies after ``logical``; returns the next line to scan."""
        joined = logical.joined
        if "<<" not in joined:
            return cursor
        keyword, rest_offset = _split_keyword(joined)
        keyword = keyword.upper()
        arguments_offset = rest_offset
        if keyword == "ONBUILD":
            keyword, arguments_offset = _split_keyword(joined, rest_offset)
            keyword = keyword.upper()
        if keyword not in _HEREDOC_INSTRUCTIONS:
            return cursor
        _flags, arguments_offset = _extract_flags(joined, arguments_offset)
        if _json_array(joined[arguments_offset:].strip())[0] is not None:
            return cursor  # the exec (JSON) form takes no heredocs
        markers = _heredoc_markers(joined)
        if not markers:
            return cursor
        bodies: list[Heredoc] = []
        lines = self.lines
        count = len(lines)
        for name, quoted, strip_tabs, word_start, word_end in markers:
            first_body = cursor
            near_miss: int | None = None
            terminated = False
            while cursor < count:
                candidate = lines[cursor].lstrip("\t") if strip_tabs else lines[cursor]
                if candidate == name:
                    terminated = True
                    break
                if near_miss is None and candidate.strip() == name:
                    near_miss = cursor
                cursor += 1
            body_lines = lines[first_body:cursor]
            if strip_tabs:
                body_lines = [line.lstrip("\t") for line in body_lines]
            body = "".join(line + "\n" for line in body_lines)
            if terminated:
                end_line = cursor
                span = self.span(first_body, 0, end_line, len(lines[end_line]))
                logical.heredoc_bodies.append((first_body, end_line))
                cursor += 1
            else:
                end_line = count - 1
                span = self.span(min(first_body, end_line), 0, end_line, len(lines[end_line]) if lines else 0)
                logical.heredoc_bodies.append((first_body, end_line))
                start = logical.locate(word_start)
                end = logical.locate_end(word_end)
                hint = (f"line {near_miss + 1} holds `{lines[near_miss].strip()}` with extra whitespace around it; "
                        "the terminator must be alone on its line" + (
                            "" if strip_tabs else " (use `<<-` to allow leading tabs)")) if near_miss is not None \
                    else f"add a line that reads exactly `{name}` after the heredoc body"
                self.problem(
                    f"unterminated heredoc: `{joined[word_start:word_end]}` is never closed by a line `{name}`, so "
                    "Docker reads the rest of the file into it",
                    self.span(start[0], start[1], end[0], end[1]), help=hint, anchor=joined[word_start:word_end])
            bodies.append(Heredoc(delimiter=name, body=body, quoted=quoted, strip_tabs=strip_tabs, span=span))
            if not terminated:
                break
        logical.heredocs = bodies
        return cursor
