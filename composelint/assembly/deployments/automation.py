"""The shell an automation file runs (workflows, GitLab CI, Taskfiles, justfiles, ``package.json``
scripts, shell scripts, Makefiles), and the deployment requests found in it.
"""

from __future__ import annotations

import re

from composelint.analysis.commands.directories import Directories
from composelint.analysis.commands.syntax import Token, command_tokens
from composelint.assembly.deployments.invocations import find_invocations
from composelint.assembly.deployments.makefiles import make_units
from composelint.assembly.deployments.requests import COMPOSE_VARIABLES, Request, mentions_deployment
from composelint.assembly.deployments.units import Unit, unit_from_text
from composelint.diagnostics import Position, Span
from composelint.lazyre import LazyPattern
from composelint.parsers.package_json import scripts_of
from composelint.relpaths import dirname, parents, resolve_relative
from composelint.sourcetext import SourceText


# The keys whose strings a CI runner runs as shell; any other string is a name, an image, an expression…
_SHELL_KEYS = {"workflow": frozenset(("run",)), "gitlab": frozenset(("script", "before_script", "after_script"))}


def _yaml_units(path: str, text: str, kind: str, wanted=None) -> list[Unit]:
    from composelint.parsers.yaml_loader import load_yaml
    from composelint.yamltree import YMap, YScalar, YSeq

    document = load_yaml(text, path)
    root = document.root
    if root is None:
        return []
    source_lines = text.split("\n")
    units: list[Unit] = []
    default_dir = dirname(path) if kind == "taskfile" else ""
    env_key = "variables" if kind == "gitlab" else "env"
    shell_keys = _SHELL_KEYS.get(kind)
    # (node, its key, working directory, COMPOSE_* variables of the enclosing env:/variables: blocks)
    stack: list[tuple[object, str | None, str | None, dict, dict]] = [(root, None, None, {}, {})]
    seen: set[int] = set()
    while stack:
        node, key, working, environment, where = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, YMap):
            own = node.get("working-directory") if kind == "workflow" else node.get("dir") \
                if kind == "taskfile" else None
            own_text = own.value if isinstance(own, YScalar) and isinstance(own.value, str) else None
            if own_text is not None:
                working = own_text
            block = node.get(env_key)
            if isinstance(block, YMap):
                values, spans = _ci_variables(block)
                environment, where = {**environment, **values}, {**where, **spans}
            for name, entry in node.entries.items():
                stack.append((entry.value, name, working, environment, where))
        elif isinstance(node, YSeq):
            stack.extend((item, key, working, environment, where) for item in node.items)
        elif isinstance(node, YScalar) and isinstance(node.value, str) and (
                shell_keys is None or key in shell_keys) and (wanted or mentions_deployment)(node.value):
            cwd = _working_dir(default_dir, working)
            unit = _scalar_unit(node, source_lines, cwd)
            unit.environment, unit.where = environment, where
            units.append(unit)
    units.sort(key=lambda unit: unit.pieces[0][1:])
    return units


def _ci_variables(block) -> tuple[dict[str, str], dict[str, Span]]:
    """COMPOSE_* of a workflow's `env:` or GitLab's `variables:` (`NAME: value` or `NAME: {value: …}`),
    and where each value is written."""
    from composelint.yamltree import YMap, YScalar

    result, spans = {}, {}
    for name in COMPOSE_VARIABLES:
        value = block.get(name)
        if isinstance(value, YMap):
            value = value.get("value")
        if isinstance(value, YScalar) and value.value is not None and not isinstance(value.value, bool):
            result[name] = str(value.value)  # a part holding `${{ … }}` stays symbolic, the others are read
            spans[name] = value.span
    return result, spans


def _working_dir(default_dir: str, working: str | None) -> str | None:
    if working is None:
        return default_dir
    if "$" in working:
        return None
    if working.startswith("/"):
        return None
    resolved = resolve_relative(default_dir, working)
    return resolved


