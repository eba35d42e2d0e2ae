"""A Python package installed by name without a version (opt-in)."""

from __future__ import annotations

from composelint.analysis.commands.tables import PIP_PINS
from composelint.analysis.pins import named, project_unpinned
from composelint.rules._rule import Violation, rule


@rule(code="CL428", name="unpinned-pip-package", severity="info",
      summary="`pip install <package>` without a version specifier or constraints file; off by default",
      equivalents=("hadolint:DL3013",))
def check(project, options):
    for found in project_unpinned(project, PIP_PINS):
        yield Violation(
            found.span,
            f"{named(found)} is installed without a version: `{found.install}` takes the newest release on the "
            "index on the day of the build, so a new release can change or break the image without a commit",
            help=f"pin it, `{found.package}==<version>` (or a range, `~=`), or install it from a requirements or "
                 "constraints file that pins it (`-r`, `-c`, `PIP_CONSTRAINT`)",
            anchor_text=found.package)
