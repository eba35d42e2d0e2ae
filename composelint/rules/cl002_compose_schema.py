"""A compose file that violates the Compose Specification: unknown key, wrong type, bad value."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL002", name="compose-schema", severity="error",
      summary="a compose file violates the Compose Specification")
def check(project, options):
    yield from problems_of(project, "CL002")
