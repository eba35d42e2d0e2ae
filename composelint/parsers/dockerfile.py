"""Dockerfile text -> :class:`composelint.model.Dockerfile`, read the way BuildKit reads it.

One linear pass over the raw lines follows BuildKit's parser (moby/buildkit
``frontend/dockerfile/parser``): parser directives and the escape character, continuation lines
(blank and comment lines inside them skipped), heredoc bodies, then each instruction's keyword,
flags, arguments, exec form and exact columns, and every CL003 problem. tests/test_oracle_dockerfile.py
checks the instruction line ranges against BuildKit's own parser over the fixtures and corpora.
dockerfile-parse is not used: measured, it gets the line ranges of a quarter of real Dockerfiles
wrong and adds nothing this pass lacks (README, Design notes).

Nothing here raises on bad input and nothing is quadratic: hostile files get problems, not tracebacks.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import field
from types import MappingProxyType
from typing import Callable, Mapping

from composelint.diagnostics import Position, Severity, Span
from composelint.model import Dockerfile, Flag, Heredoc, Instruction, Located, ParseProblem, Stage
from composelint.records import record

CODE = "CL003"

INSTRUCTIONS = (
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
)
_KNOWN = frozenset(INSTRUCTIONS)
# BuildKit reads heredocs only for these (and for them behind ONBUILD).
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_EXEC_FORM_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})
_DIRECTIVES = ("syntax", "escape", "check")

_STRING, _STRINGS, _BOOL = "string", "strings", "bool"  # BuildKit's BFlags kinds: value / repeatable / switch
FLAG_SPECS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "ADD": MappingProxyType({"chown": _STRING, "chmod": _STRING, "link": _BOOL, "keep-git-dir": _BOOL,
                             "checksum": _STRING, "exclude": _STRINGS, "unpack": _BOOL}),
    "COPY": MappingProxyType({"from": _STRING, "chown": _STRING, "chmod": _STRING, "link": _BOOL,
                              "parents": _BOOL, "exclude": _STRINGS}),
    "RUN": MappingProxyType({"mount": _STRINGS, "network": _STRING, "security": _STRING, "device": _STRINGS}),
    "FROM": MappingProxyType({"platform": _STRING}),
    "HEALTHCHECK": MappingProxyType({"interval": _STRING, "timeout": _STRING, "start-period": _STRING,
                                     "start-interval": _STRING, "retries": _STRING}),
})

_Span, _Position = Span, Position  # module-level aliases: spans are built in the hot loop

MAX_PROBLEMS = 100  # per file; a garbage file would otherwise report every line

_DIRECTIVE_RE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[ \t\n\f\r]*=[ \t\n\f\r]*(.+?)[ \t\n\f\r]*\Z")
_WORD_RE = re.compile(r"[^\t\v\f\r ]+")  # BuildKit's reWhitespace splits on exactly these
_SPACE_RUN_RE = re.compile(r"[\t\v\f\r ]*")
_HEREDOC_WORD_RE = re.compile(r"(\d*)<<(-?)([^<]*)\Z")
_STAGE_NAME_RE = re.compile(r"[a-z][a-z0-9\-_.]*\Z")
_CONTROL_RE = re.compile(r"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f\ufffd]")


# --------------------------------------------------------------------------- public API


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Parse ``text`` (the Dockerfile at project-relative ``path``); faults become CL003 problems."""
    try:
        return _Parser(text, path).run()
    except Exception as error:  # the last line of defence: a parser bug must not stop the whole run
        return Dockerfile(
            path=path, directives=MappingProxyType({}), escape="\\", global_args=(), stages=(), instructions=(),
            problems=(ParseProblem(
                CODE, f"composelint could not parse this Dockerfile ({type(error).__name__}: {error})",
                Span(path, Position(1, 1)), help="please report this as a composelint bug, with the file"),),
        )


def substitute(text: str, env: Mapping[str, str], *, escape: str = "\\", keep_quotes: bool = False) -> str:
    """Expand Dockerfile variables in ``text`` as BuildKit does for ENV, ARG, FROM, COPY, WORKDIR….

    Supports ``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR-word}``, ``${VAR:+word}``, ``${VAR+word}``,
    ``${VAR:?msg}``/``${VAR?msg}`` (the value, or "" where BuildKit would fail), ``${VAR#pat}``,
    ``${VAR##pat}``, ``${VAR%pat}``, ``${VAR%%pat}`` and ``${VAR/pat/repl}``; an unset variable is "".
    ``\\$`` is a literal ``$``; nothing expands inside single quotes. Like BuildKit, quotes and escape
    characters are removed from the result; ``keep_quotes=True`` keeps them as written (only ``\\$``
    loses its backslash), for text that a shell reads afterwards. ``escape`` is the file's escape
    character (``Dockerfile.escape``).
    """
    try:
        return _WordExpander(text, env, escape, keep_quotes).expand()
    except Exception:  # malformed input: hand back the text rather than fail the caller
        return text


def stage_environment(dockerfile: Dockerfile, stage: Stage) -> dict[str, str]:
    """Build args (their defaults) and ENV values in force at the end of ``stage`` (see
    :func:`stage_environments`)."""
    return stage_environments(dockerfile)[stage.index]


