"""A Dockerfile that BuildKit refuses to parse."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL003", name="dockerfile-syntax", severity="error",
      summary="a Dockerfile has an unknown instruction, a missing argument or FROM, or a bad flag",
      equivalents=("hadolint:DL3024", "buildkit:DuplicateStageName"))
def check(project, options):
    yield from problems_of(project, "CL003")
