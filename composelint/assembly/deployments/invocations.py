"""``docker compose …`` and ``docker stack deploy …`` invocations in a command's words: their files,
profiles, env files, project directory and subcommand.
"""

from __future__ import annotations

from typing import Callable, Iterator

from composelint.analysis.commands.syntax import Token
from composelint.analysis.commands.tables import WRAPPERS
from composelint.assembly.deployments.requests import Arg, Invocation
from composelint.diagnostics import Position, Span
from composelint.lazyre import LazyPattern


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


_ASSIGNMENT = LazyPattern(r"^[A-Za-z_][A-Za-z0-9_]*=")


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
