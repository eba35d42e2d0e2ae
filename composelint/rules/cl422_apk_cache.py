"""`apk add` without `--no-cache` in a shipped stage: the package index stays in the image layer."""

from __future__ import annotations

from composelint.analysis.layers import kept_caches
from composelint.diagnostics import Fix
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule


@rule(code="CL422", name="apk-cache", severity="info",
      summary="`apk add` in RUN without `--no-cache`, a removal of `/var/cache/apk` or a cache mount",
      equivalents=("hadolint:DL3019",))
def check(project, options):
    for _, instruction, command, (verb, last) in kept_caches(project, ("apk-index",)):
        yield Violation(
            command.span(0, last),
            f"`{command.argv[0]} {verb}` keeps the package index it downloads in `/var/cache/apk`: it ships in "
            "the image layer although nothing reads it at run time",
            help="use `apk add --no-cache …` (it fetches the index without storing it; no `apk update` needed), "
                 "or `RUN --mount=type=cache,target=/var/cache/apk …`",
            anchor_text=instruction.first_line,
            fix=_no_cache_fix(project, command, verb, last))


def _no_cache_fix(project, command, verb: str, last: int):
    """`--no-cache` right after `add`: safe, the same packages are installed, only the index is not kept."""
    edit = _fix.insert_after_word(project, command, last, " --no-cache") if verb == "add" else None
    return Fix.safe("Add `--no-cache`", edit) if edit is not None else None
