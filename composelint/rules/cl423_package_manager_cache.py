"""`npm install` / `npm ci` / `yarn install` in a shipped stage that keeps the package manager's cache."""

from __future__ import annotations

import posixpath

from composelint.analysis.commands.tables import LAYER_CACHES
from composelint.analysis.layers import kept_caches
from composelint.rules._rule import Violation, rule

_KINDS = ("npm-cache", "yarn-cache")


@rule(code="CL423", name="package-manager-cache", severity="info",
      summary="`npm install`/`npm ci`/`yarn install` in RUN without a cache clean in the same step or a cache mount",
      equivalents=("hadolint:DL3060",))
def check(project, options):
    for kind, instruction, command, (verb, last) in kept_caches(project, _KINDS):
        cache = LAYER_CACHES[kind]
        program = " ".join((posixpath.basename(command.argv[0]), verb)).strip()
        directory = cache.directories[0].replace("~/", "/root/", 1)
        yield Violation(
            command.span(0, last),
            f"`{program}` keeps every package it downloads in its cache (`{directory}` as root): the cache "
            "ships in the image layer next to the installed packages, often as large as `node_modules` itself",
            help=f"end the same RUN with `&& {cache.advice}`, or keep the cache out of the image: "
                 f"`RUN --mount=type=cache,target={directory} {program} …`",
            anchor_text=instruction.first_line)