def stage_environments(dockerfile: Dockerfile) -> list[dict[str, str]]:
    """Build args (their defaults) and ENV values in force at the end of each stage, by stage index.

    A stage built ``FROM`` an earlier stage starts with that stage's ENV (not its ARGs, which BuildKit
    does not carry over). Stage ARGs get their default, or the global ARG default when they re-declare
    a global ARG without one; ARGs with no value at all are left out. ENV beats ARG of the same name.
    """
    by_index: list[dict[str, str]] = []  # ENV at the end of each stage, computed front to back
    global_defaults = _arg_defaults(dockerfile.global_args, dockerfile.escape)
    names: dict[str, int] = {}
    result: list[dict[str, str]] = []
    for current in dockerfile.stages:
        parent = names.get(current.base_resolved.lower()) if current.base_resolved else None
        envs = dict(by_index[parent]) if parent is not None else {}
        args: dict[str, str] = {}
        for instruction in current.instructions:
            if instruction.keyword == "ENV":
                lookup = _lookup(envs, args)
                for key, value in _env_pairs(instruction.arguments, dockerfile.escape):
                    envs[substitute(key, lookup, escape=dockerfile.escape)] = substitute(
                        value, lookup, escape=dockerfile.escape)
            elif instruction.keyword == "ARG":
                lookup = _lookup(envs, args)
                for key, default in _arg_pairs(instruction.arguments, dockerfile.escape):
                    if default is not None:
                        args[key] = substitute(default, lookup, escape=dockerfile.escape)
                    elif key in global_defaults:
                        args[key] = global_defaults[key]
        by_index.append(envs)
        result.append({**args, **envs})
        if current.name:
            names[current.name] = current.index
    return result


# --------------------------------------------------------------------------- pre-pass data


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


# --------------------------------------------------------------------------- the parser


