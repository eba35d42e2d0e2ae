"""Python dependencies of a build: what a Dockerfile stage installs, what the context's code imports.

Everything here is computed from the model and from files read through ``project.read_text``; nothing
is imported or executed. Python sources are parsed with :mod:`ast`; requirement files, ``pyproject.toml``
(PEP 621 and Poetry), ``setup.cfg``, literal ``setup.py`` and ``Pipfile`` are read as text.

Public API (used by CL204 and CL402-CL407):

* :func:`installed_python` -> :class:`PythonInstall`: the distributions a stage installs (its FROM chain,
  the stages it copies from, the base image's own packages and the known transitive dependencies), and
  whether that answer is complete. Callers must never call something "missing" unless
  :meth:`PythonInstall.has` returns ``False`` (or ``complete`` is true and the name is absent).
* :func:`console_scripts`: the executables a set of distributions installs.
* :func:`missing_imports`: imports of the context's code that no installed distribution provides.
* :func:`image_builds`, :func:`run_commands`, :func:`install_commands`, :func:`stage_chain_of`, …: shared by
  the image-build rules.

The import-name -> distribution table, the well-known dependencies of popular distributions and the
packages of known base images are data: ``composelint/data/python-modules.yaml``; executables are in
``composelint/data/python-console-scripts.yaml``. Both are documented in rules/CL407 and tested.
"""

from __future__ import annotations

import ast
import bisect
import functools
import posixpath
import re
import sys
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Iterable, Iterator, Mapping

from composelint.diagnostics import Position, Span
from composelint.model import Dockerfile, Instruction, Project, Service, Stage
from composelint.parsers.dockerfile import substitute

MAX_PYTHON_FILES = 2000  # per build context; more are not scanned (bounded time)
MAX_PYTHON_SIZE = 1_000_000  # bytes of one source file
MAX_REQUIREMENT_DEPTH = 10  # nested -r
MAX_SHELL_DEPTH = 3  # sh -c "sh -c '…'"
MAX_STAGE_FILES = 50_000  # image paths tracked per stage

# --------------------------------------------------------------------------- names and tables


def normalize(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


@dataclass(frozen=True)
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
    from importlib import resources

    from ruamel.yaml import YAML

    text = resources.files("composelint").joinpath(f"data/{name}").read_text("utf-8")
    return YAML(typ="safe").load(text) or {}


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


# --------------------------------------------------------------------------- requirements


_REQUIREMENT_RE = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)\Z", re.S)
_URL_RE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git\+|hg\+|svn\+|bzr\+|git@)", re.I)
_EGG_RE = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?")
_WHEEL_RE = re.compile(r"(?:^|/)([A-Za-z0-9][A-Za-z0-9._]*?)-\d[^/-]*(?:-\d[^/-]*)?-[^/-]+-[^/-]+-[^/-]+\.whl$", re.I)
_SDIST_RE = re.compile(r"(?:^|/)([A-Za-z0-9][A-Za-z0-9._-]*?)-\d[A-Za-z0-9._+!]*\.(?:tar\.gz|zip|tar\.bz2)$", re.I)


@functools.lru_cache(maxsize=4096)
def parse_requirement(text: str) -> tuple[str, tuple[str, ...]] | None:
    """``name[extra,…] >=1.0 ; marker`` -> (normalized name, extras); None when it names no distribution."""
    text = text.strip()
    if not text or _URL_RE.match(text):
        egg = _EGG_RE.search(text)
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


def _local_spec(text: str) -> tuple[str, tuple[str, ...]] | None:
    """A path-like requirement (``.``, ``./pkg[extra]``, ``/app``): (path, extras); None otherwise."""
    text = text.strip()
    if text.startswith("file:"):
        text = re.sub(r"^file:(//)?", "", text)
    extras: tuple[str, ...] = ()
    match = re.match(r"(.*?)\[([^\]]*)\]\Z", text)
    if match:
        text, extras = match.group(1), _extras(match.group(2))
    if text in (".", "..") or text.startswith(("./", "../", "/", "~")) or ("/" in text and not _URL_RE.match(text)):
        return text, extras
    return None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement the image installs, and where it is written."""

    name: str  # normalized distribution name
    extras: tuple[str, ...]
    text: str  # as written
    span: Span


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An install composelint could not read: the install set is then incomplete."""

    reason: str
    span: Span


@dataclass
class _Collected:
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


def read_requirements_file(project: Project, path: str, out: _Collected, depth: int = 0,
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
                      out: _Collected) -> None:
    span = _line_span(path, number, line)
    local = _local_spec(text)
    if local is not None:
        target = posixpath.normpath(posixpath.join(directory, local[0])) if not local[0].startswith("/") else None
        if target is not None and not target.startswith(".."):
            if read_local_project(project, "" if target == "." else target, local[1], span, out):
                return
        out.unresolved.append(Unresolved(f"`{text}` is a local path composelint cannot read", span))
        return
    parsed = parse_requirement(text) or _file_name_requirement(text)
    if parsed is None:
        out.unresolved.append(Unresolved(f"`{text}` names no distribution", span))
        return
    out.requirements.append(Requirement(parsed[0], parsed[1], text, span))


def _file_name_requirement(text: str) -> tuple[str, tuple[str, ...]] | None:
    match = _WHEEL_RE.search(text) or _SDIST_RE.search(text)
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


def read_local_project(project: Project, directory: str, extras: tuple[str, ...], origin: Span, out: _Collected,
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


def _add_requirements(items: Iterable[str], path: str, out: _Collected, project_name: str | None,
                      seen_extras: set | None = None) -> None:
    for item in items:
        parsed = parse_requirement(item)
        if parsed is None:
            out.unresolved.append(Unresolved(f"`{item}` in `{path}` names no distribution", Span(path, Position(1, 1))))
            continue
        if project_name and parsed[0] == project_name:
            continue  # self-reference (`myproj[all]` in extras): its extras were taken already
        out.requirements.append(Requirement(parsed[0], parsed[1], item, Span(path, Position(1, 1))))


def _read_pyproject(project: Project, data: dict, at, extras: tuple[str, ...], origin: Span, out: _Collected,
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
        out.manifests.append(path)
        if name:
            out.known_local.add(name)
            out.requirements.append(Requirement(name, (), name, Span(path, Position(1, 1))))
    return found


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


def _read_setup_cfg(text: str, path: str, extras: tuple[str, ...], out: _Collected) -> bool:
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
    out.manifests.append(path)
    if name:
        out.known_local.add(name)
        out.requirements.append(Requirement(name, (), name, Span(path, Position(1, 1))))
    return True


def _read_setup_py(project: Project, text: str, path: str, directory: str, out: _Collected) -> bool:
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
        out.manifests.append(path)
        if name:
            out.known_local.add(name)
            out.requirements.append(Requirement(name, (), name, Span(path, Position(1, 1))))
        return True
    return False


def _literal_strings(node: ast.AST) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
            isinstance(item, ast.Constant) and isinstance(item.value, str) for item in node.elts):
        return [item.value for item in node.elts]  # type: ignore[attr-defined]
    return None


# --------------------------------------------------------------------------- shell commands of RUN


@dataclass(frozen=True, slots=True)
class ShellWord:
    text: str  # after quote removal and expansion of the variables the Dockerfile defines
    raw: str  # as written
    start: int  # offset in its script
    dynamic: bool = False  # holds an expansion composelint cannot resolve ($1, $(…), an unset variable)


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """One simple command of a RUN instruction (wrappers such as sudo, env and sh -c removed)."""

    words: tuple[ShellWord, ...]
    assignments: Mapping[str, str]  # NAME=value written before the command
    instruction: Instruction
    script: int  # 0: the RUN line (or exec form); n: the n-th heredoc
    all_commands: tuple = ()  # filled by run_commands: every command of the same RUN

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)

    def span(self, word_index: int = 0, through: int | None = None) -> Span:
        """Where words ``word_index``..``through`` are written (the instruction's first line when unsure)."""
        return _locate(self.instruction, self.script, self.words, word_index,
                       word_index if through is None else through)


