"""Compose variable interpolation that fails (malformed, required and unset) or silently yields an empty string."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL005", name="interpolation", severity="error",
      summary="a malformed ${...}, a required variable unset, or a variable unset with no default")
def check(project, options):
    yield from problems_of(project, "CL005")
