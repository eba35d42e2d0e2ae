"""A Debian/Ubuntu package installed without a version (opt-in)."""

from __future__ import annotations

from composelint.analysis.commands.tables import APT_PINS
from composelint.analysis.pins import named, project_unpinned
from composelint.rules._rule import Violation, rule


@rule(code="CL426", name="unpinned-apt-package", severity="info",
      summary="apt package installed without a version (`pkg=<version>`); off by default",
      equivalents=("hadolint:DL3008",))
def check(project, options):
    for found in project_unpinned(project, APT_PINS):
        yield Violation(
            found.span,
            f"{named(found)} is installed without a version: `{found.install}` takes whatever the package index "
            "holds on the day of the build, so two builds of the same commit can differ",
            help=f"pin it, `{found.package}=<version>` (a glob, `{found.package}=1.2.*`, still takes patch "
                 "releases), or build from a snapshot archive (snapshot.debian.org) if every package must be fixed",
            anchor_text=found.package)