def _scalar_unit(node, source_lines: list[str], cwd: str | None) -> Unit:
    """A YAML string as shell text, each of its lines mapped back to where it is written."""
    value = node.value
    span = node.span
    block = node.style in ("|", ">")
    quote = 1 if node.style in ("'", '"') else 0
    pieces: list[tuple[int, int, int]] = []
    if not block:
        pieces.append((0, span.start.line, span.start.column + quote))
    last_line = span.end.line if span.end is not None else span.start.line
    offset = len(source_lines[span.start.line - 1]) - span.start.column + 1 if not block and \
        span.start.line - 1 < len(source_lines) else 0
    for number in range(span.start.line + 1, min(last_line, len(source_lines)) + 1):
        source = source_lines[number - 1]
        content = source.strip()
        if not content:
            continue
        found = value.find(content, max(0, min(offset, len(value))) if not block else offset)
        if found < 0:
            continue
        pieces.append((found, number, len(source) - len(source.lstrip()) + 1))
        offset = found + len(content)
    if not pieces:
        pieces.append((0, span.start.line, span.start.column))
    if not block and len(pieces) == 1:  # one line: check that the value is written verbatim
        source = source_lines[span.start.line - 1] if span.start.line - 1 < len(source_lines) else ""
        written = source[span.start.column - 1 + quote:span.start.column - 1 + quote + len(value)]
        if written != value:
            pieces = [(0, span.start.line, span.start.column)]
    pieces.sort()
    return Unit(value, pieces, cwd)


def _package_json_units(path: str, text: str, wanted=None) -> list[Unit]:
    lines = SourceText(text)
    units = []
    for script in scripts_of(text).values():
        if not (wanted or mentions_deployment)(script.command):
            continue
        if script.value is not None:
            line, column = lines.position(script.value + 1)
            units.append(Unit(script.command, [(0, line, column)], dirname(path)))
        else:
            units.append(Unit(script.command, [(0, 1, 1)], dirname(path)))
    return units