_SEPARATORS = frozenset(";&|()\n")
_RESERVED = frozenset(("if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac",
                       "time", "in"))
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_VARIABLE_RE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|([0-9@*#?$!-]))")


def _scan_words(script: str) -> list[list[tuple[str, int]]]:
    """Split shell text into commands of raw words ``(raw, offset)``; linear, never raises."""
    commands: list[list[tuple[str, int]]] = []
    words: list[tuple[str, int]] = []
    heredocs: list[str] = []
    i, n = 0, len(script)
    start = -1
    skip_next = False

    def finish(end: int) -> None:
        nonlocal start, skip_next
        if start >= 0:
            if skip_next:
                skip_next = False
            else:
                words.append((script[start:end], start))
            start = -1

    def end_command() -> None:
        nonlocal words
        if words:
            commands.append(words)
        words = []

    while i < n:
        char = script[i]
        if char == "\\":
            if i + 1 < n and script[i + 1] == "\n":
                if start >= 0:
                    finish(i)
                i += 2
                continue
            if start < 0:
                start = i
            i += 2
            continue
        if char in " \t\r":
            finish(i)
            i += 1
            continue
        if char == "\n":
            finish(i)
            end_command()
            i += 1
            while heredocs:  # skip the bodies of `cmd <<EOF` heredocs inside the script
                delimiter = heredocs.pop(0)
                while i < n:
                    end = script.find("\n", i)
                    end = n if end < 0 else end
                    line = script[i:end]
                    i = end + 1
                    if line.strip() == delimiter:
                        break
            continue
        if char in _SEPARATORS:
            finish(i)
            end_command()
            i += 1
            continue
        if char == "#" and start < 0:
            end = script.find("\n", i)
            i = n if end < 0 else end
            continue
        if char in "<>":
            if start >= 0 and script[start:i].isdigit():
                start = -1  # `2>` : the fd number is not a word
            finish(i)
            operator_start = i
            while i < n and script[i] in "<>&|":
                i += 1
            operator = script[operator_start:i]
            while i < n and script[i] in " \t":
                i += 1
            word_start = i
            i = _skip_word(script, i)
            target = script[word_start:i]
            if operator == "<<" or operator == "<<-":
                heredocs.append(target.strip("'\"").lstrip("-"))
            continue
        if start < 0:
            start = i
        i = _skip_quoted(script, i)
    finish(n)
    end_command()
    return commands


def _skip_word(script: str, i: int) -> int:
    n = len(script)
    while i < n and script[i] not in " \t\r\n;&|()<>":
        if script[i] == "\\":
            i += 2
            continue
        i = _skip_quoted(script, i)
    return min(i, n)


def _skip_quoted(script: str, i: int) -> int:
    """Position after the quoted section, expansion or single character at ``i``."""
    n = len(script)
    char = script[i]
    if char == "'":
        end = script.find("'", i + 1)
        return n if end < 0 else end + 1
    if char == '"':
        i += 1
        while i < n and script[i] != '"':
            if script[i] == "\\":
                i += 1
            elif script[i] == "$" and i + 1 < n and script[i + 1] == "(":
                i = _skip_parens(script, i + 1) - 1
            i += 1
        return min(i + 1, n)
    if char == "`":
        end = script.find("`", i + 1)
        return n if end < 0 else end + 1
    if char == "$" and i + 1 < n and script[i + 1] == "(":
        return _skip_parens(script, i + 1)
    if char == "$" and i + 1 < n and script[i + 1] == "{":
        end = script.find("}", i + 2)
        return n if end < 0 else end + 1
    return i + 1


def _skip_parens(script: str, i: int) -> int:
    depth, n = 0, len(script)
    while i < n:
        char = script[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif char in "'\"`":
            i = _skip_quoted(script, i) - 1
        elif char == "\\":
            i += 1
        i += 1
    return n


def _expand(raw: str, start: int, env: Mapping[str, str]) -> ShellWord:
    dynamic = "$(" in raw or "`" in raw
    if "$" in raw:
        for match in _VARIABLE_RE.finditer(raw):
            name = match.group(1)
            if match.group(3) is not None:
                dynamic = True
            elif name is not None:
                bare = re.match(r"[A-Za-z_][A-Za-z0-9_]*", name)
                if bare is None or (bare.group(0) not in env and not re.match(r"[A-Za-z_][A-Za-z0-9_]*:?-", name)):
                    dynamic = True
            elif match.group(2) not in env:
                dynamic = True
    if not any(char in raw for char in "$'\"\\"):
        return ShellWord(raw, raw, start, dynamic)
    text = substitute(raw, env, escape="\\")
    return ShellWord(text, raw, start, dynamic)


_WRAPPERS_WITH_VALUE = {"sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}, "nice": {"-n"},
                        "timeout": {"-s", "-k", "--signal", "--kill-after"}, "stdbuf": {"-i", "-o", "-e"},
                        "env": {"-u", "-C", "-S", "--unset", "--chdir"}, "chroot": set(), "setpriv": set(),
                        "ionice": {"-c", "-n", "-p"}, "taskset": set()}
_PLAIN_WRAPPERS = frozenset(("exec", "nohup", "command", "builtin", "time", "noglob"))
_SHELLS = frozenset(("sh", "bash", "ash", "dash", "zsh", "ksh"))


def _simple_commands(script: str, env: Mapping[str, str], instruction: Instruction, index: int,
                     depth: int = 0, base: int = 0) -> list[ShellCommand]:
    result: list[ShellCommand] = []
    for raw_words in _scan_words(script):
        words = [_expand(raw, base + offset, env) for raw, offset in raw_words]
        assignments: dict[str, str] = {}
        while words:
            head = words[0].text
            if head in ("for", "case", "select", "function") or (len(words) > 1 and words[1].raw == "()"):
                words = []
            elif head in _RESERVED:
                words = words[1:]
            elif _ASSIGNMENT_RE.match(words[0].raw):
                name, _, value = head.partition("=")
                assignments[name] = value
                words = words[1:]
            elif head in _PLAIN_WRAPPERS:
                words = words[1:]
            elif head in _WRAPPERS_WITH_VALUE:
                with_value = _WRAPPERS_WITH_VALUE[head]
                position = 1
                while position < len(words) and (words[position].text.startswith("-") or (
                        head == "env" and "=" in words[position].text)):
                    if head == "env" and "=" in words[position].text and not words[position].text.startswith("-"):
                        name, _, value = words[position].text.partition("=")
                        assignments[name] = value
                    position += 2 if words[position].text in with_value else 1
                if head == "timeout" and position < len(words):
                    position += 1  # the duration
                if head in ("chroot", "taskset") and position < len(words):
                    position += 1
                words = words[position:]
            elif head in ("gosu", "su-exec") and len(words) > 1:
                words = words[2:]
            else:
                break
        if not words:
            continue
        program = posixpath.basename(words[0].text)
        if program in _SHELLS and depth < MAX_SHELL_DEPTH:
            flags = [w for w in words[1:] if w.text.startswith("-")]
            script_word = next((words[i + 1] for i, w in enumerate(words[:-1])
                                if w.text.startswith("-") and "c" in w.text[1:] and not w.text.startswith("--")), None)
            if script_word is not None:
                result.extend(_simple_commands(script_word.text, env, instruction, index, depth + 1,
                                               script_word.start + 1))
                continue
            if not flags and len(words) == 1:
                continue
        result.append(ShellCommand(tuple(words), assignments, instruction, index))
    return result


def run_commands(dockerfile: Dockerfile, instruction: Instruction, env: Mapping[str, str]) -> tuple[ShellCommand, ...]:
    """The simple commands a RUN instruction executes (shell form, exec form, heredoc scripts)."""
    if instruction.keyword != "RUN":
        return ()
    commands: list[ShellCommand] = []
    if instruction.form == "exec" and instruction.exec_args is not None:
        args = instruction.exec_args
        if (args and posixpath.basename(args[0]) in _SHELLS and len(args) >= 3 and args[1].startswith("-")
                and "c" in args[1]):
            commands.extend(_simple_commands(args[2], env, instruction, 0, 1))
        elif args:
            words = tuple(ShellWord(arg, arg, 0) for arg in args)
            commands.append(ShellCommand(words, {}, instruction, 0))
    else:
        commands.extend(_simple_commands(instruction.arguments, env, instruction, 0))
        head = instruction.arguments.strip().split()
        runs_body = bool(head) and (all(word.startswith("<<") for word in head) or (
            posixpath.basename(head[0]) in _SHELLS and len(head) == 2 and head[1].startswith("<<")))
        if runs_body:
            for number, heredoc in enumerate(instruction.heredocs, 1):
                first = heredoc.body.split("\n", 1)[0]
                if first.startswith("#!") and not any(shell in first for shell in _SHELLS):
                    continue  # a Python (or other) script, not shell
                commands.extend(_simple_commands(heredoc.body, env, instruction, number))
    frozen = tuple(commands)
    return tuple(ShellCommand(c.words, c.assignments, c.instruction, c.script, frozen) for c in frozen)


def _locate(instruction: Instruction, script: int, words: tuple[ShellWord, ...], first: int, last: int) -> Span:
    """Span of words[first..last] in the Dockerfile; falls back to the instruction's first line."""
    path = instruction.span.path
    fallback = Span(path, instruction.span.start,
                    Position(instruction.span.start.line, instruction.span.start.column + len(instruction.keyword)))
    if not words or first >= len(words):
        return fallback
    last = min(last, len(words) - 1)
    if script > 0 and script <= len(instruction.heredocs):
        heredoc = instruction.heredocs[script - 1]
        body = heredoc.body
        start = words[first].start
        end = words[last].start + len(words[last].raw)
        if 0 <= start <= len(body) and body[start:start + len(words[first].raw)] == words[first].raw:
            line = heredoc.span.start.line + body.count("\n", 0, start)
            column = start - (body.rfind("\n", 0, start) + 1) + 1
            end_line = heredoc.span.start.line + body.count("\n", 0, end)
            end_column = end - (body.rfind("\n", 0, end) + 1) + 1
            return Span(path, Position(line, column), Position(end_line, end_column))
        return fallback
    lines = instruction.text.split("\n")
    needle = words[first].raw
    arguments = instruction.arguments_span.start if instruction.arguments_span else None
    for offset, line in enumerate(lines):
        base_column = instruction.span.start.column if offset == 0 else 1
        search_from = len(instruction.keyword) if offset == 0 else 0
        absolute = instruction.span.start.line + offset
        if arguments is not None:
            if absolute < arguments.line:
                continue
            if absolute == arguments.line:
                search_from = max(search_from, arguments.column - base_column)
        position = line.find(needle, search_from)
        while position >= 0:
            before = line[position - 1] if position > 0 else " "
            after_index = position + len(needle)
            after = line[after_index] if after_index < len(line) else " "
            if before in " \t;&|(\"'`" and after in " \t;&|)\"'`\\":
                break
            position = line.find(needle, position + 1)
        if position < 0:
            continue
        start = Position(instruction.span.start.line + offset, base_column + position)
        end_column = base_column + position + len(needle)
        if last > first:
            tail = line.find(words[last].raw, position)
            if tail >= 0:
                end_column = base_column + tail + len(words[last].raw)
        return Span(path, start, Position(start.line, end_column))
    return fallback


# --------------------------------------------------------------------------- installers


_PIP_RE = re.compile(r"^pip(?:\d+(?:\.\d+)?)?$")
_PYTHON_RE = re.compile(r"^(?:python|pypy)(?:\d+(?:\.\d+)?)?$")
_PIP_VALUE_OPTIONS = frozenset((
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--trusted-host", "-t", "--target", "--prefix",
    "--root", "--platform", "--python-version", "--implementation", "--abi", "--no-binary", "--only-binary",
    "--progress-bar", "--cache-dir", "--log", "--log-file", "--proxy", "--retries", "--timeout", "--exists-action",
    "--cert", "--client-cert", "--src", "--upgrade-strategy", "-C", "--config-settings", "--global-option",
    "--install-option", "--python", "--report", "--root-user-action", "--keyring-provider", "--python-platform",
    "--index-strategy", "--resolution", "--prerelease", "-p", "--extra", "--group", "--only-group", "--no-group",
    "--directory", "--project", "--package", "--link-mode", "--exclude-newer", "--torch-backend", "--index",
    "--default-index", "--config-file", "--use-feature", "--use-deprecated", "-w", "--wheel-dir", "-d", "--dest",
    "-o", "--output-file", "--only", "--with", "--without", "-E", "--extras", "-r", "--requirement",
    "-c", "--constraint", "-e", "--editable", "--overrides", "--build-constraint", "--no-binary-package",
))


@dataclass(frozen=True, slots=True)
class InstallCommand:
    """A package-install command found in a RUN instruction."""

    # "pip" | "uv pip" | "uv sync" | "uv add" | "poetry" | "pipenv" | "pdm" | "conda" | "system" (apt, apk …)
    # | "tool" (pipx, uv tool) | "setup.py" | "easy_install"
    tool: str
    command: ShellCommand
    subcommand: str  # "install", "sync" …
    options: Mapping[str, tuple[ShellWord, ...]]  # option name -> values (flags: empty tuple)
    positionals: tuple[ShellWord, ...]
    program_words: int  # how many words name the program (python -m pip: 3, uv pip: 2)

    def has(self, *names: str) -> bool:
        return any(name in self.options for name in names)

    def values(self, *names: str) -> tuple[ShellWord, ...]:
        found: list[ShellWord] = []
        for name in names:
            found.extend(self.options.get(name, ()))
        return tuple(found)

    @property
    def dynamic(self) -> bool:
        return any(word.dynamic for word in self.command.words)

    def span(self) -> Span:
        """The program and subcommand (``pip install``, ``python -m pip install``)."""
        return self.command.span(0, self.program_words)


def _parse_options(words: tuple[ShellWord, ...], value_options: frozenset) -> tuple[dict, list[ShellWord]]:
    options: dict[str, list[ShellWord]] = {}
    positionals: list[ShellWord] = []
    position = 0
    while position < len(words):
        word = words[position]
        text = word.text
        if text == "--":
            positionals.extend(words[position + 1:])
            break
        if text.startswith("--") and "=" in text:
            name, _, value = text.partition("=")
            options.setdefault(name, []).append(ShellWord(value, word.raw, word.start, word.dynamic))
        elif text.startswith("--"):
            if text in value_options and position + 1 < len(words):
                options.setdefault(text, []).append(words[position + 1])
                position += 1
            else:
                options.setdefault(text, [])
        elif text.startswith("-") and len(text) > 1:
            name = text[:2]
            if name in value_options:
                if len(text) > 2:
                    options.setdefault(name, []).append(ShellWord(text[2:], word.raw, word.start, word.dynamic))
                elif position + 1 < len(words):
                    options.setdefault(name, []).append(words[position + 1])
                    position += 1
            else:
                for letter in text[1:]:
                    options.setdefault("-" + letter, [])
        else:
            positionals.append(word)
        position += 1
    return {k: tuple(v) for k, v in options.items()}, positionals


def install_command(command: ShellCommand) -> InstallCommand | None:
    """The package install ``command`` performs, if it is one (pip, uv, poetry, pipenv, pdm, conda, apt …)."""
    words = command.words
    if not words:
        return None
    program = posixpath.basename(words[0].text)
    rest: tuple[ShellWord, ...]
    if _PIP_RE.match(program):
        tool, rest, count = "pip", words[1:], 1
    elif _PYTHON_RE.match(program):
        position = 1
        while position < len(words) and words[position].text.startswith("-") and words[position].text != "-m":
            position += 2 if words[position].text in ("-X", "-W") else 1
        if position + 1 < len(words) and words[position].text == "-m":
            module = words[position + 1].text
            if module == "pip":
                tool, rest, count = "pip", words[position + 2:], position + 2
            elif module == "uv" and position + 2 < len(words) and words[position + 2].text == "pip":
                tool, rest, count = "uv pip", words[position + 3:], position + 3
            else:
                return None
        elif position + 1 < len(words) and posixpath.basename(words[position].text) == "setup.py":
            sub = words[position + 1].text
            if sub in ("install", "develop"):
                return InstallCommand("setup.py", command, sub, {}, (words[position],), position + 1)
            return None
        else:
            return None
    elif program == "uv" and len(words) > 1:
        sub = words[1].text
        if sub == "pip":
            tool, rest, count = "uv pip", words[2:], 2
        elif sub in ("sync", "add"):
            options, positionals = _parse_options(words[2:], _PIP_VALUE_OPTIONS)
            return InstallCommand(f"uv {sub}", command, sub, options, tuple(positionals), 1)
        elif sub == "tool" and len(words) > 2 and words[2].text == "install":
            options, positionals = _parse_options(words[3:], _PIP_VALUE_OPTIONS)
            return InstallCommand("tool", command, "install", options, tuple(positionals), 2)
        else:
            return None
    elif program in ("poetry", "pipenv", "pdm") and len(words) > 1:
        options, positionals = _parse_options(words[1:], _PIP_VALUE_OPTIONS)
        sub = positionals[0].text if positionals else ""
        if sub in ("install", "sync", "add"):
            return InstallCommand(program, command, sub, options, tuple(positionals[1:]), 1)
        return None
    elif program in ("conda", "mamba", "micromamba") and len(words) > 1:
        if any(w.text in ("install", "create", "update") for w in words[1:3]) or (
                words[1].text == "env" and len(words) > 2 and words[2].text in ("create", "update")):
            return InstallCommand("conda", command, "install", {}, (), 1)
        return None
    elif program == "pipx" and len(words) > 2 and words[1].text == "install":
        options, positionals = _parse_options(words[2:], _PIP_VALUE_OPTIONS)
        return InstallCommand("tool", command, "install", options, tuple(positionals), 1)
    elif program == "easy_install":
        options, positionals = _parse_options(words[1:], _PIP_VALUE_OPTIONS)
        return InstallCommand("easy_install", command, "install", options, tuple(positionals), 0)
    elif program == "pip-sync":
        options, positionals = _parse_options(words[1:], _PIP_VALUE_OPTIONS)
        files = tuple(positionals) or (ShellWord("requirements.txt", "requirements.txt", 0),)
        return InstallCommand("pip", command, "install", {**options, "-r": files}, (), 0)
    elif program in ("apt-get", "apt", "apk", "dnf", "yum", "microdnf", "zypper") and len(words) > 1:
        options, positionals = _parse_options(words[1:], frozenset(("-o", "-t", "--target-release", "-c")))
        if positionals and positionals[0].text in ("install", "add", "in"):
            return InstallCommand("system", command, "install", options, tuple(positionals[1:]), 1)
        return None
    else:
        return None
    options, positionals = _parse_options(rest, _PIP_VALUE_OPTIONS)
    if not positionals or positionals[0].text not in ("install", "sync"):
        return None
    return InstallCommand(tool, command, positionals[0].text, options, tuple(positionals[1:]), count)


def install_commands(dockerfile: Dockerfile, instruction: Instruction,
                     env: Mapping[str, str]) -> tuple[InstallCommand, ...]:
    found = []
    for command in run_commands(dockerfile, instruction, env):
        install = install_command(command)
        if install is not None:
            found.append(install)
    return tuple(found)


_SCRIPT_RUNNERS = frozenset(("make", "gmake", "just", "task", "invoke", "ansible-playbook", "nox", "tox"))
_CODE_WRITERS = frozenset(("protoc", "curl", "wget", "git", "tar", "unzip", "cp", "mv", "ln", "rsync", "svn",
                           "hg", "cythonize", "datamodel-codegen", "openapi-generator", "openapi-generator-cli",
                           "swagger-codegen", "buf", "flatc", "thrift"))


def runs_script(command: ShellCommand) -> bool:
    """A RUN command that executes a script or a build tool whose content composelint does not read."""
    argv = command.argv
    if not argv:
        return False
    program = argv[0]
    name = posixpath.basename(program)
    if program.startswith(("./", "/tmp/", "../")) or name.endswith((".sh", ".bash")) or name in _SCRIPT_RUNNERS:
        return True
    if name in _SHELLS and len(argv) > 1 and not argv[1].startswith("-"):
        return True  # sh install.sh
    return name in ("source", ".") and len(argv) > 1 and argv[1].endswith(".sh")


def generates_code(command: ShellCommand) -> bool:
    """A RUN command that may write Python modules into the image (generated, downloaded or moved)."""
    argv = command.argv
    if not argv:
        return False
    name = posixpath.basename(argv[0])
    if name in _CODE_WRITERS or runs_script(command):
        return True
    if _PYTHON_RE.match(name) and ("grpc_tools.protoc" in argv or any(a.endswith(".py") for a in argv[1:2])):
        return True
    return False


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


# --------------------------------------------------------------------------- manifest installs (any ecosystem)


# ecosystem -> (manifests to copy first, the install to run before copying the rest)
MANIFEST_FIRST = {
    "pip": ("requirements.txt", "pip install --no-cache-dir -r requirements.txt"),
    "python-project": ("pyproject.toml", "pip install --no-cache-dir <the dependencies>"),
    "poetry": ("pyproject.toml poetry.lock", "poetry install --no-root"),
    "uv": ("pyproject.toml uv.lock", "uv sync --locked --no-install-project"),
    "pipenv": ("Pipfile Pipfile.lock", "pipenv install --deploy --system"),
    "pdm": ("pyproject.toml pdm.lock", "pdm install --prod --no-self"),
    "npm": ("package.json package-lock.json", "npm ci"),
    "yarn": ("package.json yarn.lock", "yarn install --frozen-lockfile"),
    "pnpm": ("package.json pnpm-lock.yaml", "pnpm install --frozen-lockfile"),
    "go": ("go.mod go.sum", "go mod download"),
    "bundler": ("Gemfile Gemfile.lock", "bundle install"),
    "composer": ("composer.json composer.lock", "composer install --no-scripts --no-autoloader"),
    "dotnet": ("*.csproj", "dotnet restore"),
}


def manifest_install(command: ShellCommand) -> tuple[str, str] | None:
    """(ecosystem, manifest) of a command that installs the dependencies a manifest lists (CL405)."""
    install = install_command(command)
    if install is not None:
        if install.tool in ("pip", "uv pip"):
            files = install.values("-r", "--requirement")
            if files:
                return "pip", files[0].text
            specs = install.positionals + install.values("-e", "--editable")
            if not install.has("--no-deps") and any(word.text.startswith((".", "/")) for word in specs):
                return "python-project", "pyproject.toml"
            return None
        if install.tool in ("poetry", "pdm", "pipenv") and install.subcommand in ("install", "sync") \
                and not install.positionals:
            return install.tool, MANIFEST_FIRST[install.tool][0].split()[0]
        if install.tool == "uv sync":
            return "uv", "pyproject.toml"
        return None
    argv = command.argv
    program = posixpath.basename(argv[0]) if argv else ""
    rest = [arg for arg in argv[1:] if not arg.startswith("-")]
    if program == "npm" and rest[:1] in (["install"], ["i"], ["ci"]) and len(rest) == 1 and "-g" not in argv:
        return "npm", "package.json"
    if program == "yarn" and (not rest or rest == ["install"]):
        return "yarn", "package.json"
    if program == "pnpm" and rest[:1] in (["install"], ["i"]) and len(rest) == 1:
        return "pnpm", "package.json"
    if program == "go" and rest[:2] == ["mod", "download"]:
        return "go", "go.mod"
    if program == "bundle" and rest[:1] in ([], ["install"]):
        return "bundler", "Gemfile"
    if program == "composer" and rest[:1] == ["install"]:
        return "composer", "composer.json"
    if program == "dotnet" and rest[:1] == ["restore"]:
        return "dotnet", "*.csproj"
    return None


# --------------------------------------------------------------------------- build contexts and stages


@dataclass
class _Context:
    """The files Docker sends for one build (``.dockerignore`` applied), relative to the context root."""

    root: str
    files: frozenset
    dirs: frozenset
    ordered: list

    def under(self, directory: str) -> Iterator[str]:
        if not directory:
            yield from self.ordered
            return
        prefix = directory + "/"
        index = bisect.bisect_left(self.ordered, prefix)
        while index < len(self.ordered) and self.ordered[index].startswith(prefix):
            yield self.ordered[index]
            index += 1

    def project_path(self, relpath: str) -> str:
        if not relpath:
            return self.root
        return f"{self.root}/{relpath}" if self.root else relpath


def build_context(project: Project, context: str, dockerfile_path: str | None = None) -> _Context:
    def compute(project: Project) -> _Context:
        from composelint.parsers.dockerignore import IgnoreMatcher

        ordered_all = project.derived("python_deps.sorted_files", lambda p: sorted(p.files))
        prefix = context + "/" if context else ""
        start = bisect.bisect_left(ordered_all, prefix)
        matcher = IgnoreMatcher(project.ignore_for(context, dockerfile_path))
        files = []
        index = start
        while index < len(ordered_all) and ordered_all[index].startswith(prefix):
            relpath = ordered_all[index][len(prefix):]
            if not matcher.ignore or not matcher.is_excluded(relpath):
                files.append(relpath)
            index += 1
        dirs = {""}
        for relpath in files:
            parent = posixpath.dirname(relpath)
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return _Context(context, frozenset(files), frozenset(dirs), files)

    return project.derived(f"python_deps.context:{context}\0{dockerfile_path or ''}", compute)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One COPY/ADD (or bind mount) source in a stage's filesystem."""

    dest: str  # absolute, normalized image path
    dest_dir: bool | None  # True: a directory; None: a file or an existing directory
    kind: str  # "context" | "stage" | "image"
    source: str  # context-relative path ('' = the root), or an absolute path in the other stage
    source_dir: bool
    stage: int | None
    order: int  # index of the instruction in the Dockerfile


def _image_path(path: str, workdir: str) -> str:
    joined = path if path.startswith("/") else posixpath.join(workdir or "/", path)
    normalized = posixpath.normpath(joined)
    return "/" + normalized.lstrip("/")


def _copy_words(instruction: Instruction, env: Mapping[str, str]) -> list[str]:
    from composelint.parsers.dockerfile import substitute

    text = instruction.arguments.strip()
    if text.startswith("["):
        import json

        try:
            values = json.loads(text)
        except ValueError:
            values = None
        if isinstance(values, list) and all(isinstance(v, str) for v in values):
            return [substitute(v, env) for v in values]
    from composelint.analysis.shellwords import UnterminatedQuote, split_words

    try:
        raw = [word.text for word in split_words(text)]
    except UnterminatedQuote:
        raw = text.split()
    return [substitute(word, env) for word in raw]


class StageAnalysis:
    """Facts about every stage of one Dockerfile built with one context, computed on demand."""

    def __init__(self, project: Project, dockerfile: Dockerfile, context: str) -> None:
        from composelint.parsers.dockerfile import stage_environment

        self.project = project
        self.dockerfile = dockerfile
        self.context = build_context(project, context, dockerfile.path)
        self.envs = [stage_environment(dockerfile, stage) for stage in dockerfile.stages]
        self.parents: list[int | None] = []
        self.entries: list[list[_Entry]] = []
        self.workdirs: list[list[tuple[int, str]]] = []  # (order, workdir from then on)
        self.external_copies: list[list[tuple[str, Instruction]]] = []
        order = {id(instruction): index for index, instruction in enumerate(dockerfile.instructions)}
        self.order = order
        names: dict[str, int] = {}
        for stage in dockerfile.stages:
            parent = names.get(stage.base_resolved.lower()) if stage.base_resolved else None
            self.parents.append(parent)
            self._read_stage(stage, names, order)
            if stage.name:
                names[stage.name] = stage.index
        self.names = names
        self._installs: dict[int, PythonInstall] = {}
        self._files: dict[int, dict[str, str]] = {}

    # -- filesystem

    def _read_stage(self, stage: Stage, names: dict[str, int], order: dict[int, int]) -> None:
        env = self.envs[stage.index]
        parent = self.parents[stage.index]
        workdir = self.workdirs[parent][-1][1] if parent is not None and self.workdirs[parent] else "/"
        workdirs = [(-1, workdir)]
        entries: list[_Entry] = []
        external: list[tuple[str, Instruction]] = []
        from composelint.parsers.dockerfile import substitute

        for instruction in stage.instructions:
            position = order.get(id(instruction), -1)
            if instruction.keyword == "WORKDIR":
                workdir = _image_path(substitute(instruction.arguments.strip(), env), workdir)
                workdirs.append((position, workdir))
            elif instruction.keyword in ("COPY", "ADD"):
                words = _copy_words(instruction, env)
                if len(words) < 2 or any(word.startswith("<<") for word in words):
                    continue
                sources, dest_text = words[:-1], words[-1]
                dest = _image_path(dest_text, workdir)
                dest_dir = True if (dest_text.endswith("/") or len(sources) > 1 or dest_text in (".", "./")) else None
                origin = instruction.flag("from")
                if origin is not None and origin.value is not None:
                    target = substitute(origin.value, env).lower()
                    if target in names or (target.isdigit() and int(target) < stage.index):
                        other = names.get(target, int(target) if target.isdigit() else None)
                        for source in sources:
                            entries.append(_Entry(dest, dest_dir, "stage", _image_path(source, "/"), True, other,
                                                  position))
                    else:
                        for source in sources:
                            external.append((_image_path(source, "/"), instruction))
                            entries.append(_Entry(dest, dest_dir, "image", source, True, None, position))
                    continue
                for source in sources:
                    if instruction.keyword == "ADD" and (_URL_RE.match(source) or source.startswith("git@")):
                        entries.append(_Entry(dest, dest_dir, "image", source, False, None, position))
                        continue
                    entries.extend(self._context_entries(source, dest, dest_dir, position))
        self.entries.append(entries)
        self.workdirs.append(workdirs)
        self.external_copies.append(external)

    def _context_entries(self, source: str, dest: str, dest_dir: bool | None, position: int) -> list[_Entry]:
        cleaned = posixpath.normpath("/" + source).lstrip("/")
        context = self.context
        if any(char in cleaned for char in "*?["):
            matched = self._glob(cleaned)
            return [_Entry(dest, True, "context", path, path in context.dirs and path not in context.files, None,
                           position) for path in matched]
        is_dir = cleaned in context.dirs or cleaned == ""
        return [_Entry(dest, True if is_dir else dest_dir, "context", cleaned, is_dir, None, position)]

    def _glob(self, pattern: str) -> list[str]:
        parts = pattern.split("/")
        found = []
        for candidate in sorted(self.context.files | self.context.dirs):
            pieces = candidate.split("/") if candidate else []
            if len(pieces) == len(parts) and all(fnmatchcase(p, q) for p, q in zip(pieces, parts)):
                found.append(candidate)
        return found

    def workdir_at(self, stage: int, position: int) -> str:
        current = "/"
        for start, workdir in self.workdirs[stage]:
            if start < position:
                current = workdir
        return current

    def resolve(self, stage: int, path: str, before: int | None = None, extra: tuple[_Entry, ...] = (),
                depth: int = 0) -> tuple[str, str] | None:
        """The context file or directory at image ``path`` (``("file"|"dir", context-relative path)``)."""
        if depth > 2 * len(self.dockerfile.stages) + 4:
            return None
        for entry in extra:
            hit = self._match(entry, path, depth)
            if hit:
                return hit
        for entry in reversed(self.entries[stage]):
            if before is not None and entry.order >= before:
                continue
            hit = self._match(entry, path, depth)
            if hit:
                return hit
        parent = self.parents[stage]
        if parent is not None and parent != stage:
            return self.resolve(parent, path, None, (), depth + 1)
        return None

    def _match(self, entry: _Entry, path: str, depth: int) -> tuple[str, str] | None:
        context = self.context
        dest = entry.dest
        if entry.kind == "context":
            if entry.source_dir:
                if path == dest:
                    return ("dir", entry.source)
                prefix = dest if dest.endswith("/") else dest + "/"
                if path.startswith(prefix):
                    relpath = path[len(prefix):]
                    candidate = f"{entry.source}/{relpath}" if entry.source else relpath
                    if candidate in context.files:
                        return ("file", candidate)
                    if candidate in context.dirs:
                        return ("dir", candidate)
                return None
            name = posixpath.basename(entry.source)
            as_dir = posixpath.join(dest, name)
            if (entry.dest_dir and path == as_dir) or (not entry.dest_dir and path in (dest, as_dir)):
                if entry.source in context.files:
                    return ("file", entry.source)
            return None
        if entry.kind == "stage" and entry.stage is not None:
            as_file = entry.dest_dir is not True and path == posixpath.join(dest, posixpath.basename(entry.source))
            if path == dest or as_file:
                inner = entry.source
            elif path.startswith(dest.rstrip("/") + "/"):
                inner = entry.source.rstrip("/") + "/" + path[len(dest.rstrip("/")) + 1:]
            else:
                return None
            return self.resolve(entry.stage, inner, None, (), depth + 1)
        return None

    def chain(self, stage: int) -> list[int]:
        """The stage and the stages it is built FROM, nearest first."""
        result = [stage]
        current = self.parents[stage]
        while current is not None and current not in result:
            result.append(current)
            current = self.parents[current]
        return result

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
                for image_path, relpath in other.items():
                    if everything:
                        mapping.setdefault(image_path, relpath)
                    elif image_path == source or image_path.startswith(source.rstrip("/") + "/"):
                        mapping[posixpath.join(entry.dest, image_path[len(source):].lstrip("/"))] = relpath
        self._files[stage] = mapping
        return mapping

    # -- installs

    def installs(self, stage: int, depth: int = 0) -> "PythonInstall":
        cached = self._installs.get(stage)
        if cached is not None:
            return cached
        self._installs[stage] = _EMPTY_INSTALL  # cycle guard
        collected = _Collected()
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
                    f"`{instruction.text.splitlines()[0]}` copies files from another image", instruction.span))
        if base_reason is not None:
            collected.unresolved.append(base_reason)
        result = _combine(collected, baseline, parts)
        self._installs[stage] = result
        return result

    def _stage_installs(self, stage: int, out: _Collected) -> None:
        env = self.envs[stage]
        for instruction in self.dockerfile.stages[stage].instructions:
            if instruction.keyword != "RUN":
                continue
            position = self.order.get(id(instruction), -1)
            mounts = self._bind_mounts(stage, instruction, position)
            commands = run_commands(self.dockerfile, instruction, env)
            for command in commands:
                install = install_command(command)
                if install is not None:
                    workdir = self.workdir_at(stage, position)
                    self._read_install(stage, install, workdir, position, mounts, out)
                elif runs_script(command):
                    out.unresolved.append(Unresolved(
                        f"`{' '.join(command.argv)[:60]}` runs a script that may install packages",
                        command.span()))
                if generates_code(command):
                    out.generates_code = True

    def _bind_mounts(self, stage: int, instruction: Instruction, position: int) -> tuple[_Entry, ...]:
        entries = []
        for flag in instruction.flags:
            if flag.name != "mount" or not flag.value:
                continue
            fields = dict(part.partition("=")[::2] for part in flag.value.split(",") if part)
            if fields.get("type", "bind") != "bind":
                continue
            target = fields.get("target") or fields.get("dst") or fields.get("destination")
            if not target:
                continue
            source = fields.get("source") or fields.get("src") or ""
            workdir = self.workdir_at(stage, position)
            dest = _image_path(target, workdir)
            origin = fields.get("from")
            if origin:
                other = self.names.get(origin.lower())
                if other is not None:
                    entries.append(_Entry(dest, None, "stage", _image_path(source or "/", "/"), True, other, position))
                continue
            entries.extend(self._context_entries(source or ".", dest, None, position))
        return tuple(entries)

    def _read_install(self, stage: int, install: InstallCommand, workdir: str, position: int,
                      mounts: tuple[_Entry, ...], out: _Collected) -> None:
        instruction = install.command.instruction
        span = install.span()
        if install.tool != "system":
            out.install_spans.append(span)
        project = self.project

        def locate(word: ShellWord) -> tuple[str, str] | None:
            if word.dynamic:
                return None
            return self.resolve(stage, _image_path(word.text, workdir), position, mounts)

        def unresolved(reason: str) -> None:
            out.unresolved.append(Unresolved(reason, span))

        def project_dir(word: ShellWord, manifests: tuple[str, ...]) -> str | None:
            """The context directory of the project at image path ``word`` (found by its manifest files)."""
            if word.dynamic:
                return None
            base = _image_path(word.text, workdir)
            for name in manifests:
                hit = self.resolve(stage, posixpath.join(base, name), position, mounts)
                if hit is not None and hit[0] == "file":
                    return self.context.project_path(posixpath.dirname(hit[1]))
            hit = self.resolve(stage, base, position, mounts)
            if hit is not None and hit[0] == "dir":
                return self.context.project_path(hit[1])
            return None

        def local_project(word: ShellWord, extras: tuple[str, ...], **kwargs) -> None:
            directory = project_dir(word, ("pyproject.toml", "setup.cfg", "setup.py"))
            if directory is not None and read_local_project(project, directory, extras, span, out, **kwargs):
                return
            hit = locate(word)
            if hit is not None and hit[0] == "file":
                parsed = _file_name_requirement(hit[1])
                if parsed:
                    out.requirements.append(Requirement(parsed[0], (), word.text, span))
                    return
            unresolved(f"`{word.text}` is a local project composelint cannot read")

        tool = install.tool
        if tool == "system":
            for word in install.positionals:
                if word.dynamic:
                    unresolved(f"`{word.raw}` is decided when the image is built")
                    continue
                name = system_python_package(word.text)
                if name:
                    out.requirements.append(Requirement(name, (), word.text, span))
                    if span not in out.install_spans:
                        out.install_spans.append(span)
            return
        if tool == "conda":
            unresolved("conda installs packages composelint does not read")
            return
        if tool == "easy_install":
            for word in install.positionals:
                parsed = parse_requirement(word.text) if not word.dynamic else None
                if parsed:
                    out.requirements.append(Requirement(parsed[0], parsed[1], word.text, span))
                else:
                    unresolved(f"`{word.raw}` is not a requirement composelint can read")
            return
        if tool == "setup.py":
            local_project(ShellWord(posixpath.dirname(install.positionals[0].text) or ".", ".", 0), ())
            return
        if tool == "tool":
            for word in install.positionals:
                parsed = parse_requirement(word.text) if not word.dynamic else None
                if parsed:
                    out.tools.add(parsed[0])
            return
        if tool in ("uv sync", "poetry", "pdm", "pipenv") or (tool == "uv add"):
            directory = install.values("--project", "--directory", "-C", "--cwd")
            base = directory[-1] if directory else ShellWord(".", ".", 0)
            only = [word.text for word in install.values("--only")]
            groups = not install.has("--no-dev", "--only-group") and "main" not in only
            names = [w for w in install.positionals if install.subcommand == "add" or tool == "pipenv"]
            for word in names:
                parsed = parse_requirement(word.text) if not word.dynamic else None
                if parsed:
                    out.requirements.append(Requirement(parsed[0], parsed[1], word.text, span))
                else:
                    unresolved(f"`{word.raw}` is not a requirement composelint can read")
            extras = tuple(normalize(w.text) for w in install.values("--extra", "-E", "--extras"))
            if install.has("--all-extras"):
                extras += ("all",)
            kind = "pipenv" if tool == "pipenv" else "pip"
            directory = project_dir(base, ("Pipfile",) if kind == "pipenv" else ("pyproject.toml",))
            if directory is not None and read_local_project(project, directory, extras, span, out, groups=groups,
                                                            tool=kind):
                return
            if tool == "uv add" or (tool == "pipenv" and names):
                return
            unresolved(f"`{install.command.words[0].text} {install.subcommand}` reads a project composelint "
                       "cannot find")
            return
        # pip and uv pip
        for word in install.values("-r", "--requirement"):
            if word.dynamic:
                unresolved(f"`{word.raw}` is decided when the image is built")
                continue
            hit = locate(word)
            if hit is None or hit[0] != "file":
                unresolved(f"`{word.text}` is not copied from the build context before this step")
                continue
            path = self.context.project_path(hit[1])
            name = posixpath.basename(path)
            if name in ("pyproject.toml", "setup.cfg", "setup.py"):
                extras = tuple(normalize(w.text) for w in install.values("--extra"))
                if not read_local_project(project, posixpath.dirname(path), extras, span, out):
                    unresolved(f"`{path}` lists no dependencies composelint can read")
                continue
            read_requirements_file(project, path, out, origin=span)
        editables = install.values("-e", "--editable")
        for word in tuple(install.positionals) + editables:
            if word.dynamic:
                unresolved(f"`{word.raw}` is decided when the image is built")
                continue
            local = _local_spec(word.text)
            if local is not None:
                if any(char in local[0] for char in "*?["):
                    unresolved(f"`{word.text}` installs files composelint cannot read")
                    continue
                local_project(ShellWord(local[0], word.raw, word.start), local[1])
                continue
            parsed = parse_requirement(word.text) or _file_name_requirement(word.text)
            if parsed is None:
                if word.text.endswith((".whl", ".tar.gz", ".zip")) or _URL_RE.match(word.text):
                    unresolved(f"`{word.text}` names no distribution composelint can read")
                    continue
                local_project(ShellWord(word.text, word.raw, word.start), ())
                continue
            out.requirements.append(Requirement(parsed[0], parsed[1], word.text, install.command.span(
                install.command.words.index(word) if word in install.command.words else 0)))


# --------------------------------------------------------------------------- the installed set


@dataclass(frozen=True)
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


_EMPTY_INSTALL = PythonInstall(frozenset(), False, resolved=False)


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


def _combine(collected: _Collected, baseline: tuple[str, ...], parts: list[PythonInstall]) -> PythonInstall:
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


def image_repository(reference: str) -> str:
    """``docker.io/library/python:3.12@sha256:…`` -> ``python``; registry kept for other hosts."""
    ref = reference.strip().lower()
    ref = ref.split("@", 1)[0]
    last = ref.rsplit("/", 1)
    if ":" in last[-1]:
        ref = ref[: len(ref) - len(last[-1]) + last[-1].index(":")]
    for prefix in ("docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/",
                   "docker.io/", "index.docker.io/", "library/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
            break
    return ref


def base_image_packages(reference: str) -> tuple[str, ...] | None:
    """Python distributions a known base image ships; None for an image composelint does not know."""
    if not reference or "$" in reference:
        return None
    repository = image_repository(reference)
    known = tables().base_images
    if repository in known:
        return known[repository]
    for pattern, packages in known.items():
        if "*" in pattern and fnmatchcase(repository, pattern):
            return packages
    return None


def analysis(project: Project, dockerfile: Dockerfile, context: str | None = None) -> StageAnalysis:
    """The shared per-Dockerfile facts (built once per Dockerfile and build context)."""
    if context is None:
        context = default_context(project, dockerfile)
    return project.derived(f"python_deps.analysis:{dockerfile.path}\0{context}",
                           lambda p: StageAnalysis(p, dockerfile, context))


def default_context(project: Project, dockerfile: Dockerfile) -> str:
    """The build context compose uses for this Dockerfile, else the Dockerfile's own directory."""
    contexts = sorted({build.context for build in builds_of(project, dockerfile.path) if build.services})
    if contexts:
        return contexts[0]
    return posixpath.dirname(dockerfile.path)


def installed_python(project: Project, dockerfile: Dockerfile, stage: Stage | None,
                     context: str | None = None) -> PythonInstall:
    """What the Python environment of ``stage`` (None: the final stage) contains.

    ``context`` is the project-relative build context; by default the one compose builds this Dockerfile
    with, or the Dockerfile's directory.
    """
    if stage is None:
        stage = dockerfile.stage(None)
    if stage is None or stage.index >= len(dockerfile.stages):
        return _EMPTY_INSTALL
    try:
        return analysis(project, dockerfile, context).installs(stage.index)
    except RecursionError:  # pragma: no cover - bounded above; a last guard
        return _EMPTY_INSTALL


# --------------------------------------------------------------------------- builds


@dataclass(frozen=True)
class ImageBuild:
    """One image the project builds: a Dockerfile, its target stage and its build context."""

    dockerfile: Dockerfile
    stage: Stage
    context: str
    services: tuple  # Service: the compose services that build it (empty: a Dockerfile no service uses)


def image_builds(project: Project) -> tuple[ImageBuild, ...]:
    return project.derived("python_deps.builds", _compute_builds)


def builds_of(project: Project, dockerfile_path: str) -> tuple[ImageBuild, ...]:
    """The builds of one Dockerfile (indexed once, so that asking per Dockerfile stays linear)."""
    def index(project: Project) -> dict[str, tuple[ImageBuild, ...]]:
        grouped: dict[str, list[ImageBuild]] = {}
        for build in image_builds(project):
            grouped.setdefault(build.dockerfile.path, []).append(build)
        return {path: tuple(builds) for path, builds in grouped.items()}

    return project.derived("python_deps.builds_by_dockerfile", index).get(dockerfile_path, ())


def _all_services(project: Project) -> Iterator[Service]:
    for compose in project.compose_files.values():
        yield from compose.services.values()
    for deployment in project.deployments:
        yield from deployment.services.values()


def _compute_builds(project: Project) -> tuple[ImageBuild, ...]:
    groups: dict[tuple[str, int, str], dict[str, Service]] = {}
    dockerfiles: dict[str, Dockerfile] = {}
    for service in _all_services(project):
        build = service.build
        if build is None or service.dockerfile is None or service.stage is None or build.context_path is None:
            continue
        key = (service.dockerfile.path, service.stage.index, build.context_path)
        dockerfiles[service.dockerfile.path] = service.dockerfile
        groups.setdefault(key, {}).setdefault(service.name, service)
    builds = [ImageBuild(dockerfiles[path], dockerfiles[path].stages[index], context, tuple(services.values()))
              for (path, index, context), services in groups.items()]
    used = {build.dockerfile.path for build in builds}
    for path, dockerfile in project.dockerfiles.items():
        if path not in used and dockerfile.stages:
            builds.append(ImageBuild(dockerfile, dockerfile.stages[-1], posixpath.dirname(path), ()))
    builds.sort(key=lambda b: (b.dockerfile.path, b.stage.index, b.context))
    return tuple(builds)


def shipped_stages(project: Project, dockerfile: Dockerfile) -> frozenset:
    """Indexes of the stages whose layers end up in an image that runs: targets and their FROM chains."""
    targets = {build.stage.index for build in builds_of(project, dockerfile.path)}
    if dockerfile.stages:
        targets.add(len(dockerfile.stages) - 1)
    result: set[int] = set()
    for index in targets:
        result.update(stage_chain_of(dockerfile, index))
    return frozenset(result)


def stage_chain_of(dockerfile: Dockerfile, index: int) -> list[int]:
    """The stage and the earlier stages it is built FROM, nearest first."""
    names = {}
    parents: list[int | None] = []
    for stage in dockerfile.stages:
        parents.append(names.get(stage.base_resolved.lower()) if stage.base_resolved else None)
        if stage.name:
            names[stage.name] = stage.index
    chain = [index]
    current = parents[index] if index < len(parents) else None
    while current is not None and current not in chain:
        chain.append(current)
        current = parents[current]
    return chain


def runtime_install(service: Service) -> bool:
    """Whether the service's start command installs Python packages (CL201's finding)."""
    start = service.effective_start
    if start is None or not start.words:
        return False
    argv = start.argv
    dummy = Instruction("RUN", "", "", (), Span(service.file, Position(1, 1)), "")
    commands = []
    if argv and posixpath.basename(argv[0]) in _SHELLS:
        script = next((argv[i + 1] for i in range(len(argv) - 1) if argv[i].startswith("-") and "c" in argv[i]), None)
        if script is not None:
            commands = _simple_commands(script, {}, dummy, 0, 1)
    else:
        commands = [ShellCommand(tuple(ShellWord(a, a, 0) for a in argv), {}, dummy, 0)]
    return any(install_command(command) is not None for command in commands)


# --------------------------------------------------------------------------- imports


_EXTRA_STDLIB = frozenset((
    # removed from the standard library in 3.12 / 3.13, present in the images of older versions
    "distutils", "imp", "asynchat", "asyncore", "smtpd", "aifc", "audioop", "cgi", "cgitb", "chunk", "crypt",
    "imghdr", "mailcap", "msilib", "nis", "nntplib", "ossaudiodev", "pipes", "sndhdr", "spwd", "sunau",
    "telnetlib", "uu", "xdrlib", "lib2to3", "tomllib", "_distutils_hack", "__future__", "__main__", "typing",
    # added in 3.11-3.14, for a composelint that runs on an older Python than the image
    "annotationlib", "compression", "_interpreters", "_interpqueues", "_interpchannels", "wsgiref", "zoneinfo",
    "graphlib",
))


@functools.lru_cache(maxsize=1)
def stdlib_modules() -> frozenset:
    return frozenset(getattr(sys, "stdlib_module_names", ())) | _EXTRA_STDLIB | frozenset(sys.builtin_module_names)


@dataclass(frozen=True, slots=True)
class ImportRef:
    module: str  # dotted, as written ("google.cloud.storage")
    span: Span  # the module name in the import statement


def parse_python(text: str) -> ast.Module | None:
    if len(text) > MAX_PYTHON_SIZE or "\x00" in text:
        return None
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


_IMPORT_ERRORS = frozenset(("ImportError", "ModuleNotFoundError", "Exception", "BaseException"))


def _guards_import(handler: ast.excepthandler) -> bool:
    kind = handler.type  # type: ignore[attr-defined]
    if kind is None:
        return True
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    for name in names:
        text = name.id if isinstance(name, ast.Name) else (name.attr if isinstance(name, ast.Attribute) else "")
        if text in _IMPORT_ERRORS:
            return True
    return False


def _is_main_guard(test: ast.expr) -> bool:
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
            and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")


def runtime_imports(text: str, path: str) -> tuple[ImportRef, ...]:
    """Absolute imports a module runs when it loads (or runs as ``__main__``).

    Only statements at module level count: imports inside functions run on demand, imports in
    ``try`` blocks that catch ImportError are optional, imports under ``if TYPE_CHECKING:`` or any other
    ``if`` (platform, version checks) are conditional. ``if __name__ == "__main__":`` bodies do count.
    """
    tree = parse_python(text)
    if tree is None:
        return ()
    lines = text.splitlines()
    found: list[ImportRef] = []
    pending: list[list[ast.stmt]] = [list(tree.body)]
    while pending:
        for node in pending.pop():
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found.append(ImportRef(alias.name, _alias_span(path, lines, alias, node)))
            elif isinstance(node, ast.ImportFrom):
                if node.level == 0 and node.module:
                    found.append(ImportRef(node.module, _from_span(path, lines, node)))
            elif isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
                if not any(_guards_import(handler) for handler in node.handlers):  # type: ignore[attr-defined]
                    pending.append(list(node.body) + list(node.orelse)  # type: ignore[attr-defined]
                                   + list(node.finalbody))  # type: ignore[attr-defined]
            elif isinstance(node, ast.If):
                if _is_main_guard(node.test):
                    pending.append(list(node.body))
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                pending.append(list(node.body))
    found.sort(key=lambda ref: (ref.span.start.line, ref.span.start.column))
    return tuple(found)


def _column(lines: list[str], line: int, byte_offset: int) -> int:
    """ast columns count UTF-8 bytes; ours count code points, 1-based."""
    if 1 <= line <= len(lines):
        return len(lines[line - 1].encode("utf-8")[:byte_offset].decode("utf-8", "replace")) + 1
    return byte_offset + 1


def _alias_span(path: str, lines: list[str], alias: ast.alias, node: ast.stmt) -> Span:
    line = getattr(alias, "lineno", None) or node.lineno
    offset = getattr(alias, "col_offset", None)
    if offset is None:  # pragma: no cover - Python < 3.10
        offset = node.col_offset + len("import ")
    column = _column(lines, line, offset)
    return Span(path, Position(line, column), Position(line, column + len(alias.name)))


def _from_span(path: str, lines: list[str], node: ast.ImportFrom) -> Span:
    line = node.lineno
    column = _column(lines, line, node.col_offset)
    text = lines[line - 1] if 1 <= line <= len(lines) else ""
    match = re.compile(r"from\s+(" + re.escape(node.module or "") + r")\b").search(text, max(column - 1, 0))
    if match:
        column = match.start(1) + 1
        return Span(path, Position(line, column), Position(line, column + len(node.module or "")))
    return Span(path, Position(line, column))


def file_imports(project: Project, path: str) -> tuple[ImportRef, ...]:
    def compute(project: Project) -> tuple[ImportRef, ...]:
        text = project.read_text(path)
        return runtime_imports(text, path) if text else ()

    return project.derived(f"python_deps.imports:{path}", compute)


_SKIPPED_DIRS = frozenset(("test", "tests", "testing", "docs", "doc", "examples", "benchmarks", "benchmark",
                           "scripts", "tools", "site-packages", "dist-packages", "node_modules", "build", "dist",
                           "__pycache__", ".tox", ".nox", ".eggs", "venv", ".venv", "env", ".env", "fixtures",
                           "test_data", "testdata", "e2e", "integration_tests", "unit_tests", "notebooks"))
_SKIPPED_FILES = re.compile(r"^(?:test_.*|.*_test|.*_tests|conftest)\.py$")
# Development tooling that lives at the context root (invoke's tasks.py, not a package's Celery tasks.py).
_SKIPPED_ROOT_FILES = frozenset(("setup.py", "noxfile.py", "fabfile.py", "tasks.py", "dodo.py", "conf.py",
                                 "toxfile.py"))


def is_application_file(relpath: str) -> bool:
    """Python files that run in the image; tests, docs, tooling and vendored environments are left out."""
    if not relpath.endswith(".py"):
        return False
    parts = relpath.split("/")
    if any(part in _SKIPPED_DIRS or part.startswith(".") for part in parts[:-1]):
        return False
    if len(parts) == 1 and parts[0] in _SKIPPED_ROOT_FILES:
        return False
    return not _SKIPPED_FILES.match(parts[-1])


def first_party_modules(context: _Context) -> frozenset:
    """Top-level names the context itself provides: every module file and package directory, at any depth."""
    names: set[str] = set()
    for relpath in context.files:
        name = relpath.rsplit("/", 1)[-1]
        stem, dot, suffix = name.partition(".")
        if dot and (suffix in ("py", "pyi", "pyx", "pxd") or suffix.endswith(("so", "pyd"))):
            names.add(stem)
    for directory in context.dirs:
        if directory:
            names.add(directory.rsplit("/", 1)[-1])
    return frozenset(names)


_GENERATED_MODULE = re.compile(r"(?:_pb2|_pb2_grpc|_grpc|_rc|^_?version|^local_settings|^settings_local|_local)$")


@dataclass(frozen=True, slots=True)
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
                              _GENERATED_MODULE.search(top) or external):
                continue  # an unknown name: maybe generated, downloaded or copied from another image
            if any(install.has(candidate) is None for candidate in candidates):
                continue
            found.append(MissingImport(ref.module if known else top, candidates[0], known, ref.span))
    return tuple(found)
