"""The driver: lines -> instructions (keyword, flags, arguments, exec form, exact columns) -> stages."""

from __future__ import annotations

from bisect import bisect_right
from types import MappingProxyType

from composelint.diagnostics import Position, Span
from composelint.model import Dockerfile, Flag, Instruction, Located, ParseProblem, Stage
from composelint.parsers.dockerfile.checks import _Checker
from composelint.parsers.dockerfile.environment import _arg_defaults
from composelint.parsers.dockerfile.expand import substitute
from composelint.parsers.dockerfile.lines import CODE, _Logical
from composelint.parsers.dockerfile.words import (_EXEC_FORM_INSTRUCTIONS, _SPACE_RUN_RE, _WORD_RE, _extract_flags,
                                                  _json_array, _split_first_word)

_Span, _Position = Span, Position  # module-level aliases: spans are built in the hot loop


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


class _Parser(_Checker):
    """One Dockerfile: its lines (``_LineReader``) become checked instructions (``_Checker``), then stages."""

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