class _Parser:
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

    # ----------------------------------------------------------------- driver

    def run(self) -> Dockerfile:
        if self._looks_binary():
            self.problem(
                "this file is not a text Dockerfile: it contains NUL bytes or mostly control characters",
                Span(self.path, Position(1, 1)),
                help="check that the path really names a Dockerfile; Docker cannot build from binary content",
            )
            return self._result((), (), ())
        self._read_directives()
        logicals = self._scan()
        instructions: list[Instruction] = []
        for logical in logicals:
            instruction = self._build(logical)
            if instruction is not None:
                instructions.append(instruction)
        stages, global_args = self._stages(instructions)
        self._check_from_order(instructions)
        return self._result(tuple(instructions), stages, global_args)

    def _result(self, instructions: tuple[Instruction, ...], stages: tuple[Stage, ...],
                global_args: tuple[Instruction, ...]) -> Dockerfile:
        problems = sorted(self.problems, key=lambda problem: (problem.span.start.line, problem.span.start.column))
        if self.dropped_problems:
            last = problems[-1].span if problems else Span(self.path, Position(1, 1))
            problems.append(ParseProblem(
                CODE, f"{self.dropped_problems} more Dockerfile problems were found but are not listed", last,
                help="fix the problems above first; a file with this many is often not a Dockerfile at all"))
        return Dockerfile(
            path=self.path, directives=MappingProxyType(dict(self.directives)), escape=self.escape,
            global_args=global_args, stages=stages, instructions=instructions, problems=tuple(problems),
        )

    def _looks_binary(self) -> bool:
        head = self.text[:8192]
        if "\x00" in self.text:
            return True
        if not head:
            return False
        return len(_CONTROL_RE.findall(head)) > max(8, len(head) // 10)

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

    # ----------------------------------------------------------------- instructions

    def _build(self, logical: _Logical) -> Instruction | None:
        joined = logical.joined
        keyword_start = len(joined) - len(joined.lstrip())
        keyword_match = _WORD_RE.match(joined, keyword_start)
        if keyword_match is None:
            return None
        word = keyword_match.group()
        rest_offset = _SPACE_RUN_RE.match(joined, keyword_match.end()).end()
        keyword = word.upper()
        raw_value = joined[rest_offset:].strip()
        if keyword == "FROM":
            self.stage_index += 1
        flag_words, arguments_offset = _extract_flags(joined, rest_offset)
        arguments = joined[arguments_offset:].strip()

        key_line, key_column = logical.locate(keyword_start)
        end_line = logical.content_end_line
        if logical.heredoc_bodies:
            end_line = max(end_line, logical.heredoc_bodies[-1][1])
        lines = self.lines
        span = _Span(self.path, _Position(key_line + 1, key_column + 1),
                     _Position(end_line + 1, len(lines[end_line]) + 1))
        text = "\n".join([lines[key_line][key_column:], *lines[key_line + 1:end_line + 1]])

        flags = tuple(
            Flag(name, value, self._offset_span(logical, start, end)) for name, value, start, end in flag_words
        ) if flag_words else ()
        arguments_span = None
        if arguments:
            arguments_span = self._first_line_span(logical, arguments_offset, arguments_offset + len(arguments))

        form = exec_args = None
        if keyword in _EXEC_FORM_INSTRUCTIONS or keyword == "HEALTHCHECK":
            command = arguments
            if keyword == "HEALTHCHECK":
                head, _, tail = _split_first_word(arguments)
                command = tail if head.upper() == "CMD" else ""
            if command:
                array, error = _json_array(command)
                if array is not None:
                    form, exec_args = "exec", tuple(array)
                else:
                    form = "shell"
                    if error:
                        self.problem(f"`{keyword}` {error}", arguments_span or span,
                                     help="quote every element: `[\"executable\", \"arg1\"]`; Docker refuses "
                                          "numbers, booleans and nested arrays in the JSON form")

        # Positional: half the cost of keywords for this 11-field frozen dataclass, built once per line.
        instruction = Instruction(keyword, raw_value, arguments, flags, span, text, form, exec_args,
                                  tuple(logical.heredocs) if logical.heredocs else (), self.stage_index,
                                  arguments_span)
        self._check(instruction, logical)
        return instruction

    def _offset_span(self, logical: _Logical, start: int, end: int) -> Span:
        line, column = logical.locate(start)
        end_line, end_column = logical.locate_end(end)
        return self.span(line, column, end_line, end_column)

    def _first_line_span(self, logical: _Logical, start: int, end: int) -> Span:
        """From ``start`` to ``end`` or to the end of the physical piece ``start`` is on, whichever is first."""
        offsets = logical.piece_offsets
        if len(offsets) == 1:
            line, column = logical.first_line + 1, logical.piece_columns[0] + start + 1
            return _Span(self.path, _Position(line, column), _Position(line, column + end - start))
        index = bisect_right(offsets, start) - 1
        piece_end = offsets[index + 1] if index + 1 < len(offsets) else len(logical.joined)
        stop = min(end, piece_end)
        # Trailing blanks before a continuation character are not part of the arguments.
        while stop > start + 1 and logical.joined[stop - 1].isspace():
            stop -= 1
        return self._offset_span(logical, start, max(stop, start + 1))

    # ----------------------------------------------------------------- checks (what BuildKit rejects)

    def _check(self, instruction: Instruction, logical: _Logical) -> None:
        keyword = instruction.keyword
        if keyword not in _KNOWN:
            self._unknown_instruction(instruction, logical)
            return
        self._note_unsupported_heredoc(instruction, logical)
        self._check_flags(instruction)
        arguments = instruction.arguments
        check = _ARGUMENT_CHECKS.get(keyword)
        if check is not None:
            for message, help_text in check(self, instruction):
                self.problem(message, instruction.arguments_span or self._keyword_span(instruction),
                             help=help_text, anchor=instruction.text.split("\n", 1)[0])
        if keyword == "FROM":
            self._check_from(instruction)
        elif keyword in ("COPY", "ADD") and instruction.heredocs:
            words = _WORD_RE.findall(arguments)
            if words and _HEREDOC_WORD_RE.match(words[-1]) and _heredoc_name(words[-1]) is not None:
                self.problem(f"`{keyword}` cannot take a heredoc as its destination",
                             instruction.arguments_span or self._keyword_span(instruction),
                             help=f"put the destination path last: `{keyword} <<EOF /path/in/image`")

    def _unknown_instruction(self, instruction: Instruction, logical: _Logical) -> None:
        in_heredoc = self._unsupported_heredoc
        if in_heredoc is not None and instruction.keyword in in_heredoc[2]:
            self._unsupported_heredoc = None  # this line is the heredoc's terminator
        if self.capped:  # the hints below cost time, and a garbage file has many lines
            self.dropped_problems += 1
            return
        word = instruction.text.split(None, 1)[0] if instruction.text.strip() else instruction.keyword
        hints = []
        if in_heredoc is not None:
            owner, line, _names = in_heredoc
            hints.append(f"line {line} starts a heredoc in `{owner}`, but Docker reads heredocs only in RUN, COPY "
                         "and ADD, so the heredoc's lines are read as instructions")
        else:
            suggestion = _closest(instruction.keyword, INSTRUCTIONS)
            if suggestion is not None:
                hints.append(f"did you mean `{suggestion}`?")
        previous_line = logical.first_line - 1
        if not hints and previous_line >= 0 and self._continues_previous(previous_line, word):
            hints.append(f"if this line continues the instruction above, end line {previous_line + 1} with "
                         f"`{self.escape}`")
        if not hints:
            hints.append("instructions are " + ", ".join(INSTRUCTIONS))
        self.problem(
            f"unknown instruction `{word}`: Docker refuses to build a Dockerfile that contains it",
            self._keyword_span(instruction),
            help="; ".join(hints), anchor=word)

    def _continues_previous(self, previous_line: int, word: str) -> bool:
        """Heuristic: the line above is an instruction's text and this word reads like shell, not a keyword."""
        above = self.lines[previous_line].strip()
        if not above or above.startswith("#"):
            return False
        return word[:1].islower() or word[:1] in "&|;-" or word.startswith(("&&", "||"))

    def _note_unsupported_heredoc(self, instruction: Instruction, logical: _Logical) -> None:
        if instruction.keyword in _HEREDOC_INSTRUCTIONS or "<<" not in logical.joined:
            return
        if instruction.keyword == "ONBUILD":
            return
        names = frozenset(name for name, *_ in _heredoc_markers(logical.joined))
        if names:
            self._unsupported_heredoc = (instruction.keyword, instruction.span.line, names)

    def _check_flags(self, instruction: Instruction) -> None:
        keyword = instruction.keyword
        spec = FLAG_SPECS.get(keyword)
        if keyword == "HEALTHCHECK" and _split_first_word(instruction.arguments)[0].upper() == "NONE":
            return  # BuildKit does not look at the flags of HEALTHCHECK NONE
        used: dict[str, Flag] = {}
        for flag in instruction.flags:
            written = f"--{flag.name}" + (f"={flag.value}" if flag.value is not None else "")
            if spec is None:
                self.problem(
                    f"`{keyword}` takes no flags, but `{written}` is written where a flag would go",
                    flag.span, anchor=written,
                    help=f"Docker rejects this `{keyword}`; if the text is meant as an argument, use the JSON "
                         f"form (`{keyword} [\"--{flag.name}\", ...]`) or move it after the first argument"
                    if keyword in _EXEC_FORM_INSTRUCTIONS else f"remove `--{flag.name}` from this `{keyword}`")
                continue
            kind = spec.get(flag.name)
            if kind is None:
                suggestion = None if self.capped else _closest(flag.name, tuple(spec))
                accepted = ", ".join(f"--{name}" for name in spec)
                self.problem(
                    f"unknown flag `--{flag.name}` for `{keyword}`: Docker refuses to build this instruction",
                    flag.span, anchor=written,
                    help=(f"did you mean `--{suggestion}`? " if suggestion else "")
                    + f"`{keyword}` accepts {accepted}")
                continue
            if kind == _STRING and flag.value is None:
                self.problem(f"flag `--{flag.name}` of `{keyword}` needs a value", flag.span, anchor=written,
                             help=f"write `--{flag.name}=<value>`")
            if kind == _BOOL and flag.value is not None and flag.value.lower() not in ("", "true", "false"):
                self.problem(f"flag `--{flag.name}` takes `true` or `false`, not `{flag.value}`", flag.span,
                             anchor=written, help=f"write `--{flag.name}` or `--{flag.name}=false`")
            if kind != _STRINGS and flag.name in used:
                self.problem(f"flag `--{flag.name}` is given twice", flag.span, anchor=written,
                             help=f"keep one `--{flag.name}`; Docker rejects a repeated flag")
            used[flag.name] = flag

    def _check_from(self, instruction: Instruction) -> None:
        words = _WORD_RE.findall(instruction.arguments)
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2].lower()
            where = instruction.arguments_span or self._keyword_span(instruction)
            if not _STAGE_NAME_RE.match(name):
                self.problem(
                    f"invalid stage name `{words[2]}`: a stage name must start with a letter and contain only "
                    "letters, digits, `-`, `_` and `.`", where, help="rename the stage, e.g. `AS build-2`")
            elif name in self._stage_names:
                self.problem(
                    f"stage name `{name}` is already used by the stage on line {self._stage_names[name]}",
                    where, help="give every stage a unique name; Docker refuses duplicate stage names")
            else:
                self._stage_names[name] = instruction.span.line

    def _check_from_order(self, instructions: list[Instruction]) -> None:
        for instruction in instructions:
            if instruction.keyword == "FROM":
                return
            if instruction.keyword in _KNOWN and instruction.keyword != "ARG":
                self.problem(
                    f"`{instruction.keyword}` comes before the first `FROM`: there is no build stage for it to "
                    "act on", self._keyword_span(instruction), anchor=instruction.keyword,
                    help="start the Dockerfile with `FROM <image>` (only `ARG` and comments may come before it)")
                return
        if self.text.strip():
            self.problem(
                "the Dockerfile has no `FROM` instruction, so Docker has no base image to build on",
                self._keyword_span(instructions[0]) if instructions else Span(self.path, Position(1, 1)),
                help="add `FROM <image>` (or `FROM scratch`) before the build steps")

    def _keyword_span(self, instruction: Instruction) -> Span:
        # The keyword as written on its first line: `ß`.upper() is `SS`, and a continuation can split a word.
        start = instruction.span.start
        first_line = instruction.text.split("\n", 1)[0]
        written = _WORD_RE.match(first_line)
        width = min(len(written.group()) if written else 1, len(first_line))
        return Span(self.path, start, Position(start.line, start.column + width))

    # ----------------------------------------------------------------- stages

    def _stages(self, instructions: list[Instruction]) -> tuple[tuple[Stage, ...], tuple[Instruction, ...]]:
        global_args: list[Instruction] = []
        groups: list[list[Instruction]] = []
        for instruction in instructions:
            if instruction.keyword == "FROM":
                groups.append([instruction])
            elif groups:
                groups[-1].append(instruction)
            elif instruction.keyword == "ARG":
                global_args.append(instruction)
        global_env = _arg_defaults(global_args, self.escape)
        stages = []
        for index, group in enumerate(groups):
            from_instruction = group[0]
            words = list(_WORD_RE.finditer(from_instruction.arguments))
            base_text = words[0].group() if words else ""
            if words and from_instruction.arguments_span is not None:
                start = from_instruction.arguments_span.start
                stop = start.column + len(base_text)
                first_line_end = from_instruction.arguments_span.end
                if first_line_end is not None and first_line_end.line == start.line:
                    stop = min(stop, first_line_end.column)  # a continuation can split the image name
                base_span = Span(self.path, start, Position(start.line, stop))
            else:
                base_span = self._keyword_span(from_instruction)
            name = None
            if len(words) == 3 and words[1].group().lower() == "as":
                name = words[2].group().lower()
            platform_flag = from_instruction.flag("platform")
            stages.append(Stage(
                index=index, name=name, base=Located(base_text, base_span),
                base_resolved=substitute(base_text, global_env, escape=self.escape) if base_text else "",
                platform=platform_flag.value if platform_flag is not None else None,
                from_instruction=from_instruction, instructions=tuple(group[1:]),
            ))
        return tuple(stages), tuple(global_args)


