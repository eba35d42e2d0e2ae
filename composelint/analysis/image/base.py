"""The base-image table (``composelint/data/base-images.yaml``): what a ``FROM`` or an ``image:`` ships.

:func:`base_info` reads one image reference (through :mod:`composelint.imageref`) into a
:class:`BaseInfo`: the programs the image provides, those it may provide, whether it provides
nothing else (scratch, distroless), its WORKDIR and ENTRYPOINT. An image the table does not know
answers ``unknown`` to every question.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from typing import Mapping

from composelint.analysis.image.paths import ABSENT, PRESENT, UNKNOWN
from composelint.imageref import parse_image_ref
from composelint.records import record
from composelint.textnumbers import decimal_value


@record(frozen=True)
class Table:
    tracked: frozenset
    runtimes: frozenset
    system_paths: tuple[str, ...]
    userlands: Mapping[str, dict]
    images: Mapping[str, dict]
    packages: Mapping[str, dict]
    python_scripts: frozenset
    hints: Mapping[str, dict]


@lru_cache(maxsize=1)
def table() -> Table:
    """The packaged base-image table, loaded once."""
    from composelint.datafiles import load

    data = load("base-images.yaml")  # its JSON twin when current: no YAML parser to import
    return Table(
        tracked=frozenset(data["tracked"]),
        runtimes=frozenset(data["runtimes"]),
        system_paths=tuple(data["system-paths"]),
        userlands=data["userlands"],
        images=data["images"],
        packages=data["packages"],
        python_scripts=frozenset(data["python-scripts"]),
        hints=data["hints"],
    )


@record(frozen=True)
class BaseInfo:
    """The root image of a stage, as far as the table knows it."""

    ref: str
    kind: str  # "scratch" | "known" | "unknown"
    family: str | None = None
    userland: str | None = None
    provides: frozenset = frozenset()
    uncertain: frozenset = frozenset()
    closed: bool = False  # nothing exists that is not provided (scratch, distroless)
    userland_known: bool = False
    workdir: str | None = None
    workdir_known: bool = False  # True with workdir None: the image sets no WORKDIR
    entrypoint: object = None  # "none" | "exec" | "node" | tuple | None (unknown)
    paths: tuple[str, ...] = ()
    package_manager: str | None = None
    version: int | None = None

    @property
    def known(self) -> bool:
        return self.kind in ("scratch", "known")

    def program(self, name: str) -> str:
        if self.kind == "unknown":
            return UNKNOWN
        if name in self.provides or any("*" in pattern and fnmatch.fnmatchcase(name, pattern)
                                         for pattern in self.provides):
            return PRESENT
        if name in self.uncertain:
            return UNKNOWN
        if self.closed:
            return ABSENT
        if not self.userland_known or name not in table().tracked:
            return UNKNOWN
        return ABSENT

    def describe(self) -> str:
        return "`scratch` (an empty image)" if self.kind == "scratch" else f"`{self.ref}`"


def _version(tag: str, latest: object) -> int | None:
    match = re.match(r"v?(\d+)", tag)
    if match:
        return decimal_value(match.group(1))
    if latest is not None and not re.search(r"\d", tag.split("-")[0] if tag else ""):
        word = tag.split("-")[0] if tag else "latest"
        if word in ("", "latest", "slim", "alpine", "bookworm", "bullseye", "trixie", "buster", "jammy",
                    "noble", "focal"):
            return int(latest)
    return None


def _userland(name: str) -> tuple[frozenset, frozenset, bool, bool, str | None]:
    """provides, uncertain, closed, known, package manager of a userland (with `extends`)."""
    lands = table().userlands
    provides: set[str] = set()
    uncertain: set[str] = set()
    closed = False
    known = True
    manager = None
    current: str | None = name
    seen = set()
    while current and current not in seen and current in lands:
        seen.add(current)
        entry = lands[current] or {}
        provides.update(entry.get("provides") or ())
        uncertain.update(entry.get("uncertain") or ())
        closed = closed or bool(entry.get("closed"))
        if entry.get("unknown"):
            known = False
        manager = manager or entry.get("package-manager")
        current = entry.get("extends")
    if name not in lands:
        known = False
    return frozenset(provides), frozenset(uncertain), closed, known, manager


@lru_cache(maxsize=1024)
def base_info(text: str) -> BaseInfo:
    """What the table says about an image reference (``FROM`` text, compose ``image:``). A pure function of
    the text (the table is static data): the image model of every Dockerfile asks, and most share a base."""
    ref = parse_image_ref(text)
    name, tag = ref.short, ref.tag or ""
    if name == "scratch":
        return BaseInfo(text, "scratch", "scratch", "scratch", closed=True, userland_known=True, workdir=None,
                        workdir_known=True, entrypoint="none")
    if not name or "$" in name:
        return BaseInfo(text, "unknown")
    images = table().images
    entry = images.get(name)
    family = name
    if entry is None:
        for key in images:
            if "/" in key and name.startswith(key + "-"):
                entry, family = images[key], key
                break
    if entry is None:
        return BaseInfo(text, "unknown")
    version = _version(tag, entry.get("latest"))
    provides = set(entry.get("provides") or ())
    uncertain: set[str] = set()
    for rule in entry.get("versions") or ():
        programs = set(rule.get("programs") or ())
        if version is None or "$" in tag:
            uncertain |= programs
            continue
        ok = True
        if "below" in rule and not version < int(rule["below"]):
            ok = False
        if "from" in rule and not version >= int(rule["from"]):
            ok = False
        if ok:
            provides |= programs
    userland_map = entry.get("userland") or {}
    userland_name = userland_map.get("default", "unknown")
    words = [word for word in re.split(r"[-_.]", tag.lower()) if word] if tag else []
    if "$" in tag:
        userland_name = "unknown"
    else:
        for word in words:
            hit = next((value for key, value in userland_map.items() if key != "default" and word.startswith(key)),
                       None)
            if hit is not None:
                userland_name = hit
                break
    land_provides, land_uncertain, closed, land_known, manager = _userland(userland_name)
    provides |= land_provides
    uncertain |= land_uncertain
    workdir_value = entry.get("workdir", "unknown")
    if workdir_value == "none":
        workdir, workdir_known = None, True
    elif workdir_value == "unknown" or workdir_value is None:
        workdir, workdir_known = None, False
    else:
        workdir, workdir_known = str(workdir_value), True
    entrypoint = entry.get("entrypoint")
    if isinstance(entrypoint, list):
        entrypoint = tuple(entrypoint)
    return BaseInfo(text, "known", family, userland_name, frozenset(provides), frozenset(uncertain - provides),
                    closed, land_known, workdir, workdir_known, entrypoint, tuple(entry.get("paths") or ()),
                    manager, version)


def is_system_path(path: str, base: BaseInfo | None = None) -> bool:
    """Whether a path lies where images keep their own files (never reported missing)."""
    prefixes = table().system_paths + (base.paths if base is not None else ())
    for prefix in prefixes:
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            return True
    parts = path.split("/")
    # Dot-directories of home directories (~/.local, ~/.cache) are filled by tools.
    if len(parts) > 2 and parts[1] in ("root", "home") and any(part.startswith(".") for part in parts[2:]):
        return True
    return False


def package_provides(manager: str, package: str) -> tuple[frozenset, frozenset] | None:
    """(provides, uncertain) of a package, or None when the table does not know it."""
    packages = table().packages.get(manager) or {}
    entry = packages.get(package)
    if entry is None:
        for key, value in packages.items():
            if "*" in key and fnmatch.fnmatchcase(package, key):
                entry = value
                break
    if entry is None:
        return None
    if isinstance(entry, list):
        return frozenset(entry), frozenset()
    return frozenset(entry.get("provides") or ()), frozenset(entry.get("uncertain") or ())


def hint(program: str) -> dict:
    return dict(table().hints.get(program) or {})
