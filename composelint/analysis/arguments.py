"""The words of an instruction's arguments with the span each is written at (continuation lines included):
COPY/ADD sources and destination, ARG/ENV names and values."""

from __future__ import annotations

import re

from composelint.analysis.commands.maps import align
from composelint.diagnostics import Position, Span
from composelint.model import Instruction
from composelint.parsers.dockerfile.words import _parse_words
from composelint.records import record


def word_spans(project, instruction: Instruction, words) -> list[tuple[str, Span]]:
    """``words`` ((text, offset in ``instruction.arguments``) pairs) with the span of each; the arguments'
    span when a word cannot be placed on one line."""
    start = instruction.arguments_span.start if instruction.arguments_span is not None else instruction.span.start
    region = Span(instruction.span.path, start, instruction.span.end)
    positions = align(project.sources, region, instruction.arguments)
    result = []
    for text, offset in words:
        if text and positions and offset + len(text) <= len(positions) and \
                positions[offset][0] == positions[offset + len(text) - 1][0]:
            line, column = positions[offset]
            end_line, end_column = positions[offset + len(text) - 1]
            result.append((text, Span(instruction.span.path, Position(line, column),
                                      Position(end_line, end_column + 1))))
        else:
            result.append((text, instruction.arguments_span or instruction.span))
    return result


@record(frozen=True, slots=True)
class Assignment:
    """One ``NAME=value`` (or ``NAME value``, or a bare ARG ``NAME``) of an ARG or ENV instruction."""

    keyword: str  # "ARG" | "ENV" (also behind ONBUILD)
    name: str
    value: str | None  # as written (quotes kept); None: an ARG without default
    name_span: Span
    value_span: Span | None


def assignments(project, instruction: Instruction, escape: str = "\\") -> list[Assignment]:
    """The names and values an ARG or ENV instruction (or `ONBUILD ARG/ENV`) sets, each with where it is
    written."""
    arguments = instruction.arguments
    keyword, start = instruction.keyword, 0
    if keyword == "ONBUILD":
        inner = re.match(r"\s*([A-Za-z]+)\s+", arguments)
        if inner is None:
            return []
        keyword, start = inner.group(1).upper(), inner.end()
    if keyword not in ("ARG", "ENV"):
        return []
    words = _parse_words(arguments[start:], escape)
    if not words:
        return []
    pieces: list[tuple[str, str | None, int, int]] = []  # name, value, their offsets
    if keyword == "ENV" and "=" not in words[0]:  # the legacy `ENV NAME value with spaces`
        match = re.compile(r"\s*(\S+)[\t\v\f\r ]+(.*\S)", re.DOTALL).match(arguments, start)
        if match is None:
            return []
        pieces.append((match.group(1), match.group(2), match.start(1), match.start(2)))
    else:
        position = start
        for word in words:
            found = arguments.find(word, position)
            offset = found if found >= 0 else position
            position = offset + len(word)
            name, equals, value = word.partition("=")
            pieces.append((name, value if equals else None, offset, offset + len(name) + 1))
    located = word_spans(project, instruction, [(name, offset) for name, _, offset, _ in pieces]
                         + [(value or "", offset) for _, value, _, offset in pieces])
    count = len(pieces)
    return [Assignment(keyword, name, value, located[index][1], located[count + index][1] if value else None)
            for index, (name, value, _, _) in enumerate(pieces)]
