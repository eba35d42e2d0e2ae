"""Requirement specifiers and the files that list them: what ``pip install -r``, ``pip install .`` install.

Reads pip's requirements-file format (nested ``-r``, ``-e``, options, continuation lines), PEP 621
``[project]`` tables, Poetry, ``setup.cfg``, a ``setup.py`` whose ``install_requires`` is a literal, and
Pipfiles, all as text through ``project.read_text``; nothing is executed. What cannot be read becomes an
:class:`Unresolved` entry, so callers never call a package "missing" on a partial answer.
"""

from __future__ import annotations

import ast
import functools
import posixpath
import re
import sys
from dataclasses import field
from typing import Iterable, Iterator

from composelint.analysis.python.imports import parse_python
from composelint.diagnostics import Position, Span
from composelint.model import Project
from composelint.records import record

MAX_REQUIREMENT_DEPTH = 10  # nested -r


_SEPARATOR_RUN_RE = re.compile(r"[-_.]+")


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return _SEPARATOR_RUN_RE.sub("-", name.strip()).lower()


_REQUIREMENT_RE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)\Z", re.S)
URL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+|git@)", re.I)
_EGG_RE = r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?"
_WHEEL_RE = r"(?i)(?:^|/)([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/-]*(?:-\d[^/-]*)?-[^/-]+-[^/-]+-[^/-]+\.whl$"
_SDIST_RE = r"(?i)(?:^|/)([A-Za-z0-9][A-Za-z0-9._-]*?)-\d[A-Za-z0-9._+!]*\.(?:tar\.gz|zip|tar\.bz2)$"


@functools.lru_cache(maxsize=4096)
def parse_requirement(text: str) -> tuple[str, tuple[str, ...]] | None:
    """``name[extra,…] >=1.0 ; marker`` -> (normalized name, extras); None when it names no distribution."""
    text = text.strip()
    if not text or URL_RE.match(text):
        egg = re.search(_EGG_RE, text)
        if egg:
            return normalize(egg.group(1)), _extras(egg.group(2))
        return None
    match = _REQUIREMENT_RE.match(text)
    if match is None:
        return None
    rest = match.group(3).strip()
    if rest and not (rest[0] in "<>=!~;(@," or rest.startswith("===")):
        return None  # `./path`, `pkg.whl`, shell noise
    return normalize(match.group(1)), _extras(match.group(2))


