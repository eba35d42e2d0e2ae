"""Which compose files are deployed together, and where the repository says so.

A deployment is what one ``docker compose`` command runs: an ordered list of files merged as
``docker compose -f a -f b`` merges them (:mod:`composelint.merge`), the profiles it enables,
its env files and its project directory. They are found, in this order:

1. ``deployments:`` in the configuration. When the configuration lists deployments, they are
   the only ones: an explicit list beats inference.
2. ``COMPOSE_FILE`` (split on ``COMPOSE_PATH_SEPARATOR``, default ``:``) and
   ``COMPOSE_PROFILES`` in a directory's ``.env``: what ``docker compose up`` runs there.
3. ``docker compose`` / ``docker-compose`` invocations in the repository's own automation:
   Makefiles and ``*.mk`` (variables defined in the same Makefile are expanded), shell
   scripts, justfiles, ``Taskfile.yml``, GitHub workflows, ``.gitlab-ci.yml`` and
   ``package.json`` scripts. Their ``-f/--file``, ``--profile``, ``--env-file``,
   ``--project-directory`` and ``-p`` are read; an argument that holds a variable
   composelint cannot expand is kept symbolic and reported, never guessed. An invocation
   without ``-f`` runs what ``docker compose`` finds in its directory (``COMPOSE_FILE`` of
   the ``.env`` there, else the default files). ``COMPOSE_FILE``, ``COMPOSE_PROFILES`` and
   ``COMPOSE_ENV_FILES`` are read where they are set for it: a ``VAR=… docker compose``
   prefix, an ``export`` earlier in the script, a workflow's ``env:`` (workflow, job or
   step) or GitLab's ``variables:``. A script's ``cd``/``pushd``/``popd`` are followed from
   every directory it may be run from (its own, or one above), keeping those where the
   directory exists. ``docker stack deploy -c FILE… STACK`` is a Swarm deployment
   (``orchestrator="swarm"``): the same merge of its files, under Swarm's semantics.
   ``-f -`` (standard input) names nothing of the repository and is not a missing file.
4. Documented commands that start a deployment (``up``, ``run``, ``config``, ``docker stack
   deploy`` …): the shell blocks of Markdown files — any ``README``, the ``docs/`` tree,
   Markdown beside a compose file — read like a script (see :func:`document_units`). A documented command counts only when every file it names
   exists (or, without ``-f``, its directory has a compose file): documentation shows
   examples to adapt, so it never yields CL008.
5. The defaults: in each directory with ``compose.yaml`` (``compose.yml``,
   ``docker-compose.yml``, ``docker-compose.yaml``), that file and its override file, as
   ``docker compose up`` there runs them — but only for a base file that no deployment found
   above already includes. A repository whose Makefile runs ``docker compose -f
   docker-compose.yml -f docker-compose.prod.yml up`` is deployed that way; assuming a plain
   ``docker compose up`` there as well would report the same services twice with different
   settings.

Identical deployments (same files, profiles, env files, project directory and orchestrator)
found twice count once, at the first place they were found.

This module parses what it is given; :mod:`composelint.project` reads the files and builds the
merged model of each deployment. It also answers, for the rules, which compose files no
deployment includes (:func:`undeployed_files`).
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import field, replace
from typing import Callable, Iterator, Mapping, Sequence

from composelint.analysis.commands.directories import Directories
from composelint.analysis.commands.syntax import Token, command_tokens
from composelint.analysis.commands.tables import WRAPPERS
from composelint.diagnostics import Position, Span
from composelint.discovery import TEMPLATE_SUFFIXES
from composelint.model import Located, ParseProblem
from composelint.records import record
from composelint.relpaths import dirname, resolve_relative
from composelint.sourcetext import SourceText

DEFAULT_BASES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
DEFAULT_OVERRIDES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                     "docker-compose.override.yaml")
SOURCES = ("config", "dotenv", "automation", "documented", "default")


@record(frozen=True, slots=True)
class Arg:
    """A word of an invocation: the text after quote removal, where it is written, and whether
    it still holds a variable or a substitution composelint does not expand."""

    text: str
    span: Span
    symbolic: bool = False


@record(frozen=True)
class Request:
    """A deployment as written, before its paths are resolved."""

    source: str  # "config" | "dotenv" | "automation" | "documented" | "default"
    origin: Span | None
    cwd: str | None  # directory relative paths are resolved against; None: unknown
    files: tuple[Arg, ...] = ()  # () -> COMPOSE_FILE of cwd's .env, else the default files
    profiles: tuple[str, ...] | None = None  # None: not given (COMPOSE_PROFILES applies)
    env_files: tuple[Arg, ...] = ()
    project_directory: Arg | None = None
    name: str | None = None
    targets: tuple[str, ...] = ()  # services named on the command line (their profiles are enabled)
    unresolved: tuple[Arg, ...] = ()  # symbolic words among compose's own options
    command: str = ""  # the invocation as written
    fallback_dirs: tuple[str, ...] = ()  # other working directories to try (a shell script's caller)
    environment: Mapping[str, str] = field(default_factory=dict)  # COMPOSE_FILE=… docker compose …
    where: Mapping[str, Span] = field(default_factory=dict)  # where an `export`/`env:` set a variable
    generated: frozenset = frozenset()  # file names the automation itself writes (`> compose.gen.yml`)
    orchestrator: str = "compose"  # "swarm": `docker stack deploy -c FILE STACK`


@record(frozen=True)
class Plan:
    """A deployment with its paths resolved: what project.py loads and merges."""

    name: str
    source: str
    origin: Span | None
    files: tuple[str, ...]
    project_dir: str
    profiles: tuple[str, ...]
    env_files: tuple[str, ...]
    unresolved: tuple[Located[str], ...] = ()
    targets: tuple[str, ...] = ()
    command: str = ""
    dotenv: str | None = None  # the .env that feeds interpolation when no env file is given
    orchestrator: str = "compose"
    notes: tuple[str, ...] = ()  # for listings (a template standing in for the override)

    def key(self) -> tuple:
        return (self.files, tuple(sorted(self.profiles)), self.env_files, self.project_dir, self.orchestrator)


# ============================================================================ invocations


@record(frozen=True)
class Invocation:
    files: tuple[Arg, ...]
    profiles: tuple[Arg, ...]
    env_files: tuple[Arg, ...]
    project_directory: Arg | None
    project_name: Arg | None
    subcommand: str | None
    targets: tuple[Arg, ...]
    unresolved: tuple[Arg, ...]
    program: Arg  # `docker` or `docker-compose`
    end: int  # offset after the last word of the command
    environment: Mapping[str, str]
    orchestrator: str = "compose"  # "swarm" for `docker stack deploy`


_COMPOSE_VALUE_FLAGS = {"-f": "file", "--file": "file", "--profile": "profile", "--env-file": "env_file",
                        "--project-directory": "project_directory", "-p": "project_name",
                        "--project-name": "project_name", "--ansi": None, "--progress": None,
                        "--parallel": None, "--workdir": "project_directory", "-c": None, "--context": None,
                        "-H": None, "--host": None, "--log-level": None, "-l": None, "--config": None}
_DOCKER_VALUE_FLAGS = frozenset(("-c", "--context", "-H", "--host", "--config", "-l", "--log-level", "--tlscacert",
                                 "--tlscert", "--tlskey"))
# Subcommands that start services, and their flags that take a value.
_TARGET_SUBCOMMANDS = {
    "up": {"--scale", "-t", "--timeout", "--exit-code-from", "--attach", "--no-attach", "--pull", "--wait-timeout"},
    "run": {"-e", "--env", "--env-from-file", "--entrypoint", "-l", "--label", "--name", "-p", "--publish",
            "-u", "--user", "-v", "--volume", "-w", "--workdir", "--pull", "--cap-add", "--cap-drop"},
    "create": {"--scale", "--pull"},
    "start": set(),
    "restart": {"-t", "--timeout"},
}
# Words before the program: the wrappers automation is read through, reserved words, Makefile's `-`/`@`.
_WRAPPERS = frozenset(name for name, wrapper in WRAPPERS.items() if wrapper.automation) | frozenset((
    "then", "do", "else", "if", "while", "until", "!", "{", "-", "@"))
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def mentions_deployment(text: str) -> bool:
    """Whether a text may hold a `docker compose` / `docker-compose` / `docker stack deploy` call."""
    return "compose" in text or "stack" in text


def _basename(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def find_invocations(words: list[Token], span_of: Callable[[Token], Span]) -> Iterator[Invocation]:
    """``docker compose …`` / ``docker-compose …`` in one simple command."""
    index = 0
    environment: dict[str, str] = {}
    while index < len(words):
        word = words[index]
        if not word.symbolic and _ASSIGNMENT.match(word.text):
            name, _, value = word.text.partition("=")
            environment[name] = value
            index += 1
            continue
        name = _basename(word.text)
        if name == "docker-compose" and not word.symbolic:
            yield _parse_invocation(words, index, index + 1, span_of, environment)
            return
        if name in ("docker", "podman") and not word.symbolic:
            j = index + 1
            while j < len(words) and words[j].text.startswith("-"):
                j += 2 if words[j].text in _DOCKER_VALUE_FLAGS else 1
            if j < len(words) and words[j].text == "compose":
                yield _parse_invocation(words, index, j + 1, span_of, environment)
                return
            if j + 1 < len(words) and words[j].text == "stack" and words[j + 1].text in ("deploy", "up"):
                stack = _parse_stack_deploy(words, index, j + 2, span_of, environment)
                if stack is not None:
                    yield stack
            return
        if word.text in _WRAPPERS or word.text.startswith("-"):
            index += 1
            continue
        return


def _parse_invocation(words: list[Token], program_at: int, start: int, span_of, environment) -> Invocation:
    values: dict[str, list[Arg]] = {"file": [], "profile": [], "env_file": [], "project_directory": [],
                                    "project_name": []}
    unresolved: list[Arg] = []
    subcommand = None
    index = start
    while index < len(words):
        word = words[index]
        text = word.text
        if word.symbolic and not text.startswith("-"):
            unresolved.append(Arg(text, span_of(word), True))
            index += 1
            continue
        if not text.startswith("-") or text == "-":
            subcommand = text
            index += 1
            break
        flag, eq, inline = text.partition("=")
        if flag not in _COMPOSE_VALUE_FLAGS and not eq and len(text) > 2 and text[:2] in ("-f", "-p") \
                and not text.startswith("--"):
            flag, inline, eq = text[:2], text[2:], "="  # -fdocker-compose.yml
        kind = _COMPOSE_VALUE_FLAGS.get(flag, "?")
        if kind == "?":  # a flag without a value (--dry-run, --compatibility …)
            index += 1
            continue
        if eq:
            value = Arg(inline, _sub_span(span_of(word), len(text) - len(inline)), word.symbolic)
            index += 1
        elif index + 1 < len(words):
            following = words[index + 1]
            value = Arg(following.text, span_of(following), following.symbolic)
            index += 2
        else:
            index += 1
            continue
        if kind is not None:
            values[kind].append(value)
    targets: list[Arg] = []
    if subcommand in _TARGET_SUBCOMMANDS:
        value_flags = _TARGET_SUBCOMMANDS[subcommand]
        while index < len(words):
            word = words[index]
            if word.text == "--":
                break
            if word.text.startswith("-"):
                index += 2 if word.text in value_flags else 1
                continue
            targets.append(Arg(word.text, span_of(word), word.symbolic))
            index += 1
            if subcommand == "run":
                break  # the rest is the command to run
    program = words[program_at]
    return Invocation(
        files=tuple(values["file"]), profiles=tuple(values["profile"]), env_files=tuple(values["env_file"]),
        project_directory=values["project_directory"][-1] if values["project_directory"] else None,
        project_name=values["project_name"][-1] if values["project_name"] else None,
        subcommand=subcommand, targets=tuple(targets), unresolved=tuple(unresolved),
        program=Arg(program.text, span_of(program)), end=words[-1].end, environment=dict(environment))


_STACK_VALUE_FLAGS = frozenset(("-c", "--compose-file", "--resolve-image", "--orchestrator", "--namespace",
                                 "--kubeconfig", "-d", "--detach"))


def _parse_stack_deploy(words: list[Token], program_at: int, start: int, span_of, environment) -> Invocation | None:
    """``docker stack deploy -c FILE [-c FILE…] STACK`` (Swarm): the compose files and the stack's name.

    Without ``-c`` (a ``--bundle-file`` of old) it deploys nothing composelint can read: None."""
    files: list[Arg] = []
    unresolved: list[Arg] = []
    stack: Arg | None = None
    index = start
    while index < len(words):
        word = words[index]
        flag, eq, inline = word.text.partition("=")
        if flag in ("-c", "--compose-file"):
            if eq:
                files.append(Arg(inline, _sub_span(span_of(word), len(word.text) - len(inline)), word.symbolic))
                index += 1
            elif index + 1 < len(words):
                following = words[index + 1]
                files.append(Arg(following.text, span_of(following), following.symbolic))
                index += 2
            else:
                index += 1
            continue
        if len(word.text) > 2 and word.text.startswith("-c") and not word.text.startswith("--"):
            files.append(Arg(word.text[2:], _sub_span(span_of(word), 2), word.symbolic))  # -cstack.yml
            index += 1
            continue
        if word.text.startswith("-"):
            # --detach / -d take no value unless written `--detach=false`
            index += 2 if flag in _STACK_VALUE_FLAGS and not eq and flag not in ("-d", "--detach") else 1
            continue
        if stack is None:
            stack = Arg(word.text, span_of(word), word.symbolic)
        index += 1
    if not files:
        return None
    program = words[program_at]
    return Invocation(files=tuple(files), profiles=(), env_files=(), project_directory=None, project_name=stack,
                      subcommand="deploy", targets=(), unresolved=tuple(unresolved),
                      program=Arg(program.text, span_of(program)), end=words[-1].end,
                      environment=dict(environment), orchestrator="swarm")


def _sub_span(span: Span, offset: int) -> Span:
    if span.end is None or span.end.line != span.start.line:
        return span
    return Span(span.path, Position(span.start.line, span.start.column + offset), span.end)


# ============================================================================ text units


@record
class _Unit:
    """A piece of shell text and where each of its characters is written."""

    text: str
    pieces: list[tuple[int, int, int]]  # (offset in text, line, column) where a linear run starts
    cwd: str | None
    fallback_dirs: tuple[str, ...] = ()
    own_dir: str = ""  # for `cd "$(dirname "$0")"`
    origin: tuple[int, int] | None = None  # a Makefile recipe line: where the invocation is found
    environment: dict = field(default_factory=dict)  # COMPOSE_* set around it (a CI `env:` block)
    where: dict = field(default_factory=dict)  # variable -> Span of the value that set it

    def position(self, offset: int) -> tuple[int, int]:
        starts = self.__dict__.get("_starts")
        if starts is None:
            starts = self.__dict__["_starts"] = [piece[0] for piece in self.pieces]
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        start, line, column = self.pieces[index]
        return line, column + (offset - start)


def _unit_from_text(text: str, first_line: int, first_column: int, cwd: str | None, **kwargs) -> _Unit:
    pieces = []
    offset = 0
    line, column = first_line, first_column
    for physical in text.split("\n"):
        pieces.append((offset, line, column))
        offset += len(physical) + 1
        line, column = line + 1, 1
    return _Unit(text, pieces, cwd, **kwargs)


# ----------------------------------------------------------------------------- Makefiles

_MAKE_ASSIGN = re.compile(
    r"^(?:(?:export|override|private)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(:::=|::=|:=|\?=|\+=|!=|=)\s?(.*)$")
_MAKE_MAX_EXPANSION = 100_000


def _make_units(path: str, text: str, directory: str, wanted=None) -> list[_Unit]:
    """Recipe lines of a Makefile with the variables defined in it expanded."""
    lines = text.split("\n")
    logical: list[tuple[int, list[tuple[str, int, int]]]] = []  # (first line, [(text, line, column)])
    index = 0
    while index < len(lines):
        first = index
        parts = []
        while True:
            line = lines[index]
            column = 1
            if index > first and line.startswith("\t"):
                line, column = line[1:], 2
            if line.endswith("\\") and not line.endswith("\\\\") and index + 1 < len(lines):
                parts.append((line[:-1] + " ", index + 1, column))
                index += 1
                continue
            parts.append((line, index + 1, column))
            index += 1
            break
        logical.append((first + 1, parts))
    variables: dict[str, list[tuple[str, int, int]]] = {}
    exported: set[str] = set()
    recipes: list[list[tuple[str, int, int]]] = []
    in_define = None
    for first, parts in logical:
        joined = "".join(part[0] for part in parts)
        if in_define is not None:
            if joined.strip() == "endef":
                in_define = None
            continue
        if joined.startswith("define "):
            in_define = joined
            continue
        if joined.startswith("\t"):
            text0, line0, column0 = parts[0]
            stripped = text0[1:]
            skip = len(stripped) - len(stripped.lstrip("@-+ \t"))
            recipes.append([(stripped[skip:], line0, column0 + 1 + skip)] + parts[1:])
            continue
        match = _MAKE_ASSIGN.match(joined)
        if match and (match.group(2) != "=" or ":" not in joined[:match.start(2)]):
            name, operator, value = match.group(1), match.group(2), match.group(3)
            text0, line0, column0 = parts[0]
            value_start = match.start(3)
            value_parts = _slice_parts(parts, value_start)
            if operator == "!=":
                value_parts = [("$(shell " + value + ")", line0, column0 + value_start)]
            if operator == "?=" and name in variables:
                continue
            if operator == "+=" and name in variables:
                variables[name] = variables[name] + [(" ", line0, column0)] + value_parts
            else:
                variables[name] = value_parts
            if name in _COMPOSE_VARIABLES and re.match(r"^\s*export\s", joined):
                exported.add(name)  # `export COMPOSE_FILE = …`: in the environment of every recipe
            continue
        # `target: ; recipe` — a recipe on the rule line
        rule = re.match(r"^[^:=#\t][^:=#]*:(?!=)[^;#]*;(.*)$", joined)
        if rule:
            recipes.append(_slice_parts(parts, rule.start(1)))
    variables.setdefault("CURDIR", [(".", 0, 0)])
    environment = {}
    for name in sorted(exported):
        pieces = []
        _make_expand(variables[name], variables, pieces, 0, [0])
        environment[name] = "".join(piece[0] for piece in pieces).strip()
    units = []
    for parts in recipes:
        pieces: list[tuple[str, int, int]] = []
        _make_expand(parts, variables, pieces, 0, [0])
        mapping = []
        offset = 0
        for piece_text, line, column in pieces:
            mapping.append((offset, line, column))
            offset += len(piece_text)
        text_out = "".join(piece[0] for piece in pieces)
        if (wanted or mentions_deployment)(text_out):
            units.append(_Unit(text_out, mapping or [(0, 1, 1)], directory, origin=parts[0][1:],
                               environment=dict(environment)))
    return units


def _slice_parts(parts: list[tuple[str, int, int]], offset: int) -> list[tuple[str, int, int]]:
    """``parts`` (a logical line as physical pieces) from character ``offset`` of the joined text."""
    result = []
    seen = 0
    for text, line, column in parts:
        if seen + len(text) <= offset:
            seen += len(text)
            continue
        skip = max(0, offset - seen)
        result.append((text[skip:], line, column + skip))
        seen += len(text)
    return result


def _make_expand(parts, variables, out: list, depth: int, budget: list[int]) -> None:
    """Append the expansion of ``parts`` to ``out`` as (text, line, column) runs.

    ``budget`` counts the characters emitted: past the limit the expansion stops, so variables
    that double at every level (a Makefile bomb) cost bounded time.
    """

    def emit(text: str, line: int, column: int) -> None:
        out.append((text, line, column))
        budget[0] += len(text)

    for text, line, column in parts:
        position = 0
        while position < len(text):
            if budget[0] >= _MAKE_MAX_EXPANSION:
                return
            dollar = text.find("$", position)
            if dollar < 0:
                emit(text[position:], line, column + position)
                break
            if dollar > position:
                emit(text[position:dollar], line, column + position)
            following = text[dollar + 1:dollar + 2]
            if following == "$":
                emit("$", line, column + dollar)
                position = dollar + 2
                continue
            if following in ("(", "{"):
                closer = ")" if following == "(" else "}"
                end = _balanced(text, dollar + 1, following, closer)
                name = text[dollar + 2:end].strip()
                definition = variables.get(name) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name) else None
                if definition is not None and depth < 20:
                    _make_expand(definition, variables, out, depth + 1, budget)
                else:
                    emit(text[dollar:end + 1], line, column + dollar)
                position = end + 1
                continue
            emit(text[dollar:dollar + 2], line, column + dollar)
            position = dollar + 2


def _balanced(text: str, open_at: int, opener: str, closer: str) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] == opener:
            depth += 1
        elif text[index] == closer:
            depth -= 1
            if depth == 0:
                return index
    return len(text) - 1


# ----------------------------------------------------------------------------- YAML and JSON automation


def _yaml_units(path: str, text: str, kind: str, wanted=None) -> list[_Unit]:
    from composelint.parsers.yaml_loader import load_yaml
    from composelint.yamltree import YMap, YScalar, YSeq

    document = load_yaml(text, path)
    root = document.root
    if root is None:
        return []
    source_lines = text.split("\n")
    units: list[_Unit] = []
    default_dir = dirname(path) if kind == "taskfile" else ""
    env_key = "variables" if kind == "gitlab" else "env"
    # (node, working directory, COMPOSE_* variables of the enclosing env:/variables: blocks)
    stack: list[tuple[object, str | None, dict, dict]] = [(root, None, {}, {})]
    seen: set[int] = set()
    while stack:
        node, working, environment, where = stack.pop()
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
            for entry in node.entries.values():
                stack.append((entry.value, working, environment, where))
        elif isinstance(node, YSeq):
            stack.extend((item, working, environment, where) for item in node.items)
        elif isinstance(node, YScalar) and isinstance(node.value, str) and (wanted or mentions_deployment)(node.value):
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
    for name in _COMPOSE_VARIABLES:
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


def _scalar_unit(node, source_lines: list[str], cwd: str | None) -> _Unit:
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
    return _Unit(value, pieces, cwd)


def _package_json_units(path: str, text: str, wanted=None) -> list[_Unit]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict):
        return []
    lines = SourceText(text)
    units = []
    search_from = max(0, text.find('"scripts"'))
    for name, command in scripts.items():
        if not isinstance(command, str) or not (wanted or mentions_deployment)(command):
            continue
        encoded = json.dumps(command, ensure_ascii=False)
        key = json.dumps(name, ensure_ascii=False)
        at = text.find(key, search_from)
        value_at = text.find(encoded, at) if at >= 0 else -1
        if value_at >= 0:
            line, column = lines.position(value_at + 1)
            units.append(_Unit(command, [(0, line, column)], dirname(path)))
        else:
            units.append(_Unit(command, [(0, 1, 1)], dirname(path)))
    return units


def _justfile_units(path: str, text: str, wanted=None) -> list[_Unit]:
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
        units.append(_Unit(body, [(0, number, indent + skip + 1)], directory))
    return units


def automation_units(path: str, text: str, wanted=None) -> list[_Unit]:
    """The shell text an automation file runs, each piece with its working directory.

    ``wanted(text)`` keeps a piece; by default only those that may run a deployment
    (``mentions_deployment``), which is all the planner reads."""
    name = path.rsplit("/", 1)[-1]
    directory = dirname(path)
    if name in ("Makefile", "GNUmakefile", "makefile"):
        return _make_units(path, text, directory, wanted)
    if name.endswith(".mk"):  # included by a Makefile: make runs it from that Makefile's directory
        units = _make_units(path, text, directory, wanted)
        for unit in units:
            unit.fallback_dirs = tuple(d for d in _parents(directory) if d != directory)
        return units
    if name.endswith((".sh", ".bash")):
        # A script runs from its caller's directory: usually its own, the repository root or between.
        fallback = tuple(d for d in _parents(directory) if d != directory)
        return [_unit_from_text(text, 1, 1, directory, fallback_dirs=fallback, own_dir=directory)] \
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


def _parents(directory: str) -> list[str]:
    """``a/b`` -> [a/b, a, ""]: the directories a script may be run from, nearest first."""
    result = [directory]
    while directory:
        directory = dirname(directory)
        result.append(directory)
    return result


_DIRNAME_OF_SCRIPT = re.compile(
    r"^\$\(\s*dirname\s+\"?\$(?:0|\{0\}|\{BASH_SOURCE(?:\[0\])?\}|BASH_SOURCE)\"?\s*\)(/.*)?$")


_WRITES = re.compile(
    r"""(?:>>?|\btee\s+(?:-a\s+)?|(?:^|\s)-o\s*|--output[=\s]|\b(?:cp|mv|ln|install)\s+(?:-\S+\s+)*\S+\s+)"""
    r"""\s*["']?([^\s"';|&<>]+)""")
_MAKE_TARGET = re.compile(r"^([^\s:#=][^:#=]*?)\s*::?(?!=)", re.MULTILINE)


def written_files(path: str, text: str) -> frozenset:
    """Names an automation file writes itself (redirections, tee, cp, Make targets): generated files."""
    names = {match.group(1) for match in _WRITES.finditer(text)}
    name = path.rsplit("/", 1)[-1]
    if name in ("Makefile", "GNUmakefile", "makefile") or name.endswith(".mk"):
        for match in _MAKE_TARGET.finditer(text):
            names.update(match.group(1).split())
    return frozenset(names | {item.rsplit("/", 1)[-1] for item in names})


# What a documented command must do to show a deployment: start it (or render it, or deploy a stack).
_DOCUMENTED_SUBCOMMANDS = frozenset(("up", "run", "create", "start", "restart", "watch", "config", "deploy"))
# Variables of the environment that change what `docker compose` runs.
_COMPOSE_VARIABLES = frozenset(("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PATH_SEPARATOR", "COMPOSE_ENV_FILES"))


def automation_requests(path: str, text: str, source: str = "automation",
                        units: list[_Unit] | None = None) -> list[Request]:
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
                    if name in _COMPOSE_VARIABLES:
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


# ----------------------------------------------------------------------------- documentation

_FENCE = re.compile(r"^([ \t]{0,12})(`{3,}|~{3,})[ \t]*([^\s`{]*)[^`]*$")  # no backtick after a ``` fence
_SHELL_LANGUAGES = frozenset(("sh", "bash", "shell", "zsh", "console", "shell-session", "shellsession",
                              "terminal", "bash-session"))
_PROMPT = re.compile(r"^(?:\$|[\w.@-]+(?::[^\s$]*)?\$|❯)\s")  # `$ `, `user@host:~/src$ `, `❯ `


def is_document_path(relpath: str, compose_dirs: frozenset | set) -> bool:
    """Markdown that may show how the repository is deployed: any README, the docs/ (doc/) tree,
    and Markdown beside a compose file."""
    name = relpath.rsplit("/", 1)[-1]
    lowered = name.lower()
    if not lowered.endswith((".md", ".markdown")) and lowered != "readme":
        return False
    if lowered.startswith("readme"):
        return True
    parts = relpath.split("/")[:-1]
    return any(part in ("docs", "doc") for part in parts) or dirname(relpath) in compose_dirs


def document_units(path: str, text: str) -> list[_Unit]:
    """The shell commands of a Markdown file's fenced code blocks, each line where it is written.

    ```sh / ```bash / ```shell blocks are scripts (a leading `$ ` prompt is dropped); ```console
    blocks with prompts, and any block whose lines carry prompts, are sessions: only the prompted
    lines are commands, the rest is output. An unlabelled block counts only for its lines that start with
    `docker`, `docker-compose`, `sudo docker` or `cd`. The blocks run one after the other, as a
    reader types them (a `cd` stays), from the document's directory, else one above (a docs/ page
    names files from the repository root)."""
    if not mentions_deployment(text):
        return []
    directory = dirname(path)
    fallback = tuple(d for d in _parents(directory) if d != directory)
    chosen: list[tuple[str, int, int]] = []  # (command text, line, column)
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence, language = opening.group(1), opening.group(2), opening.group(3).lower()
        body_start = index + 1
        index += 1
        while index < len(lines) and not (lines[index].strip().startswith(fence[0] * len(fence))
                                          and lines[index].strip().strip(fence[0]) == ""):
            index += 1
        body = lines[body_start:index]
        index += 1
        if language and language not in _SHELL_LANGUAGES:
            continue
        # A session when its lines carry prompts: the others are output (a ```console block
        # without any prompt is a list of commands, as authors often write it)
        session = any(_PROMPT.match(line[len(indent):] if line.startswith(indent) else line.lstrip())
                      for line in body)
        continuing = False
        for offset, raw in enumerate(body):
            line = raw[len(indent):] if raw.startswith(indent) else raw.lstrip()
            column = len(raw) - len(line) + 1
            if continuing:
                chosen.append((line, body_start + offset + 1, column))
            else:
                prompt = _PROMPT.match(line)
                if prompt is not None:
                    line, column = line[prompt.end():], column + prompt.end()
                elif session:
                    continue  # output of the command above
                stripped = line.lstrip()
                if not language and not stripped.startswith(("docker", "sudo docker", "cd ")):
                    continue
                chosen.append((line, body_start + offset + 1, column))
            continuing = line.rstrip().endswith("\\")
    if not chosen:
        return []
    pieces, offset, joined = [], 0, []
    for command, number, column in chosen:
        pieces.append((offset, number, column))
        joined.append(command)
        offset += len(command) + 1
    return [_Unit("\n".join(joined), pieces, directory, fallback_dirs=fallback, own_dir=directory)]


# ============================================================================ other sources


def dotenv_request(path: str, entries: Mapping[str, tuple[str, Span]]) -> Request | None:
    """``COMPOSE_FILE`` in a ``.env``: the files ``docker compose up`` runs in that directory."""
    files = _dotenv_files(entries)
    if files is None:
        return None
    value, span = entries["COMPOSE_FILE"]
    profiles = entries.get("COMPOSE_PROFILES")
    return Request("dotenv", span, dirname(path), files, _split_profiles(profiles[0]) if profiles else None,
                   command=f"COMPOSE_FILE={value}")


def _dotenv_files(entries: Mapping[str, tuple[str, Span]]) -> tuple[Arg, ...] | None:
    """The files ``COMPOSE_FILE`` of a ``.env`` lists, split at its ``COMPOSE_PATH_SEPARATOR``;
    None when it is unset or blank."""
    compose_file = entries.get("COMPOSE_FILE")
    if compose_file is None or not compose_file[0].strip():
        return None
    separator = entries.get("COMPOSE_PATH_SEPARATOR", (":", None))[0] or ":"
    value, span = compose_file
    return tuple(Arg(part, span, "$" in part) for part in value.split(separator) if part)


def _split_profiles(text: str) -> tuple[str, ...]:
    """``COMPOSE_PROFILES``: comma-separated, blanks dropped."""
    return tuple(p.strip() for p in text.split(",") if p.strip())


def config_request(spec, span: Span) -> Request:
    """One entry of the configuration's ``deployments:``; paths are relative to the project root."""
    files = tuple(Arg(text, span) for text in spec.files)
    env_files = tuple(Arg(text, span) for text in spec.env_files)
    project_directory = Arg(spec.project_directory, span) if spec.project_directory else None
    return Request("config", span, "", files, tuple(spec.profiles), env_files, project_directory,
                   name=spec.name, command=" ".join(f"-f {text}" for text in spec.files))


def origin_span(origin: str, fallback_path: str) -> Span:
    """A config origin ``path:line:col`` as a span."""
    match = re.match(r"^(.*?):(\d+):(\d+)$", origin or "")
    if match:
        return Span(match.group(1), Position(int(match.group(2)), int(match.group(3))))
    return Span(origin or fallback_path, Position(1, 1))


# ============================================================================ resolution


def default_files(directory: str, exists: Callable[[str], bool], search_parents: bool = False) -> tuple[str, ...]:
    """What ``docker compose`` finds without ``-f``: the first default name and its override."""
    current: str | None = directory
    while current is not None:
        prefix = f"{current}/" if current else ""
        for base in DEFAULT_BASES:
            if exists(prefix + base):
                # compose-go takes the first override name present, whatever the base file's name
                override = next((prefix + name for name in DEFAULT_OVERRIDES if exists(prefix + name)), None)
                if override is None:  # users copy the template into place before `docker compose up`
                    override = next((prefix + name + suffix for name in DEFAULT_OVERRIDES
                                     for suffix in TEMPLATE_SUFFIXES if exists(prefix + name + suffix)), None)
                return (prefix + base,) + ((override,) if override else ())
        if not search_parents or current == "":
            break
        current = dirname(current)
    return ()


@record
class Planner:
    """Turns requests into plans: resolves paths, fills implicit files and profiles, reports CL008."""

    exists: Callable[[str], bool]
    dotenv: Callable[[str], Mapping[str, tuple[str, Span]] | None]  # relpath of a .env -> entries (None: none)
    problems: list[ParseProblem] = field(default_factory=list)
    is_dir: Callable[[str], bool] = lambda directory: True  # a directory of the repository ("" is the root)

    def _problem(self, message: str, span: Span | None, severity=None) -> None:
        if span is None:
            return
        from composelint.diagnostics import Severity

        self.problems.append(ParseProblem(
            "CL008", message, span,
            "fix the path so that it names a file in the repository" if severity is None else
            "name the file literally, or list the deployment under `deployments:` in the configuration",
            severity=Severity.INFO if severity == "info" else None))

    def _resolve(self, arg: Arg, cwd: str | None, fallbacks: Sequence[str], what: str,
                 generated: frozenset = frozenset()) -> str | None:
        if arg.symbolic or "$" in arg.text or "{{" in arg.text:
            self._problem(f"{what} `{arg.text}` holds a variable composelint does not expand; the deployment "
                          "is modelled without it", arg.span, "info")
            return None
        if arg.text == "-":
            return None  # standard input (`curl … | docker compose -f - up`): nothing of the repository
        if "://" in arg.text:
            self._problem(f"{what} `{arg.text}` is not a file in the repository; the deployment is modelled "
                          "without it", arg.span, "info")
            return None
        if cwd is None:
            if arg.text.startswith("/"):
                self._problem(f"{what} `{arg.text}` is outside the project root: composelint does not read it",
                              arg.span)
                return None
            self._problem(f"{what} `{arg.text}` is relative to a directory composelint cannot determine (an "
                          "earlier `cd` to a variable); the deployment is modelled without it", arg.span, "info")
            return None
        resolved = resolve_relative(cwd, arg.text)
        if resolved is None:
            self._problem(f"{what} `{arg.text}` is outside the project root: composelint does not read it, and "
                          "the deployment depends on a file the repository does not hold", arg.span)
            return None
        if self.exists(resolved):
            return resolved
        for other in fallbacks:
            candidate = resolve_relative(other, arg.text)
            if candidate is not None and self.exists(candidate):
                return candidate
        if arg.text in generated or arg.text.rsplit("/", 1)[-1] in generated:
            self._problem(f"{what} `{arg.text}` is written by `{arg.span.path}` itself before it runs; the "
                          "deployment is modelled without it", arg.span, "info")
            return None
        where = f" (`{resolved}`)" if resolved != arg.text else ""
        self._problem(f"{what} `{arg.text}`{where} does not exist: `docker compose` fails before starting "
                      "anything", arg.span)
        return None

    def _choose_cwd(self, request: Request) -> tuple[str | None, tuple[str, ...]]:
        """The working directory among the candidates where the named files exist (a script's caller)."""
        if request.cwd is not None and request.fallback_dirs:
            # `cd compose` from a script whose caller is unknown: only where `compose` is a directory
            existing = [d for d in (request.cwd,) + request.fallback_dirs if self.is_dir(d)]
            if existing:
                request = replace(request, cwd=existing[0], fallback_dirs=tuple(existing[1:]))
        literal = [arg.text for arg in request.files if not arg.symbolic and "$" not in arg.text and arg.text != "-"]
        if request.cwd is None or not request.fallback_dirs or not literal:
            return request.cwd, request.fallback_dirs
        for candidate in (request.cwd,) + request.fallback_dirs:
            resolved = [resolve_relative(candidate, text) for text in literal]
            if all(path is not None and self.exists(path) for path in resolved):
                return candidate, ()
        return request.cwd, request.fallback_dirs

    def _documented(self, request: Request) -> Request | None:
        """A documented command as a deployment of the repository, or None when it does not fit it:
        every file it names must exist (a README's `-f path/to/your.yml` is an example to adapt, not a
        broken deployment); without `-f`, it runs the compose file of the document's directory, else
        of the nearest one above (a docs/ page shows commands run from the repository root)."""
        if request.unresolved or request.cwd is None:
            return None
        named = request.files + request.env_files
        if not request.files and "COMPOSE_FILE" in request.environment:
            named += tuple(Arg(part, request.where.get("COMPOSE_FILE", request.origin)) for part in request.environment["COMPOSE_FILE"].split(
                request.environment.get("COMPOSE_PATH_SEPARATOR") or ":") if part)
        for arg in named:
            if arg.symbolic or "$" in arg.text or arg.text == "-":
                return False
            if not any(path is not None and self.exists(path) for path in (
                    resolve_relative(directory, arg.text) for directory in (request.cwd,) + request.fallback_dirs)):
                return None
        if request.files or "COMPOSE_FILE" in request.environment:
            return request
        for directory in (request.cwd,) + request.fallback_dirs:
            project = directory
            if request.project_directory is not None:
                project = None if request.project_directory.symbolic else \
                    resolve_relative(directory, request.project_directory.text)
            found = default_files(project, self.exists) if project is not None else ()
            if found:
                prefix = f"{project}/" if project else ""
                if len(found) == 1 and any(self.exists(prefix + name + suffix) for name in DEFAULT_OVERRIDES
                                           for suffix in TEMPLATE_SUFFIXES):
                    return None  # the docs assume the override the reader creates from its template first
                return replace(request, cwd=directory, fallback_dirs=())
        return None

    def plan(self, request: Request) -> Plan | None:
        cwd, fallbacks = self._choose_cwd(request)
        request = replace(request, cwd=cwd, fallback_dirs=fallbacks)
        if request.source == "documented":
            request = self._documented(request)
            if request is None:
                return None  # documentation that does not fit the repository is not a deployment to check
            cwd = request.cwd
        unresolved = [Located(arg.text, arg.span) for arg in request.unresolved]
        for arg in request.unresolved:
            self._problem(f"`{arg.text}` holds a variable composelint does not expand; if it adds compose "
                          "files, the deployment is modelled without them", arg.span, "info")
        env_files = []
        listed_env = request.env_files
        if not listed_env and request.environment.get("COMPOSE_ENV_FILES"):
            span = request.where.get("COMPOSE_ENV_FILES", request.origin)
            listed_env = tuple(Arg(part.strip(), span, "$" in part)
                               for part in request.environment["COMPOSE_ENV_FILES"].split(",") if part.strip())
        for arg in listed_env:
            resolved = self._resolve(arg, cwd, request.fallback_dirs, "env file", request.generated)
            if resolved is None:
                unresolved.append(Located(arg.text, arg.span))
            else:
                env_files.append(resolved)
        dotenv_path = None
        files: list[str] = []
        listed = request.files
        if not listed and "COMPOSE_FILE" in request.environment:
            text = request.environment["COMPOSE_FILE"]
            separator = request.environment.get("COMPOSE_PATH_SEPARATOR") or ":"
            listed = tuple(Arg(part, request.where.get("COMPOSE_FILE", request.origin), "$" in part)
                           for part in text.split(separator) if part)
        if listed:
            for arg in listed:
                resolved = self._resolve(arg, cwd, request.fallback_dirs, "compose file", request.generated)
                if resolved is None:
                    unresolved.append(Located(arg.text, arg.span))
                elif resolved not in files:
                    files.append(resolved)
        elif cwd is not None:
            directory = cwd
            if request.project_directory is not None and not request.project_directory.symbolic:
                directory = resolve_relative(cwd, request.project_directory.text) or cwd
            entries = self.dotenv(f"{directory}/.env" if directory else ".env") if not env_files else None
            in_dotenv = _dotenv_files(entries) if entries else None
            if in_dotenv is not None:
                dotenv_path = f"{directory}/.env" if directory else ".env"
                for arg in in_dotenv:
                    resolved = self._resolve(arg, directory, (), "compose file")
                    if resolved is not None and resolved not in files:
                        files.append(resolved)
            else:
                files = list(default_files(directory, self.exists, search_parents=True))
                if not files:
                    for other in request.fallback_dirs:
                        files = list(default_files(other, self.exists))
                        if files:
                            break
                if not files and request.source == "automation" and not unresolved:
                    self._problem(f"`{request.command or 'docker compose'}` runs in `{directory or '.'}`, where "
                                  "there is no compose.yaml or docker-compose.yml: `docker compose` fails there",
                                  request.origin)
        if not files:
            return None
        if request.project_directory is not None and not request.project_directory.symbolic and cwd is not None:
            project_dir = resolve_relative(cwd, request.project_directory.text)
            if project_dir is None:
                self._problem(f"project directory `{request.project_directory.text}` is outside the project root",
                              request.project_directory.span)
                project_dir = dirname(files[0])
        else:
            project_dir = dirname(files[0])
        profiles = request.profiles
        if dotenv_path is None and not env_files:
            # COMPOSE_FILE read from a directory's .env: Compose interpolates with that same file
            dotenv_path = request.origin.path if request.source == "dotenv" and request.origin else \
                f"{project_dir}/.env" if project_dir else ".env"
        if profiles is None:
            value = None
            for source_env in reversed(env_files or [dotenv_path]):
                entries = self.dotenv(source_env)
                value = entries.get("COMPOSE_PROFILES") if entries else None
                if value is not None:
                    break
            if request.environment.get("COMPOSE_PROFILES"):
                value = (request.environment["COMPOSE_PROFILES"], request.origin)
            profiles = _split_profiles(value[0]) if value else ()
        notes = tuple(f"`{path}` stands in for `{path.rsplit('.', 1)[0]}`, which is not committed: users copy it "
                      "into place before `docker compose up`" for path in files if stand_in(path))
        return Plan(name=request.name or "", source=request.source, origin=request.origin, files=tuple(files),
                    project_dir=project_dir, profiles=tuple(profiles), env_files=tuple(env_files),
                    unresolved=tuple(unresolved), targets=request.targets, command=request.command,
                    dotenv=dotenv_path if not env_files else None, orchestrator=request.orchestrator, notes=notes)


def stand_in(path: str) -> bool:
    """Whether ``path`` is an override template (``compose.override.yaml.example``) used in place of the override."""
    stem, dot, suffix = path.rsplit("/", 1)[-1].rpartition(".")
    return bool(dot) and "." + suffix in TEMPLATE_SUFFIXES and stem in DEFAULT_OVERRIDES


def plan_deployments(*, config_specs: Sequence, config_path: str, dotenv_paths: Sequence[str],
                     automation: Sequence[tuple[str, str]], compose_paths: Sequence[str],
                     exists: Callable[[str], bool],
                     dotenv: Callable[[str], Mapping[str, tuple[str, Span]] | None],
                     documents: Sequence[tuple[str, str]] = (),
                     is_dir: Callable[[str], bool] | None = None,
                     ) -> tuple[list[Plan], list[Plan], list[ParseProblem]]:
    """The deployments a repository names, duplicates dropped, and the default candidates.

    Returns (explicit plans in source order, default plans shallowest directory first, problems).
    The caller keeps a default only when no deployment loaded before it already runs its base
    file — directly, or through ``include:`` (which only loading reveals).
    """
    planner = Planner(exists, dotenv) if is_dir is None else Planner(exists, dotenv, is_dir=is_dir)
    plans: list[Plan] = []
    seen: dict[tuple, int] = {}

    def add(plan: Plan | None) -> None:
        if plan is None:
            return
        key = plan.key()
        if key in seen:
            index = seen[key]
            existing = plans[index]
            if plan.targets and set(plan.targets) - set(existing.targets):
                plans[index] = replace(existing, targets=existing.targets + tuple(
                    t for t in plan.targets if t not in existing.targets))
            return
        seen[key] = len(plans)
        plans.append(plan)

    if config_specs:
        for spec in config_specs:
            add(planner.plan(config_request(spec, origin_span(spec.origin, config_path))))
        return plans, [], planner.problems
    for path in dotenv_paths:
        entries = dotenv(path)
        request = dotenv_request(path, entries) if entries else None
        if request is not None:
            add(planner.plan(request))
    for path, text in automation:
        for request in automation_requests(path, text):
            add(planner.plan(request))
    for path, text in documents:  # after automation: what the repository runs wins over what it shows
        for request in automation_requests(path, text, "documented", document_units(path, text)):
            add(planner.plan(request))
    replaced = {dirname(plan.origin.path) for plan in plans if plan.source == "dotenv" and plan.origin is not None}
    defaults = []
    for directory in sorted({dirname(path) for path in compose_paths}, key=lambda d: (d.count("/") if d else -1, d)):
        if directory in replaced:
            continue  # COMPOSE_FILE in the .env there replaces the default files
        files = default_files(directory, exists)
        if not files:
            continue
        plan = planner.plan(Request("default", None, directory, tuple(
            Arg(f.rsplit("/", 1)[-1], Span(f, Position(1, 1))) for f in files), None))
        if plan is not None and plan.key() not in seen:
            defaults.append(plan)
    return plans, defaults, planner.problems


def name_plans(plans: Sequence[Plan]) -> list[Plan]:
    """Give every plan a distinct name: the config's, else its files (and profiles)."""

    used: set[str] = set()
    result = []
    for plan in plans:
        name = plan.name
        if plan.orchestrator == "swarm":
            name = f"{' + '.join(plan.files)} (stack {name})" if name else f"{' + '.join(plan.files)} (stack)"
        if not name:
            name = plan.files[0] if plan.source == "default" else " + ".join(plan.files)
            if plan.profiles:
                name += f" [{', '.join(plan.profiles)}]"
        base, counter = name, 2
        while name in used:
            name = f"{base} #{counter}"
            counter += 1
        used.add(name)
        result.append(replace(plan, name=name))
    return result


# ============================================================================ queries for rules


def deployed_files(project) -> frozenset:
    """Every compose file some deployment runs, directly or through include: / extends.file."""
    return project.derived("deployments.deployed_files", lambda p: frozenset(
        path for deployment in p.deployments for path in deployment.files + deployment.included))


def env_file_entries(service) -> Iterator[tuple[object, bool]]:
    """The ``env_file`` entries of a service: (path node, required)."""
    from composelint.yamltree import YMap, YScalar, YSeq

    node = service.node.get("env_file")
    items = node.items if isinstance(node, YSeq) else (node,) if node is not None else ()
    for item in items:
        required = True
        value = item
        if isinstance(item, YMap):
            value = item.get("path")
            flag = item.get("required")
            required = not (isinstance(flag, YScalar) and str(flag.value).lower() == "false")
        if isinstance(value, YScalar) and isinstance(value.value, str) and value.value:
            yield value, required


def resolved_environment(project, deployment, service) -> dict[str, str | None]:
    """The container environment Compose computes: ``env_file`` values, then ``environment``,
    a key without a value taken from the deployment's variables (None when unset there)."""
    from composelint.parsers.dotenv import parse_dotenv

    variables = deployment.variables
    result: dict[str, str | None] = {}
    for node, _required in env_file_entries(service):
        path = resolve_relative(deployment.base_dir(node.span.path), node.value)
        text = project.read_text(path) if path is not None else None
        if text is None:
            continue
        for entry in parse_dotenv(text, variables.get).entries:
            value = entry.value if entry.value is not None else variables.get(entry.key)
            if value is not None:
                result[entry.key] = value
    for key, value in service.environment.items():
        result[key] = value.value if value.value is not None else variables.get(key)
    return result


def undeployed_files(project) -> tuple[str, ...]:
    """Compose files of the project that no deployment includes, sorted."""
    deployed = deployed_files(project)
    return tuple(sorted(path for path in project.compose_files if path not in deployed))
