"""Paths the repository's own automation creates before it builds or deploys.

A `.env` made by a Makefile target (`.env:` with `printf … >> .env`), a `.pki/` made by `mkdir -p .pki`
in the script that then builds, a `bundle-backend/` that a workflow moves into the build context: these
are not missing files, only files the checkout does not hold yet. CL008 (env_file) and CL406 / CL203
(build-context sources) ask here before they call a file missing.

Read from the texts of the automation files (shell scripts, Makefiles, CI workflows); nothing is run.
"""

from __future__ import annotations

import re
from typing import Iterable

from composelint.records import record
from composelint.relpaths import dirname, resolve_relative

# program -> which of its operands it creates: "all" (mkdir, touch) or "last" (the destination)
_CREATES = {"mkdir": "all", "touch": "all", "tee": "all", "cp": "last", "mv": "last", "ln": "last",
            "install": "last", "rsync": "last"}
_OUTPUT_FLAGS = ("-o", "-O", "--output", "-out", "--output-document")
_REDIRECT = re.compile(r"""(?<![<>&0-9])[0-9]?>>?\|?\s*["']?([^\s"';|&<>()$`]+)""")
_MAKE_TARGET = re.compile(r"^([^\s:#=$%][^:#=$%]*?)\s*::?(?!=)", re.MULTILINE)
_SPECIAL_TARGET = re.compile(r"^\.[A-Z_]+$")  # .PHONY, .DEFAULT, .SUFFIXES


@record(frozen=True, slots=True)
class Creation:
    path: str  # project-relative, what is created (a file or a directory)
    origin: str  # "path:line" of the automation that creates it
    command: str  # as written, shortened

    def describe(self) -> str:
        return f"`{self.command}` ({self.origin})"


class CreatedPaths:
    """Project-relative paths the automation creates; a path under a created directory counts too."""

    def __init__(self, creations: Iterable[Creation]) -> None:
        self.by_path: dict[str, Creation] = {}
        for creation in creations:
            self.by_path.setdefault(creation.path, creation)

    def creator(self, relpath: str | None) -> Creation | None:
        """What creates ``relpath`` or a directory holding it (None: nothing the repository runs)."""
        while relpath:
            found = self.by_path.get(relpath)
            if found is not None:
                return found
            relpath = dirname(relpath)
        return None

    def __bool__(self) -> bool:
        return bool(self.by_path)


def created_paths(files: Iterable[tuple[str, str]]) -> CreatedPaths:
    """Every path the automation files (path, text) create, with the first place that does."""
    creations: list[Creation] = []
    for path, text in files:
        name = path.rsplit("/", 1)[-1]
        if name in ("Makefile", "GNUmakefile", "makefile") or name.endswith(".mk"):
            directory = dirname(path)
            for match in _MAKE_TARGET.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                for target in match.group(1).split():
                    if not _SPECIAL_TARGET.match(target):
                        resolved = resolve_relative(directory, target)
                        if resolved:
                            creations.append(Creation(resolved, f"{path}:{line}", f"make {target}"))
        for unit, starts in _units(path, text):
            for start in starts:
                creations.extend(_unit_creations(path, unit, start))
    return CreatedPaths(creations)


_README = re.compile(r"(^|/)README[^/]*\.md$", re.IGNORECASE)
_FENCE = re.compile(r"^(```+|~~~+)[ \t]*(sh|bash|shell|console|zsh|)[ \t]*\n(.*?)^\1[ \t]*$",
                    re.MULTILINE | re.DOTALL)


def is_creator_path(relpath: str) -> bool:
    """Files whose commands may create paths: automation, and the setup steps a README documents."""
    from composelint.discovery import is_automation_path

    return is_automation_path(relpath) or _README.search(relpath) is not None


def project_created_paths(project) -> CreatedPaths:
    """The paths the project's automation and documented setup create (computed once per project)."""
    def compute(p) -> CreatedPaths:
        files = []
        for path in sorted(p.files):
            if is_creator_path(path):
                text = p.read_text(path)
                if text is not None:
                    files.append((path, text))
        return created_paths(files)

    return project.derived("created.paths", compute)


