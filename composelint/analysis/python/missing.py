"""Imports of a build context's code that no distribution installed in the image provides (CL407).

Joins the two halves of the analysis: what the image installs (:mod:`.stages`) and what the code that
reaches the image imports (:mod:`.imports`).
"""

from __future__ import annotations

import functools
import re
from typing import Mapping

from composelint.analysis.python.builds import ImageBuild
from composelint.analysis.python.imports import file_imports, first_party_modules, is_application_file, stdlib_modules
from composelint.analysis.python.install import PythonInstall
from composelint.analysis.python.stages import analysis
from composelint.analysis.python.tables import distribution_for_module, tables
from composelint.diagnostics import Span
from composelint.model import Project
from composelint.records import record

MAX_PYTHON_FILES = 2000  # per build context; more are not scanned (bounded time)


_GENERATED_MODULE = r"(?:_pb2|_pb2_grpc|_grpc|_rc|^_?version|^local_settings|^settings_local|_local)$"


@record(frozen=True, slots=True)
class MissingImport:
    module: str  # as imported
    distribution: str  # what to add
    known: bool  # False: the distribution name is a guess (the import name)
    span: Span


def _provided_names(install: PythonInstall) -> frozenset:
    """Import names the installed distributions provide: the table, and the distribution's own name."""
    return _names_for(install.distributions)


@functools.lru_cache(maxsize=512)
def _names_for(distributions: frozenset) -> frozenset:
    table = tables()
    names: set[str] = set()
    for dist in distributions:
        names.update(module.split(".")[0] for module in table.provides.get(dist, ()))
        names.update(table.provides.get(dist, ()))
        base = dist.replace("-", "_")
        names.add(base)
        for prefix in ("python_", "py_", "py", "django_", "flask_"):
            if base.startswith(prefix) and len(base) > len(prefix):
                names.add(base[len(prefix):])
        for suffix in ("_python", "_py", "_client", "_sdk"):
            if base.endswith(suffix) and len(base) > len(suffix):
                names.add(base[:-len(suffix)])
    return frozenset(name.lower() for name in names)


def missing_imports(project: Project, build: ImageBuild,
                    module_map: Mapping[str, str] | None = None) -> tuple[MissingImport, ...]:
    """Imports of the build context's code that no distribution installed in the image provides.

    Silent unless the installs are fully read (``PythonInstall.resolved``); when some installed
    distribution has unknown dependencies, only modules that no known distribution depends on count.
    """
    key = f"python_deps.missing:{build.dockerfile.path}\0{build.stage.index}\0{build.context}\0" \
          f"{sorted((module_map or {}).items())}"
    return project.derived(key, lambda p: _missing(p, build, module_map or {}))


def _missing(project: Project, build: ImageBuild, module_map: Mapping[str, str]) -> tuple[MissingImport, ...]:
    facts = analysis(project, build.dockerfile, build.context)
    install = facts.installs(build.stage.index)
    if not install.resolved:
        return ()
    files = sorted({relpath for relpath in facts.files(build.stage.index).values() if is_application_file(relpath)})
    if not files:
        return ()
    stdlib = stdlib_modules()
    first_party = first_party_modules(facts.context)
    provided = _provided_names(install)
    namespaces = tables().namespaces
    external = any(facts.external_copies[index] for index in facts.chain(build.stage.index))
    found: list[MissingImport] = []
    for relpath in files[:MAX_PYTHON_FILES]:
        path = facts.context.project_path(relpath)
        for ref in file_imports(project, path):
            top = ref.module.split(".")[0]
            if top in stdlib or top in first_party or top.lower() in provided:
                continue
            candidates, known = distribution_for_module(ref.module, module_map)
            if any(install.has(candidate) for candidate in candidates):
                continue
            if not known and (top in namespaces or install.unknown or install.generates_code or
                              re.search(_GENERATED_MODULE, top) or external):
                continue  # an unknown name: maybe generated, downloaded or copied from another image
            if any(install.has(candidate) is None for candidate in candidates):
                continue
            found.append(MissingImport(ref.module if known else top, candidates[0], known, ref.span))
    return tuple(found)
