"""The Python installs of every stage of a Dockerfile built with one context.

:class:`StageAnalysis` extends the stage file system (:class:`.stagefiles.StageFiles`, which resolves an
image path such as ``/app/requirements.txt`` to the context file that put it there) with what every RUN
step installs, read with that knowledge.
:func:`installed_python` is the entry point the rules use.
"""

from __future__ import annotations

import posixpath
import re

from composelint.analysis.python.builds import default_context
from composelint.analysis.python.commands import stage_run_commands
from composelint.analysis.python.install import EMPTY_INSTALL, PythonInstall, combine
from composelint.analysis.python.installers import generates_code, read_install, runs_script, stage_installs
from composelint.analysis.python.requirements import Collected, Unresolved
from composelint.analysis.python.stagefiles import StageFiles
from composelint.analysis.python.tables import base_image_packages
from composelint.model import Dockerfile, Project, Stage

MAX_STAGE_FILES = 50_000  # image paths tracked per stage


class StageAnalysis(StageFiles):
    """Facts about every stage of one Dockerfile built with one context, computed on demand."""

    def __init__(self, project: Project, dockerfile: Dockerfile, context: str) -> None:
        super().__init__(project, dockerfile, context)
        self._installs: dict[int, PythonInstall] = {}
        self._files: dict[int, dict[str, str]] = {}

    def files(self, stage: int, depth: int = 0) -> dict[str, str]:
        """Image path -> context file, for every context file that reaches ``stage``."""
        if stage in self._files:
            return self._files[stage]
        self._files[stage] = {}  # cycle guard
        mapping: dict[str, str] = {}
        parent = self.parents[stage]
        if parent is not None and depth < 64:
            mapping.update(self.files(parent, depth + 1))
        context = self.context
        for entry in self.entries[stage]:
            if len(mapping) > MAX_STAGE_FILES:
                break
            if entry.kind == "context":
                if entry.source_dir:
                    prefix_length = len(entry.source) + 1 if entry.source else 0
                    for relpath in context.under(entry.source):
                        mapping[posixpath.join(entry.dest, relpath[prefix_length:])] = relpath
                elif entry.source in context.files:
                    target = (posixpath.join(entry.dest, posixpath.basename(entry.source)) if entry.dest_dir
                              else entry.dest)
                    mapping[target] = entry.source
            elif entry.kind == "stage" and entry.stage is not None and entry.stage != stage and depth < 64:
                other = self.files(entry.stage, depth + 1)
                source = entry.source.rstrip("/") or "/"
                everything = self.installs(entry.stage).local_install
                for path, relpath in other.items():
                    if everything:
                        mapping.setdefault(path, relpath)
                    elif path == source or path.startswith(source.rstrip("/") + "/"):
                        mapping[posixpath.join(entry.dest, path[len(source):].lstrip("/"))] = relpath
        self._files[stage] = mapping
        return mapping

    # -- installs

    def installs(self, stage: int, depth: int = 0) -> "PythonInstall":
        cached = self._installs.get(stage)
        if cached is not None:
            return cached
        self._installs[stage] = EMPTY_INSTALL  # cycle guard
        collected = Collected()
        self._stage_installs(stage, collected)
        parts: list[PythonInstall] = []
        parent = self.parents[stage]
        base_reason = None
        baseline: tuple[str, ...] = ()
        if parent is not None and depth < 64:
            parts.append(self.installs(parent, depth + 1))
        else:
            baseline_or_none = base_image_packages(self.dockerfile.stages[stage].base_resolved)
            if baseline_or_none is None:
                base = self.dockerfile.stages[stage]
                base_reason = Unresolved(f"the base image `{base.base_resolved or base.base.value}` may ship Python "
                                         "packages composelint does not know", base.base.span)
            else:
                baseline = baseline_or_none
        for entry in self.entries[stage]:
            if entry.kind == "stage" and entry.stage is not None and entry.stage != stage and depth < 64:
                parts.append(self.installs(entry.stage, depth + 1))
        for source, instruction in self.external_copies[stage]:
            if source == "/" or re.search(r"python|site-packages|dist-packages|venv|/opt|/usr/local|/root|/home",
                                          source):
                collected.unresolved.append(Unresolved(
                    f"`{instruction.first_line}` copies files from another image", instruction.span))
        if base_reason is not None:
            collected.unresolved.append(base_reason)
        result = combine(collected, baseline, parts)
        self._installs[stage] = result
        return result

    def _stage_installs(self, stage: int, out: Collected) -> None:
        instructions = self.dockerfile.stages[stage].instructions
        run_steps = stage_run_commands(self.project, self.dockerfile, self.dockerfile.stages[stage])
        installs = stage_installs(self.project, self.dockerfile, self.dockerfile.stages[stage])
        for instruction, commands, step_installs in zip(instructions, run_steps, installs):
            if instruction.keyword != "RUN":
                continue
            position = self.order.get(id(instruction), -1)
            mounts = self._bind_mounts(stage, instruction, position)
            for command, install in zip(commands, step_installs):
                if install is not None:
                    workdir = self.workdir_at(stage, position)
                    read_install(self, stage, install, workdir, position, mounts, out)
                elif runs_script(command):
                    out.unresolved.append(Unresolved(
                        f"`{' '.join(command.argv)[:60]}` runs a script that may install packages",
                        command.span()))
                if generates_code(command):
                    out.generates_code = True


def analysis(project: Project, dockerfile: Dockerfile, context: str | None = None) -> StageAnalysis:
    """The shared per-Dockerfile facts (built once per Dockerfile and build context)."""
    if context is None:
        context = default_context(project, dockerfile)
    return project.derived(f"python_deps.analysis:{dockerfile.path}\0{context}",
                           lambda p: StageAnalysis(p, dockerfile, context))


def installed_python(project: Project, dockerfile: Dockerfile, stage: Stage | None,
                     context: str | None = None) -> PythonInstall:
    """What the Python environment of ``stage`` (None: the final stage) contains.

    ``context`` is the project-relative build context; by default the one compose builds this Dockerfile
    with, or the Dockerfile's directory.
    """
    if stage is None:
        stage = dockerfile.stage(None)
    if stage is None or stage.index >= len(dockerfile.stages):
        return EMPTY_INSTALL
    try:
        return analysis(project, dockerfile, context).installs(stage.index)
    except RecursionError:  # pragma: no cover - bounded above; a last guard
        return EMPTY_INSTALL
