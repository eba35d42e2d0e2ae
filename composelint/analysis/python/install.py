"""The installed set: what a stage's Python environment contains, with the dependencies the tables know.

:class:`PythonInstall` is the answer every rule reads; :func:`combine` builds it from what one stage
installs (a :class:`~composelint.analysis.python.requirements.Collected`) and the answers of the stages it
is built from or copies from.
"""

from __future__ import annotations

import functools
from typing import Iterable

from composelint.analysis.python.requirements import Collected, normalize, parse_requirement
from composelint.analysis.python.tables import tables
from composelint.records import record


@record(frozen=True)
class PythonInstall:
    """What a stage's Python environment contains, as far as composelint can tell.

    ``distributions`` holds PEP 503 names: the requirements installed by the stage and the stages it is
    built FROM or copies from, the base image's own packages, and their dependencies as far as the
    packaged table knows them. ``complete`` is true only when every install was read, the base image
    is known, and the dependencies of every installed distribution are known: then a name that is not
    in ``distributions`` is not installed. Prefer :meth:`has`, which also answers for the partly known
    cases.
    """

    distributions: frozenset
    complete: bool
    sources: tuple = ()  # Requirement: where each direct requirement is written
    resolved: bool = True  # every install was read and the base image is known
    unknown: frozenset = frozenset()  # installed distributions whose own dependencies are unknown
    unresolved: tuple = ()  # Unresolved: why the answer is incomplete
    tools: frozenset = frozenset()  # isolated tool installs (pipx, uv tool): executables, not importable
    install_spans: tuple = ()  # RUN steps that install Python packages
    manifests: tuple = ()  # requirement files and project files read
    local_install: bool = False
    direct: frozenset = frozenset()  # the requirements' names, before dependencies
    generates_code: bool = False  # a RUN may write Python modules composelint cannot see

    def has(self, distribution: str) -> bool | None:
        """True when installed, False when certainly not, None when composelint cannot tell."""
        name = normalize(distribution)
        if name in self.distributions:
            return True
        if not self.resolved:
            return None
        if self.unknown:
            if name in tables().transitive:
                return None
            token = name.split("-")[0]
            if any(token == other.split("-")[0] for other in self.unknown):
                return None
        return False


EMPTY_INSTALL = PythonInstall(frozenset(), False, resolved=False)


def _closure(direct: Iterable[tuple[str, tuple[str, ...]]], known_local: set[str]) -> tuple[set[str], set[str]]:
    installed, unknown = _closure_of(frozenset(direct), frozenset(known_local))
    return set(installed), set(unknown)


@functools.lru_cache(maxsize=1024)
def _closure_of(direct: frozenset, known_local: frozenset) -> tuple[frozenset, frozenset]:
    table = tables()
    installed: set[str] = set()
    unknown: set[str] = set()
    queue = list(direct)
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while queue:
        name, extras = queue.pop()
        key = (name, extras)
        if key in seen:
            continue
        seen.add(key)
        installed.add(name)
        if name in known_local:
            continue
        if name not in table.requires:
            unknown.add(name)
            continue
        items = list(table.requires[name])
        for extra in extras:
            extra_items = table.extras.get((name, extra))
            if extra_items is None:
                unknown.add(f"{name}[{extra}]")
            else:
                items.extend(extra_items)
        for item in items:
            parsed = parse_requirement(item)
            if parsed is not None:
                queue.append(parsed)
    return frozenset(installed), frozenset(unknown)


def combine(collected: Collected, baseline: tuple[str, ...], parts: list[PythonInstall]) -> PythonInstall:
    direct = [(r.name, r.extras) for r in collected.requirements] + [(name, ()) for name in baseline]
    known_local = set(collected.known_local)
    installed, unknown = _closure(direct, known_local)
    for part in parts:
        installed |= part.distributions
        unknown |= part.unknown
    resolved = not collected.unresolved and all(part.resolved for part in parts)
    sources = tuple(collected.requirements) + tuple(r for part in parts for r in part.sources)
    return PythonInstall(
        distributions=frozenset(installed),
        complete=resolved and not unknown,
        sources=sources,
        resolved=resolved,
        unknown=frozenset(unknown),
        unresolved=tuple(collected.unresolved) + tuple(u for part in parts for u in part.unresolved),
        tools=frozenset(collected.tools).union(*(part.tools for part in parts)),
        install_spans=tuple(collected.install_spans) + tuple(s for part in parts for s in part.install_spans),
        manifests=tuple(dict.fromkeys(list(collected.manifests) + [m for part in parts for m in part.manifests])),
        local_install=collected.local_install or any(part.local_install for part in parts),
        direct=frozenset(r.name for r in sources),
        generates_code=collected.generates_code or any(part.generates_code for part in parts),
    )
