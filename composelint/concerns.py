"""Which services a finding concerns, worked out once by the engine so that rules need not say.

* A finding in a Dockerfile concerns the services of every deployment that build it, and only those
  whose target stage needs the stage the finding is in (its FROM chain, its ``COPY --from`` stages);
  a Dockerfile no service builds concerns none.
* A finding about a service (its ``subject``) or inside a service's definition in a compose file
  concerns that service, in every deployment that loads the file; in a file no deployment runs, the
  file's own definition.

A rule that knows better sets ``Violation.services`` itself (see :func:`refs_for`).
"""

from __future__ import annotations

import bisect
import math
import re
from typing import TYPE_CHECKING, Iterable

from composelint.diagnostics import ServiceRef, Span
from composelint.sourcetext import source_text

if TYPE_CHECKING:
    from composelint.model import Project, Service

# How rules word a service subject (analysis/service_facts.subject, StartTarget.subject). Compose
# service names cannot hold a quote, so the name between the quotes is exact.
_SUBJECT = re.compile(r"service '([^']+)'\Z")


def finder(project: "Project"):
    """``services(span, subject)``: the services a finding at ``span`` with ``subject`` concerns, in file
    order, for the findings of one rule (the engine asks per finding): the index looked up, and each
    subject read, once."""
    index = None
    names: dict[str | None, str | None] = {}

    def services(span: Span, subject: str | None) -> tuple[ServiceRef, ...]:
        nonlocal index
        if subject in names:
            name = names[subject]
        else:
            match = _SUBJECT.match(subject or "")
            name = names[subject] = match.group(1) if match else None
        if index is None:
            if not project.compose_files:
                return ()  # a lone Dockerfile: no service builds it
            index = project.derived("concerns.index", _Index)  # built when a finding first needs it
        return index.refs(span, name)

    return services


def named(project: "Project", span: Span, name: str | None) -> tuple[ServiceRef, ...]:
    """The services a finding at ``span`` concerns, when it is about the service ``name`` (None: unknown)."""
    if not project.compose_files:
        return ()  # a lone Dockerfile: no service builds it
    return project.derived("concerns.index", _Index).refs(span, name)


def refs_for(project: "Project", services: Iterable["Service"], relation: str = "service") -> tuple[ServiceRef, ...]:
    """References to ``services`` (objects of the model) in every deployment that has them."""
    wanted = {(service.name, service.name_span) for service in services}
    if not wanted:
        return ()
    index = project.derived("concerns.index", _Index)
    return _sorted(ServiceRef(service.name, service.name_span, deployment, None, relation)
                   for deployment, service in index.everywhere() if (service.name, service.name_span) in wanted)


def merge(*groups: tuple[ServiceRef, ...]) -> tuple[ServiceRef, ...]:
    """The union of several findings' services (when the engine merges the findings)."""
    return _sorted(ref for group in groups for ref in group)


def _sorted(refs: Iterable[ServiceRef]) -> tuple[ServiceRef, ...]:
    if isinstance(refs, list) and len(refs) < 2:
        return tuple(refs)  # the common case, on every finding
    unique = {(ref.deployment, ref.name, ref.span): ref for ref in refs}
    return tuple(sorted(unique.values(), key=lambda ref: (ref.span.path, ref.span.line, ref.span.column, ref.name,
                                                          ref.deployment or "")))


