"""Shared by the input rules: they re-emit what the parsers recorded."""

from __future__ import annotations

from typing import Iterator

from composelint.concerns import named
from composelint.rules._rule import Violation


def problems_of(project, code: str) -> Iterator[Violation]:
    for problem in project.problems:
        if problem.code == code:
            yield Violation(problem.span, problem.message, problem.help, problem.related,
                            severity=problem.severity, anchor_text=problem.anchor_text,
                            services=named(project, problem.span, problem.service) if problem.service else None)
