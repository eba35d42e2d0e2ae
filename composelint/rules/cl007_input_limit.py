"""A file over one of composelint's safety limits (an alias bomb, a huge file)."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL007", name="input-limit", severity="error",
      summary="a file exceeds a safety limit: size, YAML nodes after aliases, nesting depth, Dockerfile lines")
def check(project, options):
    yield from problems_of(project, "CL007")