# --------------------------------------------------------------------------- argument checks


def _check_copy(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    array, _error = _json_array(instruction.arguments)
    count = len(array) if array is not None else len(_WORD_RE.findall(instruction.arguments))
    if count < 2:
        keyword = instruction.keyword
        return [(f"`{keyword}` needs at least one source and a destination, but has {count} argument"
                 f"{'' if count == 1 else 's'}", f"write `{keyword} <source>... <destination>`")]
    return []


def _at_least_one(noun: str) -> Callable[[_Parser, Instruction], list[tuple[str, str]]]:
    def check(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
        if not instruction.arguments:
            return [(f"`{instruction.keyword}` needs at least one {noun}",
                     f"write `{instruction.keyword} <{noun}>`; Docker refuses the instruction without one")]
        return []

    return check


def _exactly_one(noun: str) -> Callable[[_Parser, Instruction], list[tuple[str, str]]]:
    def check(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
        if not instruction.arguments:
            return [(f"`{instruction.keyword}` needs a {noun}",
                     f"write `{instruction.keyword} <{noun}>`; Docker refuses the instruction without one")]
        return []

    return check


def _check_run(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`RUN` has no command to run", "write the command after `RUN`, or delete the line")]
    return []


def _check_key_values(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    keyword = instruction.keyword
    if not instruction.arguments:
        return [(f"`{keyword}` needs at least one `name=value` pair", f"write `{keyword} name=value`")]
    words = _parse_words(instruction.arguments, parser.escape)
    if not words:
        return []
    if "=" not in words[0]:
        if len(_WORD_RE.findall(instruction.arguments)) < 2:
            return [(f"`{keyword} {words[0]}` has a name but no value",
                     f"write `{keyword} {words[0]}=<value>`")]
        return []
    for word in words:
        if "=" not in word:
            return [(f"`{word}` in `{keyword}` is not of the form `name=value`",
                     "in the `name=value` form every word needs an `=`; quote values that contain spaces")]
        if word.startswith("="):
            return [(f"`{keyword}` has a value without a name: `{word}`", "write `name=value`")]
    return []


def _check_arg(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`ARG` needs a name", "write `ARG NAME` or `ARG NAME=default`")]
    for key, _default in _arg_pairs(instruction.arguments, parser.escape):
        if not key:
            return [("`ARG` has a default without a name", "write `ARG NAME=default`")]
    return []


def _check_volume(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`VOLUME` needs at least one path", "write `VOLUME /path`")]
    array, _error = _json_array(instruction.arguments)
    if array is not None and any(not item.strip() for item in array):
        return [("`VOLUME` lists an empty path", "remove the empty string from the list")]
    return []


def _check_shell(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    if instruction.form == "exec" and instruction.exec_args:
        return []
    if instruction.form == "exec":
        return [("`SHELL` needs at least one element", 'write `SHELL ["/bin/sh", "-c"]`')]
    return [("`SHELL` must be written as a JSON array: Docker refuses the shell form here",
             'write `SHELL ["/bin/bash", "-c"]`')]


def _check_healthcheck(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`HEALTHCHECK` needs `CMD <command>` or `NONE`", "write `HEALTHCHECK CMD <command>`")]
    kind, _, command = _split_first_word(instruction.arguments)
    kind = kind.upper()
    if kind == "NONE":
        if command:
            return [("`HEALTHCHECK NONE` takes no arguments", "remove what follows `NONE`")]
    elif kind == "CMD":
        if not command:
            return [("`HEALTHCHECK CMD` has no command",
                     "write the check after `CMD`, e.g. `CMD curl -f http://localhost/`")]
    else:
        return [(f"unknown `HEALTHCHECK` type `{kind}`", "write `HEALTHCHECK [options] CMD <command>` or "
                 "`HEALTHCHECK NONE`")]
    return []


def _check_onbuild(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    if not instruction.arguments:
        return [("`ONBUILD` needs an instruction to run later", "write `ONBUILD <instruction>`")]
    trigger = _split_first_word(instruction.arguments)[0].upper()
    if trigger == "ONBUILD":
        return [("`ONBUILD ONBUILD` is not allowed", "use a single `ONBUILD`")]
    if trigger in ("FROM", "MAINTAINER"):
        return [(f"`{trigger}` is not allowed as an `ONBUILD` trigger", "trigger a different instruction")]
    return []


def _check_from_arguments(parser: _Parser, instruction: Instruction) -> list[tuple[str, str]]:
    words = _WORD_RE.findall(instruction.arguments)
    if not words:
        return [("`FROM` needs a base image", "write `FROM <image>[:tag] [AS <name>]`, e.g. `FROM alpine:3.20`")]
    if len(words) == 3 and words[1].lower() == "as":
        return []
    if len(words) != 1:
        return [(f"`FROM` expects `<image> [AS <name>]` but has {len(words)} arguments",
                 "write `FROM <image>` or `FROM <image> AS <name>`; flags such as `--platform` go before the image")]
    return []


_ARGUMENT_CHECKS: Mapping[str, Callable[[_Parser, Instruction], list[tuple[str, str]]]] = MappingProxyType({
    "ADD": _check_copy,
    "COPY": _check_copy,
    "ARG": _check_arg,
    "ENV": _check_key_values,
    "LABEL": _check_key_values,
    "EXPOSE": _at_least_one("port"),
    "VOLUME": _check_volume,
    "USER": _exactly_one("user"),
    "WORKDIR": _exactly_one("path"),
    "STOPSIGNAL": _exactly_one("signal"),
    "MAINTAINER": _exactly_one("name"),
    "RUN": _check_run,
    "SHELL": _check_shell,
    "HEALTHCHECK": _check_healthcheck,
    "ONBUILD": _check_onbuild,
    "FROM": _check_from_arguments,
})


# --------------------------------------------------------------------------- lexing helpers


def _split_keyword(joined: str, offset: int = 0) -> tuple[str, int]:
    """The first word at or after ``offset`` and where the text after it (and its blanks) starts."""
    start = offset
    while start < len(joined) and joined[start].isspace():
        start += 1
    match = _WORD_RE.match(joined, start)
    if match is None:
        return "", len(joined)
    return match.group(), _SPACE_RUN_RE.match(joined, match.end()).end()


def _split_first_word(text: str) -> tuple[str, str, str]:
    """``(word, separator, rest)`` split at the first whitespace, as BuildKit's HEALTHCHECK parser does."""
    for index, char in enumerate(text):
        if char.isspace():
            return text[:index], char, text[index:].lstrip()
    return text, "", ""


def _extract_flags(line: str, offset: int) -> tuple[list[tuple[str, str | None, int, int]], int]:
    """BuildKit's extractBuilderFlags: leading ``--name[=value]`` words, quotes removed.

    Returns ``(flags, arguments_offset)`` where each flag is ``(name, value, start, end)`` in ``line``.
    """
    flags: list[tuple[str, str | None, int, int]] = []
    length = len(line)
    position = offset
    if position < length and line[position] != "-" and not line[position].isspace():
        return flags, position  # the usual case: no flags at all
    while True:
        while position < length and line[position].isspace():
            position += 1
        if position >= length or not line.startswith("--", position):
            return flags, position
        start = position
        chars: list[str] = []
        quote = ""
        while position < length:
            char = line[position]
            if not quote:
                if char.isspace():
                    break
                if char in "'\"":
                    quote = char
                    position += 1
                    continue
            elif char == quote:
                quote = ""
                position += 1
                continue
            if char == "\\":
                if position + 1 == length:
                    position += 1
                    quote = ""
                    continue
                position += 1
                char = line[position]
            chars.append(char)
            position += 1
        word = "".join(chars)
        if word == "--":
            while position < length and line[position].isspace():
                position += 1
            return flags, position
        name, equals, value = word[2:].partition("=")
        flags.append((name, value if equals else None, start, position))


def _json_array(text: str) -> tuple[list[str] | None, str | None]:
    """``(items, None)`` for a JSON array of strings; ``(None, error)`` for a JSON array of other things.

    Anything that is not a JSON array at all is ``(None, None)``: Docker reads it as the shell form.
    """
    text = text.lstrip()
    if not text.startswith("["):
        return None, None
    try:
        value = _JSON_DECODER.decode(text)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(value, list):
        return None, None
    if all(isinstance(item, str) for item in value):
        return value, None
    return None, "uses the JSON form with an element that is not a string"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Go's encoding/json refuses NaN and Infinity


_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _raw_words(line: str) -> list[tuple[int, int]] | None:
    """Word boundaries as BuildKit's shell lexer sees them, quotes kept; None where the lexer fails."""
    words: list[tuple[int, int]] = []
    length = len(line)
    position = 0
    while position < length:
        while position < length and line[position].isspace():
            position += 1
        if position >= length:
            break
        start = position
        while position < length and not line[position].isspace():
            char = line[position]
            if char == "\\":
                position += 2
            elif char == "'":
                close = line.find("'", position + 1)
                if close < 0:
                    return None
                position = close + 1
            elif char == '"':
                position += 1
                while position < length and line[position] != '"':
                    position += 2 if line[position] == "\\" else 1
                if position >= length:
                    return None
                position += 1
            elif char == "$" and line.startswith("${", position):
                if position + 2 >= length or line[position + 2] in "{}:":
                    return None
                close = _matching_brace(line, position + 2)
                if close < 0:
                    return None
                position = close + 1
            else:
                position += 1
        words.append((start, min(position, length)))
    return words


def _matching_brace(line: str, position: int) -> int:
    """Index of the ``}`` closing a ``${`` whose body starts at ``position``; -1 if none."""
    depth = 1
    length = len(line)
    while position < length:
        char = line[position]
        if char == "\\":
            position += 2
            continue
        if char == "$" and line.startswith("${", position):
            depth += 1
            position += 2
            continue
        if char == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return -1


def _heredoc_name(word: str) -> tuple[str, bool, bool] | None:
    """``(name, quoted, strip_tabs)`` if ``word`` is a heredoc marker such as ``<<EOF`` or ``<<-'EOF'``."""
    match = _HEREDOC_WORD_RE.match(word)
    if match is None or not match.group(3):
        return None
    rest = match.group(3)
    name_chars: list[str] = []
    quoted = False
    position = 0
    length = len(rest)
    while position < length:
        char = rest[position]
        if char == "'":
            close = rest.find("'", position + 1)
            if close < 0:
                return None
            name_chars.append(rest[position + 1:close])
            quoted = True
            position = close + 1
        elif char == '"':
            position += 1
            while position < length and rest[position] != '"':
                if rest[position] == "\\" and position + 1 < length and rest[position + 1] in '"$\\':
                    position += 1
                name_chars.append(rest[position])
                position += 1
            if position >= length:
                return None
            quoted = True
            position += 1
        elif char == "\\":
            if position + 1 < length:
                name_chars.append(rest[position + 1])
            position += 2
        elif char.isspace():
            return None
        else:
            name_chars.append(char)
            position += 1
    name = "".join(name_chars)
    if not name:
        return None
    return name, quoted, match.group(2) == "-"


def _heredoc_markers(line: str) -> list[tuple[str, bool, bool, int, int]]:
    """Every heredoc marker of an instruction line: ``(name, quoted, strip_tabs, start, end)``."""
    words = _raw_words(line)
    if not words:
        return []
    markers = []
    for start, end in words:
        if "<<" not in line[start:end]:
            continue
        parsed = _heredoc_name(line[start:end])
        if parsed is not None:
            markers.append((*parsed, start, end))
    return markers


def _parse_words(rest: str, escape: str) -> list[str]:
    """BuildKit's parseWords (ENV/LABEL/ARG): whitespace-separated words, quotes and escapes kept."""
    words: list[str] = []
    word: list[str] = []
    blank_ok = False
    quote = ""
    in_word = False
    position = 0
    length = len(rest)
    while position < length:
        char = rest[position]
        if not in_word:
            if char.isspace():
                position += 1
                continue
            in_word = True
        if not quote:
            if char.isspace():
                if blank_ok or word:
                    words.append("".join(word))
                word, blank_ok, in_word = [], False, False
                position += 1
                continue
            if char in "'\"":
                quote, blank_ok = char, True
            if char == escape:
                if position + 1 == length:
                    position += 1
                    continue
                word.append(char)
                position += 1
                char = rest[position]
            word.append(char)
            position += 1
            continue
        if char == quote:
            quote = ""
        if char == escape and quote != "'":
            if position + 1 == length:
                position += 1
                continue
            word.append(char)
            position += 1
            char = rest[position]
        word.append(char)
        position += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


def _env_pairs(arguments: str, escape: str) -> list[tuple[str, str]]:
    words = _parse_words(arguments, escape)
    if not words:
        return []
    if "=" not in words[0]:  # the legacy `ENV NAME value with spaces` form
        parts = re.split(r"[\t\v\f\r ]+", arguments, maxsplit=1)
        return [(parts[0], parts[1])] if len(parts) == 2 else []
    return [(key, value) for key, _, value in (word.partition("=") for word in words if "=" in word)]


def _arg_pairs(arguments: str, escape: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for word in _parse_words(arguments, escape):
        key, equals, value = word.partition("=")
        pairs.append((key, value if equals else None))
    return pairs


def _arg_defaults(arg_instructions: tuple[Instruction, ...] | list[Instruction], escape: str) -> dict[str, str]:
    """Default values of ARG instructions read in order (a default may use earlier ones)."""
    values: dict[str, str] = {}
    for instruction in arg_instructions:
        lookup = dict(values)  # all pairs of one ARG see the values from before it, as in BuildKit
        for key, default in _arg_pairs(instruction.arguments, escape):
            if default is not None:
                values[key] = substitute(default, lookup, escape=escape)
    return values


def _lookup(envs: Mapping[str, str], args: Mapping[str, str]) -> dict[str, str]:
    merged = dict(args)
    merged.update(envs)
    return merged


def _closest(word: str, candidates: tuple[str, ...] | list[str]) -> str | None:
    """The candidate within a small edit distance of ``word`` (case-insensitive), if any."""
    word = word.upper()
    if len(word) > 40:
        return None
    best, best_distance = None, max(1, min(2, len(word) // 3))
    for candidate in candidates:
        if abs(len(candidate) - len(word)) > best_distance:
            continue
        distance = _edit_distance(word, candidate.upper())
        if distance <= best_distance and (best is None or distance < _edit_distance(word, best.upper())):
            best, best_distance = candidate, distance
    return best


def _edit_distance(left: str, right: str) -> int:
    """Levenshtein distance with adjacent transpositions (`CPOY` is one step from `COPY`)."""
    previous_previous: list[int] = []
    previous = list(range(len(right) + 1))
    for i, left_char in enumerate(left, 1):
        current = [i] + [0] * len(right)
        for j, right_char in enumerate(right, 1):
            cost = 0 if left_char == right_char else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and left_char == right[j - 2] and left[i - 2] == right_char:
                current[j] = min(current[j], previous_previous[j - 2] + 1)
        previous_previous, previous = previous, current
    return previous[-1]


# --------------------------------------------------------------------------- variable expansion


_MAX_NESTING = 32  # ${a:-${b:-${c...}}} deeper than this is kept as written


class _WordExpander:
    """BuildKit's shell-word processing (``shell.Lex.ProcessWord``) over one string, iteratively bounded."""

    def __init__(self, text: str, env: Mapping[str, str], escape: str, keep_quotes: bool) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.keep_quotes = keep_quotes
        self.position = 0

    def expand(self) -> str:
        return self._until("", 0)

    def _until(self, stop: str, depth: int) -> str:
        """Process up to (and consuming) ``stop``; ``stop == ""`` means the end of the text."""
        text, length = self.text, len(self.text)
        out: list[str] = []
        while self.position < length:
            char = text[self.position]
            if stop and char == stop:
                self.position += 1
                return "".join(out)
            if char == "'":
                out.append(self._single_quoted())
            elif char == '"':
                out.append(self._double_quoted(depth))
            elif char == "$":
                out.append(self._dollar(depth))
            elif char == self.escape:
                self.position += 1
                if self.position >= length:
                    break
                following = text[self.position]
                if self.keep_quotes and following != "$":
                    out.append(char)
                out.append(following)
                self.position += 1
            else:
                out.append(char)
                self.position += 1
        return "".join(out)

    def _single_quoted(self) -> str:
        text = self.text
        close = text.find("'", self.position + 1)
        if close < 0:  # unterminated: BuildKit fails; keep the rest literally
            body = text[self.position + 1:]
            self.position = len(text)
            return ("'" + body) if self.keep_quotes else body
        body = text[self.position + 1:close]
        self.position = close + 1
        return f"'{body}'" if self.keep_quotes else body

    def _double_quoted(self, depth: int) -> str:
        text, length = self.text, len(self.text)
        out: list[str] = ['"'] if self.keep_quotes else []
        self.position += 1
        while self.position < length:
            char = text[self.position]
            if char == '"':
                self.position += 1
                if self.keep_quotes:
                    out.append('"')
                return "".join(out)
            if char == "$":
                out.append(self._dollar(depth))
                continue
            self.position += 1
            if char == self.escape and self.position < length and text[self.position] in ('"', "$", self.escape):
                following = text[self.position]
                if self.keep_quotes and following != "$":
                    out.append(char)
                out.append(following)
                self.position += 1
                continue
            out.append(char)
        return "".join(out)

    def _name(self) -> str:
        text, length = self.text, len(self.text)
        start = self.position
        if start >= length:
            return ""
        first = text[start]
        if first.isdigit():
            while self.position < length and text[self.position].isdigit():
                self.position += 1
            return text[start:self.position]
        if first in "@*#?-$!":
            self.position += 1
            return first
        while self.position < length and (text[self.position].isalnum() or text[self.position] == "_"):
            self.position += 1
        return text[start:self.position]

    def _dollar(self, depth: int) -> str:
        text, length = self.text, len(self.text)
        start = self.position
        self.position += 1
        if self.position >= length or text[self.position] != "{":
            name = self._name()
            if not name:
                return "$"
            return self.env.get(name, "")
        self.position += 1
        if depth >= _MAX_NESTING or self.position >= length or text[self.position] in "{}:":
            return self._give_up(start)
        name = self._name()
        if self.position >= length:
            return self._give_up(start)
        operator = text[self.position]
        self.position += 1
        value = self.env.get(name)
        if operator == "}":
            return value or ""
        if operator == ":":
            if self.position >= length:
                return self._give_up(start)
            modifier = text[self.position]
            self.position += 1
            word = self._until("}", depth + 1)
            if modifier == "-":
                return value if value else word
            if modifier == "+":
                return word if value else ""
            if modifier == "?":
                return value or ""
            return ""
        if operator in "-+?":
            word = self._until("}", depth + 1)
            if operator == "-":
                return value if value is not None else word
            if operator == "+":
                return word if value is not None else ""
            return value or ""
        if operator in "#%":
            longest = self.position < length and text[self.position] == operator
            if longest:
                self.position += 1
            pattern = self._until("}", depth + 1)
            return _remove_affix(value or "", pattern, prefix=operator == "#", longest=longest)
        if operator == "/":
            replace_all = self.position < length and text[self.position] == "/"
            if replace_all:
                self.position += 1
            body = self._until("}", depth + 1)
            pattern, _, replacement = body.partition("/")
            return _replace_pattern(value or "", pattern, replacement, replace_all)
        # An unsupported modifier: BuildKit fails; skip to the closing brace.
        close = text.find("}", self.position)
        self.position = length if close < 0 else close + 1
        return ""

    def _give_up(self, start: int) -> str:
        """Keep a malformed or too deeply nested ``${`` and the rest of the text as written."""
        self.position = len(self.text)
        return self.text[start:]


_REPLACE_LIMIT = 256  # ${VAR/pat/repl} tries every start position; longer values are left alone


def _glob_tokens(pattern: str) -> list[str]:
    """Shell pattern -> tokens: "*" (any run), "?" (any one character) or a literal character."""
    tokens: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern):
            tokens.append("\\" + pattern[position + 1])
            position += 2
            continue
        if char == "*" and tokens and tokens[-1] == "*":
            position += 1
            continue
        tokens.append(char if char in "*?" else "\\" + char)
        position += 1
    return tokens


def _glob_prefix_lengths(tokens: list[str], text: str) -> list[int]:
    """Every k such that ``text[:k]`` matches the whole pattern: one NFA pass, O(len(text) * len(tokens))."""
    count = len(tokens)

    def closure(states: set[int]) -> set[int]:
        result = set(states)
        for state in sorted(states):
            while state < count and tokens[state] == "*":
                state += 1
                result.add(state)
        return result

    states = closure({0})
    lengths = [0] if count in states else []
    for index, char in enumerate(text, 1):
        advanced = set()
        for state in states:
            if state >= count:
                continue
            token = tokens[state]
            if token == "*":
                advanced.add(state)
            elif token == "?" or token[1] == char:
                advanced.add(state + 1)
        if not advanced:
            break
        states = closure(advanced)
        if count in states:
            lengths.append(index)
    return lengths


def _remove_affix(value: str, pattern: str, prefix: bool, longest: bool) -> str:
    if not pattern:
        return value
    tokens = _glob_tokens(pattern)
    if prefix:
        lengths = _glob_prefix_lengths(tokens, value)
    else:  # a suffix of the value is a prefix of the reversed value for the reversed pattern
        lengths = _glob_prefix_lengths(tokens[::-1], value[::-1])
    if not lengths:
        return value
    cut = max(lengths) if longest else min(lengths)
    return value[cut:] if prefix else value[:len(value) - cut]


def _replace_pattern(value: str, pattern: str, replacement: str, replace_all: bool) -> str:
    if not pattern or len(value) > _REPLACE_LIMIT:
        return value
    tokens = _glob_tokens(pattern)
    out: list[str] = []
    position = 0
    replaced = False
    while position <= len(value):
        lengths = _glob_prefix_lengths(tokens, value[position:]) if not replaced or replace_all else []
        longest = max(lengths) if lengths else 0
        if lengths and longest > 0:
            out.append(replacement)
            position += longest
            replaced = True
            continue
        if position < len(value):
            out.append(value[position])
        position += 1
    return "".join(out)
