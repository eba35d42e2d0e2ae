"""A Node package installed by name without a version (opt-in)."""

from __future__ import annotations

from composelint.analysis.commands.tables import NPM_PINS
from composelint.analysis.pins import named, project_unpinned
from composelint.rules._rule import Violation, rule


@rule(code="CL429", name="unpinned-npm-package", severity="info",
      summary="`npm install <package>` (global or not) without a version; off by default",
      equivalents=("hadolint:DL3016",))
def check(project, options):
    for found in project_unpinned(project, NPM_PINS):
        yield Violation(
            found.span,
            f"{named(found)} is installed without a version: `{found.install}` takes the newest release on the "
            "registry on the day of the build, so a new release can change or break the image without a commit",
            help=f"pin it, `{found.package}@<version>`, or declare it in package.json with a lockfile and install "
                 "with `ci`",
            anchor_text=found.package)