def _units(path: str, text: str):
    """(unit, the working directories it may start in) for each piece of shell the file runs."""
    from composelint.deployments import _unit_from_text, automation_units

    name = path.rsplit("/", 1)[-1]
    directory = dirname(path)
    if _README.search(path):
        # Documented setup (`cp env.example .env`), run from the README's directory.
        units = []
        for match in _FENCE.finditer(text):
            body = re.sub(r"^\s*\$ ", "", match.group(3), flags=re.MULTILINE)
            units.append((_unit_from_text(body, text.count("\n", 0, match.start(3)) + 1, 1, directory),
                          (directory,)))
        return units
    if name.endswith((".sh", ".bash")):
        # Run from its own directory or from the root (the usual callers); each resolution counts.
        return [(_unit_from_text(text, 1, 1, directory), tuple(dict.fromkeys((directory, ""))))]
    if path.startswith(".github/workflows/") or name.startswith(".gitlab-ci."):
        return [(unit, ("",)) for unit in _ci_units(path, text)]
    return [(unit, (unit.cwd,)) for unit in automation_units(path, text) if unit.cwd is not None]


def _ci_units(path: str, text: str):
    """The `run:` (GitHub) and `script:` (GitLab) shell of a CI file; each step starts at the root."""
    from composelint.deployments import _unit_from_text
    from composelint.parsers.yaml_loader import YamlLimits, load_yaml
    from composelint.yamltree import YMap, YScalar, YSeq

    document = load_yaml(text, path, YamlLimits(200_000, 100))
    units = []
    stack = [(document.root, None)]
    while stack:
        node, key = stack.pop()
        if isinstance(node, YMap):
            stack.extend((entry.value, name) for name, entry in node.entries.items())
        elif isinstance(node, YSeq):
            stack.extend((item, key) for item in node.items)
        elif isinstance(node, YScalar) and isinstance(node.value, str) and key in (
                "run", "script", "before_script", "after_script"):
            block = node.style in ("|", ">")
            units.append(_unit_from_text(node.value, node.span.start.line + (1 if block else 0),
                                         1 if block else node.span.start.column, ""))
    return units


def _unit_creations(path: str, unit, start: str | None) -> list[Creation]:
    from composelint.deployments import commands_of, shell_tokens

    tokens = shell_tokens(unit.text)
    found: list[Creation] = []
    cwd: str | None = start
    stack: list[str | None] = []
    spans: list[tuple[int, int, str | None]] = []  # (start, end, cwd) of each command, for redirections

    def add(written: str, offset: int, command: str, directory: str | None) -> None:
        written = written.strip("\"'").rstrip("/")
        if not written or directory is None or "$" in written or "*" in written:
            return
        resolved = resolve_relative(directory, written)
        if resolved:
            line = unit.position(offset)[0]
            found.append(Creation(resolved, f"{path}:{line}", command if len(command) <= 60 else command[:59] + "…"))

    for words in commands_of(tokens):
        program = words[0].text.rsplit("/", 1)[-1]
        command = " ".join(unit.text[words[0].start:words[-1].end].split())
        spans.append((words[0].start, words[-1].end, cwd))
        if program in ("cd", "pushd"):
            target = words[1] if len(words) > 1 else None
            if program == "pushd":
                stack.append(cwd)
            if target is None or target.symbolic or target.text.startswith(("/", "~", "-")):
                cwd = None
            elif cwd is not None:
                cwd = resolve_relative(cwd, target.text)
            continue
        if program == "popd":
            cwd = stack.pop() if stack else None
            continue
        operands = [word for word in words[1:] if not word.symbolic]
        mode = _CREATES.get(program)
        if mode == "all":
            for word in operands:
                if not word.text.startswith("-"):
                    add(word.text, word.start, command, cwd)
        elif mode == "last" and len(words) > 2 and not words[-1].symbolic:
            add(words[-1].text, words[-1].start, command, cwd)
        for flag, value in zip(words[1:], words[2:]):
            if flag.text in _OUTPUT_FLAGS and not value.symbolic:
                add(value.text, value.start, command, cwd)
    for match in _REDIRECT.finditer(unit.text):
        if match.group(1).startswith("/"):
            continue
        directory = next((c for s, e, c in spans if s <= match.start() <= e), start)
        command = next((" ".join(unit.text[s:e].split()) for s, e, c in spans if s <= match.start() <= e),
                       match.group(0))
        add(match.group(1), match.start(1), command, directory)
    return found