class _Index:
    """The project's services by deployment, by name and by the Dockerfile they build (built once)."""

    def __init__(self, project: "Project"):
        from composelint.assembly.deployments import deployed_files

        self.project = project
        # (deployment name or None, service, files the deployment loads)
        self.entries: list[tuple[str | None, "Service", frozenset]] = []
        for deployment in project.deployments:
            loads = frozenset(deployment.files + deployment.included)
            self.entries.extend((deployment.name, service, loads) for service in deployment.services.values())
        deployed = deployed_files(project)
        for path, compose in project.compose_files.items():
            if path not in deployed:
                self.entries.extend((None, service, frozenset((path,))) for service in compose.services.values())
        self.builders: dict[str, list[tuple[str | None, "Service"]]] = {}
        self.by_name: dict[str, list[tuple[str | None, "Service", frozenset]]] = {}
        for entry in self.entries:
            deployment, service, _ = entry
            self.by_name.setdefault(service.name, []).append(entry)
            if service.dockerfile is not None:
                self.builders.setdefault(service.dockerfile.path, []).append((deployment, service))
        self.definitions: dict[str, list[tuple[int, int, int, str]]] = {}  # compose file -> (line, end, col, name)
        self._needs: dict[tuple[str, int], frozenset] = {}
        self._named: dict[tuple[str, str], tuple] = {}  # (path, service name) -> refs (refs: compose files)

    def everywhere(self) -> Iterable[tuple[str | None, "Service"]]:
        return ((deployment, service) for deployment, service, _ in self.entries)

    def refs(self, span: Span, name: str | None) -> tuple[ServiceRef, ...]:
        path = span.path
        dockerfile = self.project.dockerfiles.get(path)
        if dockerfile is not None:
            found = self._builders(path, span.line, name)
            if found or name is None:
                return found
        if name is None and path in self.project.compose_files:
            name = self._enclosing(path, span.line)
        if name is None:
            return ()
        known = self._named.get((path, name))  # many findings fall in one service's definition
        if known is not None:
            return known
        refs = [ServiceRef(name, service.name_span, deployment)
                for deployment, service, loads in self.by_name.get(name, ())
                if path in loads or path not in self.project.compose_files]
        if not refs and path in self.project.compose_files:
            # A file pulled in only through extends.file: its own definition (a template).
            own = self.project.compose_files[path].services.get(name)
            if own is not None:
                refs.append(ServiceRef(name, own.name_span))
        found = self._named[(path, name)] = _sorted(refs)
        return found

    def _builders(self, path: str, line: int, name: str | None) -> tuple[ServiceRef, ...]:
        dockerfile = self.project.dockerfiles[path]
        at = _stage_at(dockerfile, line)
        multi = len(dockerfile.stages) > 1
        refs = []
        for deployment, service in self.builders.get(path, ()):
            if name is not None and service.name != name:
                continue
            stage = service.stage
            if name is None and at is not None and stage is not None and at not in self._needed(dockerfile, stage):
                continue  # a stage this service's target does not build
            refs.append(ServiceRef(service.name, service.name_span, deployment,
                                   stage.label() if multi and stage is not None else None,
                                   "service" if name is not None else "build"))
        return _sorted(refs)

    def _needed(self, dockerfile, stage) -> frozenset:
        key = (dockerfile.path, stage.index)
        if key not in self._needs:
            from composelint.assembly.linking import built_stages

            self._needs[key] = frozenset(needed.index for needed in built_stages(dockerfile, (stage,)))
        return self._needs[key]

    def _enclosing(self, path: str, line: int) -> str | None:
        """The service whose definition holds ``line``: inside its span, or indented below its key
        before the next one (a dropped duplicate key, a comment)."""
        found = self.definitions.get(path)
        if found is None:
            compose = self.project.compose_files[path]
            found = self.definitions[path] = sorted(
                (service.span.line, service.span.end_line, service.span.column, name)
                for name, service in compose.services.items())
        index = bisect.bisect_right(found, (line, math.inf)) - 1 if found else -1
        if index < 0:
            return None
        _, last, column, name = found[index]
        if line <= last:
            return name
        lines = source_text(self.project.sources.get(path, "")).lines
        text = lines[line - 1] if line - 1 < len(lines) else ""
        between = lines[last:line - 1]
        indented = all(not row.strip() or len(row) - len(row.lstrip()) >= column for row in between)
        return name if indented and len(text) - len(text.lstrip()) >= column else None


def _stage_at(dockerfile, line: int) -> int | None:
    """The index of the stage ``line`` belongs to; None before the first FROM (global ARGs)."""
    found = None
    for stage in dockerfile.stages:
        if stage.from_instruction.span.line > line:
            break
        found = stage.index
    return found
