"""A piece of shell text read from a file (a Makefile recipe, a workflow step, a script, a README block)
and where each of its characters is written.
"""

from __future__ import annotations

import bisect
from dataclasses import field

from composelint.records import record


@record
class Unit:
    """A piece of shell text and where each of its characters is written."""

    text: str
    pieces: list[tuple[int, int, int]]  # (offset in text, line, column) where a linear run starts
    cwd: str | None
    fallback_dirs: tuple[str, ...] = ()
    own_dir: str = ""  # for `cd "$(dirname "$0")"`
    origin: tuple[int, int] | None = None  # a Makefile recipe line: where the invocation is found
    environment: dict = field(default_factory=dict)  # COMPOSE_* set around it (a CI `env:` block)
    where: dict = field(default_factory=dict)  # variable -> Span of the value that set it

    def position(self, offset: int) -> tuple[int, int]:
        starts = self.__dict__.get("_starts")
        if starts is None:
            starts = self.__dict__["_starts"] = [piece[0] for piece in self.pieces]
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        start, line, column = self.pieces[index]
        return line, column + (offset - start)


def unit_from_text(text: str, first_line: int, first_column: int, cwd: str | None, **kwargs) -> Unit:
    pieces = []
    offset = 0
    line, column = first_line, first_column
    for physical in text.split("\n"):
        pieces.append((offset, line, column))
        offset += len(physical) + 1
        line, column = line + 1, 1
    return Unit(text, pieces, cwd, **kwargs)


