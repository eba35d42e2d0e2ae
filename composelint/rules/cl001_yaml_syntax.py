"""A compose file that Compose cannot parse as YAML, or whose top level is not a mapping."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL001", name="yaml-syntax", severity="error",
      summary="a compose file is not valid YAML, or not a mapping")
def check(project, options):
    yield from problems_of(project, "CL001")
