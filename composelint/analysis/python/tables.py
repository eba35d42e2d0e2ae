"""The packaged Python tables: import names, distributions, their dependencies, console scripts, base images.

The data lives in ``composelint/data/python-modules.yaml`` (import name -> distribution, the well-known
dependencies of popular distributions, the packages of known base images) and
``composelint/data/python-console-scripts.yaml`` (executables); both are documented in rules/CL407 and
tested. Everything here is a lookup in those tables, loaded once.
"""

from __future__ import annotations

import functools
import re
from fnmatch import fnmatchcase
from typing import Iterable, Mapping

from composelint.imageref import parse_image_ref
from composelint.analysis.python.requirements import normalize, parse_requirement
from composelint.records import record


@record(frozen=True)
class Tables:
    modules: Mapping[str, tuple[str, ...]]  # import name (maybe dotted) -> distributions (first: the usual one)
    requires: Mapping[str, tuple[str, ...]]  # distribution -> requirement strings
    extras: Mapping[tuple[str, str], tuple[str, ...]]  # (distribution, extra) -> requirement strings
    provides: Mapping[str, frozenset]  # distribution -> import names listed for it in ``modules``
    namespaces: frozenset  # top-level names shared by many distributions (google, azure …)
    base_images: Mapping[str, tuple[str, ...]]  # repository -> distributions it ships
    transitive: frozenset  # every distribution some table entry depends on
    scripts: Mapping[str, tuple[str, ...]]  # distribution -> executables


def _load_yaml(name: str):
    from composelint.datafiles import load

    return load(name) or {}  # its JSON twin when current: no YAML parser to import


@functools.lru_cache(maxsize=1)
def tables() -> Tables:
    data = _load_yaml("python-modules.yaml")
    modules: dict[str, tuple[str, ...]] = {}
    provides: dict[str, set[str]] = {}
    for module, value in (data.get("modules") or {}).items():
        names = (value,) if isinstance(value, str) else tuple(value)
        modules[str(module)] = tuple(normalize(name) for name in names)
        for name in names:
            provides.setdefault(normalize(name), set()).add(str(module))
    requires: dict[str, tuple[str, ...]] = {}
    extras: dict[tuple[str, str], tuple[str, ...]] = {}
    for name, value in (data.get("distributions") or {}).items():
        dist = normalize(str(name))
        if isinstance(value, dict):
            requires[dist] = tuple(value.get("requires") or ())
            for extra, items in (value.get("extras") or {}).items():
                extras[(dist, normalize(str(extra)))] = tuple(items or ())
        else:
            requires[dist] = tuple(value or ())
    transitive = set()
    for items in list(requires.values()) + list(extras.values()):
        for item in items:
            parsed = parse_requirement(item)
            if parsed:
                transitive.add(parsed[0])
    base_images = {str(k): tuple(normalize(v) for v in (value or ()))
                   for k, value in (data.get("base-images") or {}).items()}
    scripts_data = _load_yaml("python-console-scripts.yaml")
    scripts = {normalize(str(k)): tuple(str(v) for v in (value or ()))
               for k, value in (scripts_data.get("scripts") or {}).items()}
    return Tables(modules, requires, extras, {k: frozenset(v) for k, v in provides.items()},
                  frozenset(data.get("namespaces") or ()), base_images, frozenset(transitive), scripts)


def console_scripts(distributions: Iterable[str]) -> frozenset[str]:
    """The executables (console scripts) that installing ``distributions`` puts on PATH."""
    scripts = tables().scripts
    found: set[str] = set()
    for name in distributions:
        found.update(scripts.get(normalize(name), ()))
    return frozenset(found)


def distribution_for_module(module: str, extra_map: Mapping[str, str] | None = None) -> tuple[tuple[str, ...], bool]:
    """Distributions that provide ``module`` (dotted names try their longest known prefix).

    Returns ``(candidates, known)``; when the table does not know the module the candidate is the module's
    own name, normalized, and ``known`` is False.
    """
    parts = module.split(".")
    table = tables().modules
    for count in range(len(parts), 0, -1):
        prefix = ".".join(parts[:count])
        if extra_map and prefix in extra_map:
            return (normalize(extra_map[prefix]),), True
        if prefix in table:
            return table[prefix], True
    guess = normalize(parts[0])
    return (guess,), guess in tables().requires


_SYSTEM_NOT_DISTRIBUTIONS = frozenset(("dev", "venv", "pip-whl", "setuptools-whl", "minimal", "full", "all", "doc",
                                       "dbg", "tk", "distutils", "lib2to3", "examples", "stdlib-extensions"))


def system_python_package(package: str) -> str | None:
    """``python3-yaml`` (apt), ``py3-yaml`` (apk), ``python3-pyyaml`` (dnf) -> the distribution it provides."""
    match = re.match(r"^(?:python3|python|py3)-([A-Za-z0-9][A-Za-z0-9._-]*?)(?:[=<>~].*)?$", package)
    if match is None or match.group(1).lower() in _SYSTEM_NOT_DISTRIBUTIONS:
        return None
    name = match.group(1)
    candidates, known = distribution_for_module(name.replace("-", "_").lower())
    if known:
        return candidates[0]
    for module, dists in tables().modules.items():
        if module.lower() == name.replace("-", "_").lower():
            return dists[0]
    return normalize(name)


def base_image_packages(reference: str) -> tuple[str, ...] | None:
    """Python distributions a known base image ships; None for an image composelint does not know."""
    if not reference or "$" in reference:
        return None
    repository = parse_image_ref(reference).short
    known = tables().base_images
    if repository in known:
        return known[repository]
    for pattern, packages in known.items():
        if "*" in pattern and fnmatchcase(repository, pattern):
            return packages
    return None
