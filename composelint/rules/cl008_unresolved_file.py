"""A file named by include:, extends, env_file, a deployment or -f is missing, outside the root, or in a cycle."""

from __future__ import annotations

from composelint.rules._input import problems_of
from composelint.rules._rule import rule


@rule(code="CL008", name="unresolved-file", severity="error",
      summary="a file that include:, extends, env_file, a deployment or `-f` names is missing, outside the "
              "project root, or part of a cycle")
def check(project, options):
    yield from problems_of(project, "CL008")
