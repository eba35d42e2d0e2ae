"""The whole build context is copied before the dependency install, so every edit reinstalls everything."""

from __future__ import annotations

from composelint.analysis.python_deps import (MANIFEST_FIRST, manifest_install, stage_chain_of, stage_installs,
                                              stage_run_commands)
from composelint.diagnostics import Related
from composelint.rules._rule import Violation, rule

_WHOLE_CONTEXT = frozenset((".", "./", "./.", "*", "./*", "/", "/."))


@rule(code="CL405", name="cache-busting-copy", severity="warning",
      summary="the whole context is copied before the dependency install, so every edit reinstalls everything")
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        ecosystems: list[set[str]] = []  # what each stage installs, for the stages built FROM it
        for stage in dockerfile.stages:
            whole_copy = None
            installed_before: set[str] = set()
            for parent in stage_chain_of(dockerfile, stage.index)[1:]:
                installed_before |= ecosystems[parent]
            ecosystems.append(set())
            reported: set[str] = set()
            for instruction, commands, installs in zip(stage.instructions, stage_run_commands(project, dockerfile, stage),
                                                       stage_installs(project, dockerfile, stage)):
                if instruction.keyword in ("COPY", "ADD") and instruction.flag("from") is None and whole_copy is None:
                    sources = instruction.copy_sources
                    if any(source in _WHOLE_CONTEXT for source in sources):
                        whole_copy = instruction
                    continue
                if instruction.keyword != "RUN":
                    continue
                for command, install in zip(commands, installs):
                    found = manifest_install(command, install)
                    if found is None:
                        continue
                    ecosystem, manifest = found
                    ecosystems[stage.index].add(ecosystem)
                    if whole_copy is None:
                        installed_before.add(ecosystem)
                        continue
                    if ecosystem in installed_before or ecosystem in reported:
                        continue
                    reported.add(ecosystem)
                    manifests, install = MANIFEST_FIRST[ecosystem]
                    if ecosystem == "pip":
                        manifests, install = manifest, f"pip install --no-cache-dir -r {manifest}"
                    first_line = whole_copy.first_line
                    shown = " ".join(command.argv)
                    shown = shown if len(shown) <= 60 else shown[:59] + "…"
                    yield Violation(
                        whole_copy.span,
                        f"`{first_line}` copies the whole build context before `{shown}` "
                        "installs the dependencies: any source edit invalidates the cache and reinstalls them all",
                        help=f"copy the manifest first, install, then copy the rest: `COPY {manifests} ./`, "
                             f"`RUN {install}`, then `{first_line}`",
                        related=(Related(command.span(0, min(3, len(command.words) - 1)),
                                         "the dependencies are installed here, after the copy"),),
                        anchor_text=first_line)
