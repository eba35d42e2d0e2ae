"""An Alpine package installed without a version (opt-in)."""

from __future__ import annotations

from composelint.analysis.commands.tables import APK_PINS
from composelint.analysis.pins import named, project_unpinned
from composelint.rules._rule import Violation, rule


@rule(code="CL427", name="unpinned-apk-package", severity="info",
      summary="apk package installed without a version (`pkg~<version>`); off by default",
      equivalents=("hadolint:DL3018",))
def check(project, options):
    for found in project_unpinned(project, APK_PINS):
        yield Violation(
            found.span,
            f"{named(found)} is installed without a version: `{found.install}` takes whatever the Alpine index "
            "holds on the day of the build, so two builds of the same commit can differ",
            help=f"pin it with a fuzzy version, `{found.package}~<major.minor>`: an exact `{found.package}=<version>` "
                 "breaks the build as soon as Alpine replaces that revision in its index",
            anchor_text=found.package)