def _extras(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    return tuple(normalize(part) for part in text.split(",") if part.strip())


def local_spec(text: str) -> tuple[str, tuple[str, ...]] | None:
    """A path-like requirement (``.``, ``./pkg[extra]``, ``/app``): (path, extras); None otherwise."""
    text = text.strip()
    if text.startswith("file:"):
        text = re.sub(r"^file:(//)?", "", text)
    extras: tuple[str, ...] = ()
    match = re.match(r"(.*?)\[([^\]]*)\]\Z", text)
    if match:
        text, extras = match.group(1), _extras(match.group(2))
    if text in (".", "..") or text.startswith(("./", "../", "/", "~")) or ("/" in text and not URL_RE.match(text)):
        return text, extras
    return None


@record(frozen=True, slots=True)
class Requirement:
    """One requirement the image installs, and where it is written."""

    name: str  # normalized distribution name
    extras: tuple[str, ...]
    text: str  # as written
    span: Span


@record(frozen=True, slots=True)
class Unresolved:
    """An install composelint could not read: the install set is then incomplete."""

    reason: str
    span: Span


@record
class Collected:
    """Mutable accumulator while one stage's installs are read."""

    requirements: list[Requirement] = field(default_factory=list)
    unresolved: list[Unresolved] = field(default_factory=list)
    known_local: set[str] = field(default_factory=set)  # local projects whose dependencies were read
    tools: set[str] = field(default_factory=set)
    manifests: list[str] = field(default_factory=list)
    install_spans: list[Span] = field(default_factory=list)
    local_install: bool = False  # the stage installs a project from its own files (pip install .)
    generates_code: bool = False  # a RUN may write Python modules (protoc, a download, an archive)


def _line_span(path: str, line: int, text: str) -> Span:
    return Span(path, Position(line, 1), Position(line, len(text) + 1))


def read_requirements_file(project: Project, path: str, out: Collected, depth: int = 0,
                           seen: set | None = None, origin: Span | None = None) -> None:
    """pip's requirements-file format, with nested ``-r`` (``-c`` constraints install nothing)."""
    seen = seen if seen is not None else set()
    if path in seen or depth > MAX_REQUIREMENT_DEPTH:
        return
    seen.add(path)
    text = project.read_text(path)
    where = origin or Span(path, Position(1, 1))
    if text is None:
        out.unresolved.append(Unresolved(f"`{path}` cannot be read", where))
        return
    if not text.strip():
        # A real requirements file is never empty; an empty one is a placeholder or generated at build time.
        out.unresolved.append(Unresolved(f"`{path}` is empty", where))
        return
    out.manifests.append(path)
    directory = posixpath.dirname(path)
    for number, line in _logical_lines(text):
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        if "${" in line:
            out.unresolved.append(Unresolved(f"`{line}` uses an environment variable", _line_span(path, number, line)))
            continue
        if line.startswith("-"):
            option, value = _split_option(line)
            if option in ("-r", "--requirement") and value:
                nested = posixpath.normpath(posixpath.join(directory, value)) if not value.startswith("/") else None
                if nested and nested in project.files:
                    read_requirements_file(project, nested, out, depth + 1, seen, _line_span(path, number, line))
                else:
                    out.unresolved.append(Unresolved(f"`{value}` (nested in `{path}`) is not in the build context",
                                                     _line_span(path, number, line)))
            elif option in ("-e", "--editable") and value:
                _requirement_text(project, value, path, number, line, directory, out)
            continue  # -c, -i, --hash … install nothing themselves
        line = re.sub(r"\s--(hash|config-settings|global-option|install-option)[= ]\S+", "", line)
        _requirement_text(project, line, path, number, line, directory, out)


def _requirement_text(project: Project, text: str, path: str, number: int, line: str, directory: str,
                      out: Collected) -> None:
    span = _line_span(path, number, line)
    local = local_spec(text)
    if local is not None:
        target = posixpath.normpath(posixpath.join(directory, local[0])) if not local[0].startswith("/") else None
        if target is not None and not target.startswith(".."):
            if read_local_project(project, "" if target == "." else target, local[1], span, out):
                return
        out.unresolved.append(Unresolved(f"`{text}` is a local path composelint cannot read", span))
        return
    parsed = parse_requirement(text) or file_name_requirement(text)
    if parsed is None:
        out.unresolved.append(Unresolved(f"`{text}` names no distribution", span))
        return
    out.requirements.append(Requirement(parsed[0], parsed[1], text, span))


def file_name_requirement(text: str) -> tuple[str, tuple[str, ...]] | None:
    match = re.search(_WHEEL_RE, text) or re.search(_SDIST_RE, text)
    return (normalize(match.group(1)), ()) if match and "*" not in text else None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with ``\\`` continuations joined, numbered by their first physical line."""
    pending, start = "", 0
    for number, line in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _split_option(line: str) -> tuple[str, str]:
    match = re.match(r"(--?[A-Za-z-]+)(?:=|\s+|(?<=^-[a-zA-Z]))?(.*)\Z", line)
    if match is None:
        return line, ""
    return match.group(1), match.group(2).strip()


def _toml(text: str):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except Exception:  # tomllib.TOMLDecodeError, RecursionError on hostile nesting
        return None
    return data if isinstance(data, dict) else None


def _strings(value) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def read_local_project(project: Project, directory: str, extras: tuple[str, ...], origin: Span, out: Collected,
                       *, groups: bool = False, tool: str = "pip") -> bool:
    """Dependencies of the project in context directory ``directory`` (``pip install .``, ``uv sync``…).

    Reads PEP 621 ``[project]``, Poetry, setup.cfg, a literal ``setup.py`` or a Pipfile. ``groups`` adds
    dependency groups and dev dependencies (``uv sync``, ``poetry install`` install them by default).
    Returns False when nothing could be read.
    """
    def at(name: str) -> str:
        return f"{directory}/{name}" if directory else name

    found = False
    if tool == "pipenv":
        text = project.read_text(at("Pipfile"))
        data = _toml(text) if text else None
        if data is None:
            return False
        for section in ("packages", "dev-packages"):
            for name in (data.get(section) or {}):
                out.requirements.append(Requirement(normalize(str(name)), (), str(name),
                                                    Span(at("Pipfile"), Position(1, 1))))
        out.manifests.append(at("Pipfile"))
        out.local_install = True
        return True
    text = project.read_text(at("pyproject.toml"))
    data = _toml(text) if text else None
    if data is not None:
        found = _read_pyproject(project, data, at, extras, origin, out, groups) or found
    if not found:
        text = project.read_text(at("setup.cfg"))
        if text:
            found = _read_setup_cfg(text, at("setup.cfg"), extras, out)
    if not found:
        text = project.read_text(at("setup.py"))
        if text:
            found = _read_setup_py(project, text, at("setup.py"), directory, out)
    if found:
        out.local_install = True
    return found


def _add_requirements(items: Iterable[str], path: str, out: Collected, project_name: str | None) -> None:
    for item in items:
        parsed = parse_requirement(item)
        if parsed is None:
            out.unresolved.append(Unresolved(f"`{item}` in `{path}` names no distribution", Span(path, Position(1, 1))))
            continue
        if project_name and parsed[0] == project_name:
            continue  # self-reference (`myproj[all]` in extras): its extras were taken already
        out.requirements.append(Requirement(parsed[0], parsed[1], item, Span(path, Position(1, 1))))


def _read_pyproject(project: Project, data: dict, at, extras: tuple[str, ...], origin: Span, out: Collected,
                    groups: bool) -> bool:
    path = at("pyproject.toml")
    table = data.get("project") if isinstance(data.get("project"), dict) else None
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool.get("poetry"), dict) else None
    found = False
    name = None
    if table is not None:
        name = normalize(str(table.get("name", ""))) or None
        dynamic = _strings(table.get("dynamic"))
        if "dependencies" in dynamic:
            files = _dynamic_requirement_files(tool)
            if not files:
                out.unresolved.append(Unresolved(f"`{path}` declares its dependencies dynamic", origin))
            for file in files:
                read_requirements_file(project, at(file), out, origin=origin)
        else:
            _add_requirements(_strings(table.get("dependencies")), path, out, name)
        optional = table.get("optional-dependencies") if isinstance(table.get("optional-dependencies"), dict) else {}
        for extra, items in optional.items():
            if groups or normalize(str(extra)) in extras or "all" in extras:
                _add_requirements(_strings(items), path, out, name)
        found = True
    if poetry is not None:
        name = name or (normalize(str(poetry.get("name", ""))) or None)
        sections = [poetry.get("dependencies")]
        if groups:
            sections.append(poetry.get("dev-dependencies"))
            for group in (poetry.get("group") or {}).values():
                if isinstance(group, dict):
                    sections.append(group.get("dependencies"))
        for section in sections:
            if isinstance(section, dict):
                for dep in section:
                    if str(dep).lower() != "python":
                        out.requirements.append(Requirement(normalize(str(dep)), (), str(dep),
                                                            Span(path, Position(1, 1))))
        found = True
    if groups and found:
        dependency_groups = data.get("dependency-groups") if isinstance(data.get("dependency-groups"), dict) else {}
        for items in dependency_groups.values():
            _add_requirements(_strings(items), path, out, name)
        uv = tool.get("uv") if isinstance(tool.get("uv"), dict) else {}
        _add_requirements(_strings(uv.get("dev-dependencies")), path, out, name)
        pdm = tool.get("pdm") if isinstance(tool.get("pdm"), dict) else {}
        pdm_dev = pdm.get("dev-dependencies") if isinstance(pdm.get("dev-dependencies"), dict) else {}
        for items in pdm_dev.values():
            _add_requirements(_strings(items), path, out, name)
        if isinstance(uv.get("workspace"), dict):
            out.unresolved.append(Unresolved(f"`{path}` is a uv workspace", origin))
    if found:
        _project_read(out, path, name)
    return found


def _project_read(out: Collected, path: str, name: str | None) -> None:
    """The project metadata at ``path`` was read: the project itself is installed, and its dependencies are known."""
    out.manifests.append(path)
    if name:
        out.known_local.add(name)
        out.requirements.append(Requirement(name, (), name, Span(path, Position(1, 1))))


def _dynamic_requirement_files(tool: dict) -> list[str]:
    setuptools = tool.get("setuptools") if isinstance(tool.get("setuptools"), dict) else {}
    dynamic = setuptools.get("dynamic") if isinstance(setuptools.get("dynamic"), dict) else {}
    deps = dynamic.get("dependencies")
    if isinstance(deps, dict):
        files = deps.get("file")
        return [files] if isinstance(files, str) else _strings(files)
    hatch = tool.get("hatch") if isinstance(tool.get("hatch"), dict) else {}
    hook = (((hatch.get("metadata") or {}).get("hooks") or {}).get("requirements_txt")
            if isinstance(hatch.get("metadata"), dict) else None)
    if isinstance(hook, dict):
        return _strings(hook.get("files")) or ["requirements.txt"]
    return []


def _read_setup_cfg(text: str, path: str, extras: tuple[str, ...], out: Collected) -> bool:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except (configparser.Error, ValueError):
        return False
    if not parser.has_section("options"):
        return False
    raw = parser.get("options", "install_requires", fallback="")
    if raw.strip().startswith("file:"):
        return False
    name = normalize(parser.get("metadata", "name", fallback="")) or None
    items = [line.strip() for line in raw.splitlines() if line.strip()]
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            if normalize(extra) in extras:
                items += [line.strip() for line in value.splitlines() if line.strip()]
    _add_requirements(items, path, out, name)
    _project_read(out, path, name)
    return True


def _read_setup_py(project: Project, text: str, path: str, directory: str, out: Collected) -> bool:
    """``setup(install_requires=[…literals…])``, or requirements read from a named .txt file."""
    tree = parse_python(text)
    if tree is None:
        return False
    lists: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            values = _literal_strings(node.value)
            if values is not None:
                lists[node.targets[0].id] = values
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if not ((isinstance(func, ast.Name) and func.id == "setup") or
                (isinstance(func, ast.Attribute) and func.attr == "setup")):
            continue
        name = None
        for keyword in node.keywords:
            value = keyword.value
            if keyword.arg == "name" and isinstance(value, ast.Constant) and isinstance(value.value, str):
                name = normalize(value.value)
        for keyword in node.keywords:
            if keyword.arg != "install_requires":
                continue
            values = _literal_strings(keyword.value)
            if values is None and isinstance(keyword.value, ast.Name):
                values = lists.get(keyword.value.id)
            if values is None:
                files = [c.value for c in ast.walk(tree) if isinstance(c, ast.Constant) and isinstance(c.value, str)
                         and c.value.endswith(".txt") and "requirement" in c.value]
                if len(files) == 1:
                    target = posixpath.normpath(posixpath.join(directory, files[0]))
                    if target in project.files:
                        read_requirements_file(project, target, out)
                        values = []
            if values is None:
                return False
            _add_requirements(values, path, out, name)
        _project_read(out, path, name)
        return True
    return False


def _literal_strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
            isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts):
        return [item.value for item in node.elts]  # type: ignore[attr-defined]
    return None