def _justfile_units(path: str, text: str, wanted=None) -> list[Unit]:
    directory = dirname(path)
    variables = {}
    for match in re.finditer(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*:=\s*(['\"])([^'\"\n$]*)\2\s*$", text, re.MULTILINE):
        variables[match.group(1)] = match.group(3)
    units = []
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if not line[:1] in (" ", "\t") or not (wanted or mentions_deployment)(line):
            continue
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        skip = len(stripped) - len(stripped.lstrip("@-"))
        body = stripped[skip:]
        if "{{" in body:
            body = re.sub(r"\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}",
                          lambda m: variables.get(m.group(1), "${" + m.group(1) + "}"), body)
        units.append(Unit(body, [(0, number, indent + skip + 1)], directory))
    return units


def automation_units(path: str, text: str, wanted=None) -> list[Unit]:
    """The shell text an automation file runs, each piece with its working directory.

    ``wanted(text)`` keeps a piece; by default only those that may run a deployment
    (``mentions_deployment``), which is all the planner reads."""
    name = path.rsplit("/", 1)[-1]
    directory = dirname(path)
    if name in ("Makefile", "GNUmakefile", "makefile"):
        return make_units(path, text, directory, wanted)
    if name.endswith(".mk"):  # included by a Makefile: make runs it from that Makefile's directory
        units = make_units(path, text, directory, wanted)
        for unit in units:
            unit.fallback_dirs = tuple(d for d in parents(directory) if d != directory)
        return units
    if name.endswith((".sh", ".bash")):
        # A script runs from its caller's directory: usually its own, the repository root or between.
        fallback = tuple(d for d in parents(directory) if d != directory)
        return [unit_from_text(text, 1, 1, directory, fallback_dirs=fallback, own_dir=directory)] \
            if (wanted or mentions_deployment)(text) else []
    if name in ("justfile", "Justfile", ".justfile"):
        return _justfile_units(path, text, wanted)
    if name == "package.json":
        return _package_json_units(path, text, wanted)
    if name.startswith("Taskfile."):
        return _yaml_units(path, text, "taskfile", wanted)
    if path.startswith(".github/workflows/"):
        return _yaml_units(path, text, "workflow", wanted)
    if name.startswith(".gitlab-ci."):
        return _yaml_units(path, text, "gitlab", wanted)
    return []


_DIRNAME_OF_SCRIPT = LazyPattern(
    r"^\$\(\s*dirname\s+\"?\$(?:0|\{0\}|\{BASH_SOURCE(?:\[0\])?\}|BASH_SOURCE)\"?\s*\)(/.*)?$")


_WRITES = re.compile(
    r"""(?:>>?|\btee\s+(?:-a\s+)?|(?:^|\s)-o\s*|--output[=\s]|\b(?:cp|mv|ln|install)\s+(?:-\S+\s+)*\S+\s+)"""
    r"""\s*["']?([^\s"';|&<>]+)""")


MAKE_TARGET = LazyPattern(r"^([^\s:#=][^:#=]*?)\s*::?(?!=)", re.MULTILINE)


def written_files(path: str, text: str) -> frozenset:
    """Names an automation file writes itself (redirections, tee, cp, Make targets): generated files."""
    names = {match.group(1) for match in _WRITES.finditer(text)}
    name = path.rsplit("/", 1)[-1]
    if name in ("Makefile", "GNUmakefile", "makefile") or name.endswith(".mk"):
        for match in MAKE_TARGET.finditer(text):
            names.update(match.group(1).split())
    return frozenset(names | {item.rsplit("/", 1)[-1] for item in names})


# What a documented command must do to show a deployment: start it (or render it, or deploy a stack).
_DOCUMENTED_SUBCOMMANDS = frozenset(("up", "run", "create", "start", "restart", "watch", "config", "deploy"))


def automation_requests(path: str, text: str, source: str = "automation",
                        units: list[Unit] | None = None) -> list[Request]:
    """Every ``docker compose`` / ``docker stack deploy`` invocation in one automation file
    (or, with ``source="documented"``, in the shell ``units`` of a document)."""
    requests = []
    generated = written_files(path, text) if source == "automation" else frozenset()
    for unit in automation_units(path, text) if units is None else units:
        # The directories the unit may run in, most likely first (a script's caller is unknown:
        # its own directory, or one above); a `cd` moves each, and one that names no directory of
        # the repository drops out in the planner.
        start = (unit.cwd,) + tuple(unit.fallback_dirs) if unit.cwd is not None else None

        def change(cwds: tuple[str, ...] | None, target: Token, unit=unit) -> tuple[str, ...] | None:
            moved = _change_directory(cwds, target, unit.own_dir)
            if source == "documented" and cwds and moved is not None:
                # `git clone …/app.git && cd app`: the reader's clone is this repository, so the
                # directory may not exist in it; the planner keeps the first candidate that does.
                moved = tuple(dict.fromkeys(moved + cwds))
            return moved

        directories = Directories(start, change, None)
        environment = dict(unit.environment)
        where = dict(unit.where)

        def span_of(token: Token, unit=unit) -> Span:
            line, column = unit.position(token.start)
            end_line, end_column = unit.position(max(token.start, token.end - 1))
            if end_line == line:
                return Span(path, Position(line, column), Position(line, end_column + 1))
            return Span(path, Position(line, column))

        for words, parsed in command_tokens(unit.text):
            if directories.follow(words, parsed.subshell, parsed.in_function):
                continue
            cwds = directories.current
            head = words[0].text if not words[0].symbolic else ""
            if head in ("export", "unset"):
                for word in words[1:]:
                    name, eq, value = word.text.partition("=")
                    if name in COMPOSE_VARIABLES:
                        if head == "unset":
                            environment.pop(name, None)
                        elif eq:
                            environment[name] = value if not word.symbolic else "$" + name
                            where[name] = span_of(word)
                continue
            for invocation in find_invocations(words, span_of):
                if source == "documented" and invocation.subcommand not in _DOCUMENTED_SUBCOMMANDS:
                    continue  # `docker compose ps` / `down` in a how-to shows no way to deploy
                origin = invocation.program.span
                if unit.origin is not None and unit.origin[0] != origin.line:  # written through a variable
                    origin = Span(path, Position(*unit.origin))
                command = unit.text[words[0].start:invocation.end]
                swarm = invocation.orchestrator == "swarm"
                requests.append(Request(
                    source=source, origin=origin, cwd=cwds[0] if cwds else None, files=invocation.files,
                    profiles=tuple(a.text for a in invocation.profiles) if invocation.profiles else None,
                    env_files=invocation.env_files, project_directory=invocation.project_directory,
                    name=invocation.project_name.text if swarm and invocation.project_name is not None
                    and not invocation.project_name.symbolic else None,
                    targets=tuple(a.text for a in invocation.targets if not a.symbolic),
                    unresolved=invocation.unresolved + tuple(a for a in invocation.profiles if a.symbolic),
                    command=" ".join(command.replace("\\\n", " ").split()), fallback_dirs=cwds[1:] if cwds else (),
                    environment={} if swarm else {**environment, **invocation.environment},
                    where={name: span for name, span in where.items() if name not in invocation.environment},
                    generated=generated, orchestrator=invocation.orchestrator))
    return requests


def _change_directory(cwds: tuple[str, ...] | None, target: Token, own_dir: str) -> tuple[str, ...] | None:
    """The candidate working directories after ``cd TARGET`` (None: unknown)."""
    if not target.symbolic:
        if target.text.startswith("/"):
            return None
        if cwds is None:
            return None
        moved = tuple(dict.fromkeys(d for d in (resolve_relative(c, target.text) for c in cwds) if d is not None))
        return moved or None
    match = _DIRNAME_OF_SCRIPT.match(target.text)
    if match and "$" not in (match.group(1) or ""):
        moved = resolve_relative(own_dir, (match.group(1) or "/.")[1:] or ".")
        return (moved,) if moved is not None else None
    return None
