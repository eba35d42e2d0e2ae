"""The same key twice in one YAML mapping: Compose refuses the file."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL004", name="duplicate-key", severity="error",
      summary="the same key appears twice in one YAML mapping")
def check(project, options):
    yield from problems_of(project, "CL004")
