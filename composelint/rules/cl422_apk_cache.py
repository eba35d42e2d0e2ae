"""`apk add` without `--no-cache` in a shipped stage: the package index stays in the image layer."""

from __future__ import annotations

from composelint.analysis.layers import cache_kept, shipped_runs, writes_cache
from composelint.rules._rule import Violation, rule


@rule(code="CL422", name="apk-cache", severity="info",
      summary="`apk add` in RUN without `--no-cache`, a removal of `/var/cache/apk` or a cache mount",
      equivalents=("hadolint:DL3019",))
def check(project, options):
    for _, _, instruction, commands, env in shipped_runs(project):
        for command in commands:
            found = writes_cache("apk-index", command)
            if found is None or not cache_kept("apk-index", instruction, command, env):
                continue
            yield Violation(
                command.span(0, found[1]),
                f"`{command.argv[0]} {found[0]}` keeps the package index it downloads in `/var/cache/apk`: it "
                "ships in the image layer although nothing reads it at run time",
                help="use `apk add --no-cache …` (it fetches the index without storing it; no `apk update` "
                     "needed), or `RUN --mount=type=cache,target=/var/cache/apk …`",
                anchor_text=instruction.first_line)
