"""A file the deployment needs that cannot be read as text."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL006", name="unreadable-file", severity="error",
      summary="a file composelint must read cannot be read: permissions, binary, not UTF-8, a special file, outside the root")
def check(project, options):
    yield from problems_of(project, "CL006")
