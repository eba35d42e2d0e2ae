"""Effective start commands read as the programs that really run (:func:`start_analysis`).

``sh -c``/``bash -c`` scripts are parsed, wrappers (``exec``, ``tini --``, ``dumb-init``, ``gosu user``,
``su-exec``, ``env``, ``nice``, ``timeout`` …) are looked through, ``cd`` is followed, and runners
(``poetry run``, ``npx`` …) are marked so nobody looks their program up on ``PATH``."""

from __future__ import annotations

import posixpath
import re
from typing import Iterable, Mapping, Sequence

from composelint.diagnostics import Span
from composelint.model import CommandPart, CommandWord, EffectiveCommand
from composelint.records import record
from composelint.analysis.commands.directories import Directories
from composelint.analysis.commands.tables import SHELLS, wrapped_program
from composelint.analysis.commands.maps import Frame, SubMap, argument_map, dockerfile_instruction, json_strings
from composelint.analysis.commands.syntax import (Script, ShWord, SimpleCommand, _ASSIGNMENT_RE, assignment_value,
                                                 parse_script)

MAX_DEPTH = 4  # sh -c inside sh -c …


@record(frozen=True, slots=True, eq=False)
class ShellCall:
    """``sh -c SCRIPT`` (or a Dockerfile shell-form command): the shell and what its script runs."""

    shell: ShWord  # the shell program word
    script: ShWord  # the script argument
    parsed: Script
    part: CommandPart
    exec_last: bool  # the last foreground command replaces the shell (`exec cmd`)
    backgrounds: tuple[SimpleCommand, ...]  # commands started with `&`
    foreground: int  # how many commands run in the foreground
    waits: bool  # the script calls `wait`
    traps: bool  # the script sets a `trap`
    implicit: bool = False  # a Dockerfile shell form: the shell is /bin/sh -c, not written by the user


@record(frozen=True, slots=True, eq=False)
class Invocation:
    """One program the start command runs, with wrappers and shells looked through."""

    words: tuple[ShWord, ...]  # argv: words[0] is the program
    part: CommandPart  # the compose/Dockerfile value it was written in
    assignments: tuple[tuple[str, ShWord], ...] = ()
    cwd: str | None = None  # after `cd` in the same script; None: the container's working directory
    cwd_unknown: bool = False  # a `cd` to something not known
    shell: ShellCall | None = None  # the script it is part of
    command: SimpleCommand | None = None
    exec_: bool = False
    background: bool = False
    conditional: bool = False
    wrapped_by: tuple[str, ...] = ()  # wrapper programs around it (tini, gosu, env …)
    runner: str | None = None  # "poetry run", "npx" …: that tool finds the program, not PATH
    role: str = "main"  # "main" | "wrapper" | "shell"

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)

    @property
    def program(self) -> str:
        return self.words[0].text if self.words else ""

    @property
    def name(self) -> str:
        """The program's base name (``/usr/local/bin/python3`` → ``python3``)."""
        return posixpath.basename(self.program)

    def span(self, first: int = 0, last: int | None = None) -> Span | None:
        """From word ``first`` to word ``last`` (inclusive; default: the last word), when on one line."""
        if not self.words:
            return None
        last = len(self.words) - 1 if last is None else min(last, len(self.words) - 1)
        start = self.words[first].span
        end = self.words[last].span
        if start is None:
            return None
        if end is None or end.path != start.path or end.end is None or end.start < start.start:
            return start
        return Span(start.path, start.start, end.end)

    def env(self) -> dict[str, str]:
        return {name: assignment_value(word) for name, word in self.assignments}


@record(frozen=True, slots=True, eq=False)
class StartAnalysis:
    invocations: tuple[Invocation, ...]
    shells: tuple[ShellCall, ...]
    complete: bool  # False when part of the command could not be followed


def _wrapper_skip(name: str, words: Sequence[ShWord], i: int) -> tuple[int, str] | None:
    """For a wrapper program at ``words[i]``: (index of the wrapped program, kind) or None."""
    return wrapped_program(name, [word.text for word in words], i, "start")


# Runners find their program themselves (a virtualenv, node_modules/.bin): never a PATH lookup.
_RUNNERS = {
    "poetry": ("run",), "pipenv": ("run",), "pdm": ("run",), "hatch": ("run",), "rye": ("run",),
    "uv": ("run",), "npx": (), "pnpx": (), "bunx": (), "pnpm": ("exec", "dlx"), "yarn": ("exec", "dlx"),
    "bundle": ("exec",), "conda": ("run",), "mamba": ("run",), "micromamba": ("run",), "pipx": ("run",),
    "uvx": (),
}
_RUNNER_VALUE_OPTIONS = {
    "uv": ("--with", "--python", "-p", "--project", "--directory", "--package", "--extra", "--group",
           "--env-file", "--index", "--index-url"),
    "conda": ("-n", "--name", "-p", "--prefix", "--cwd"),
    "mamba": ("-n", "--name", "-p", "--prefix", "--cwd"),
    "micromamba": ("-n", "--name", "-p", "--prefix", "--cwd"),
    "npx": ("-p", "--package", "-c", "--call"),
    "pipx": ("--spec", "--python"),
    "uvx": ("--from", "--with", "--python", "-p"),
}


def _runner_skip(name: str, words: Sequence[ShWord], i: int) -> int | None:
    subcommands = _RUNNERS.get(name)
    if subcommands is None:
        return None
    j = i + 1
    if subcommands:
        # `poetry -C dir run x`: global options before the subcommand are skipped.
        while j < len(words) and words[j].text.startswith("-"):
            j += 1
        if j >= len(words) or words[j].text not in subcommands:
            return None
        j += 1
    takes = _RUNNER_VALUE_OPTIONS.get(name, ())
    while j < len(words):
        text = words[j].text
        if text == "--":
            return j + 1
        if not text.startswith("-"):
            return j
        j += 2 if text in takes else 1
    return None


def shell_script_index(words: Sequence[ShWord], i: int) -> int | None:
    """For a shell program at ``words[i]``: the index of its ``-c`` script argument, or None."""
    j = i + 1
    has_c = False
    while j < len(words):
        text = words[j].text
        if text == "--":
            j += 1
            break
        if text in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            j += 2
            continue
        if text.startswith("--"):
            j += 1
            continue
        if len(text) > 1 and text[0] in "-+" and text[1:].isalpha():
            if "c" in text[1:] and text[0] == "-":
                has_c = True
            j += 1
            continue
        break
    if has_c and j < len(words):
        return j
    return None


class _Walker:
    def __init__(self, part: CommandPart) -> None:
        self.part = part
        self.invocations: list[Invocation] = []
        self.shells: list[ShellCall] = []
        self.complete = True

    def argv(self, words: Sequence[ShWord], *, depth: int, shell: ShellCall | None = None,
             command: SimpleCommand | None = None, cwd: str | None = None, cwd_unknown: bool = False,
             wrapped: tuple[str, ...] = (), exec_: bool = False, implicit_shell: bool = False,
             inherited: tuple = ()) -> None:
        i = 0
        assignments = tuple(inherited) + (tuple(command.assignments) if command is not None else ())
        runner: str | None = None
        background = command.background if command is not None else False
        conditional = command.conditional if command is not None else False
        while i < len(words):
            word = words[i]
            name = posixpath.basename(word.text)
            if not word.literal:
                break
            if name == "env":
                self._record(words[i:i + 1], depth, shell, command, cwd, cwd_unknown, wrapped, exec_, "wrapper",
                             assignments, background, conditional)
                wrapped = wrapped + ("env",)
                j = i + 1
                extra: list[tuple[str, ShWord]] = []
                while j < len(words):
                    text = words[j].text
                    if text in ("-u", "--unset", "-C", "--chdir"):
                        j += 2
                        continue
                    if text.startswith("-S") or text.startswith("--split-string"):
                        self.complete = False
                        return
                    if text == "--":
                        j += 1
                        break
                    if text.startswith("-"):
                        j += 1
                        continue
                    match = _ASSIGNMENT_RE.match(text)
                    if match:
                        extra.append((match.group(1), words[j]))
                        j += 1
                        continue
                    break
                assignments = tuple(assignments) + tuple(extra)
                i = j
                continue
            skip = _wrapper_skip(name, words, i) if runner is None else None
            if skip is not None:
                target, kind = skip
                if kind == "exec":
                    exec_ = True
                else:
                    self._record(words[i:target], depth, shell, command, cwd, cwd_unknown, wrapped, exec_,
                                 "wrapper", assignments, background, conditional)
                    wrapped = wrapped + (name,)
                i = target
                continue
            if name in SHELLS and runner is None:
                index = shell_script_index(words, i)
                if index is not None:
                    self._record(words[i:i + 1], depth, shell, command, cwd, cwd_unknown, wrapped, exec_, "shell",
                                 assignments, background, conditional)
                    self.script(words[i], words[index], depth=depth + 1, cwd=cwd, cwd_unknown=cwd_unknown,
                                wrapped=wrapped + (name,), implicit=implicit_shell, inherited=assignments)
                    return
            if runner is None:
                target = _runner_skip(name, words, i)
                if target is not None and target < len(words):
                    self._record(words[i:target], depth, shell, command, cwd, cwd_unknown, wrapped, exec_,
                                 "wrapper", assignments, background, conditional)
                    runner = name if name in ("npx", "pnpx", "bunx", "uvx") else f"{name} {words[i + 1].text}"
                    wrapped = wrapped + (name,)
                    i = target
                    continue
            break
        if i >= len(words):
            return
        self._record(words[i:], depth, shell, command, cwd, cwd_unknown, wrapped, exec_, "main", assignments,
                     background, conditional, runner)

    def _record(self, words, depth, shell, command, cwd, cwd_unknown, wrapped, exec_, role, assignments,
                background, conditional, runner=None) -> None:
        frame = words[0].frame if words else None
        part = frame.part if frame is not None and frame.part is not None else self.part
        self.invocations.append(Invocation(
            tuple(words), part, tuple(assignments), cwd, cwd_unknown, shell, command, exec_, background,
            conditional, tuple(wrapped), runner, role))

    def script(self, shell_word: ShWord, script_word: ShWord, *, depth: int, cwd: str | None, cwd_unknown: bool,
               wrapped: tuple[str, ...], implicit: bool = False, inherited: tuple = ()) -> None:
        if depth > MAX_DEPTH:
            self.complete = False
            return
        # A double-quoted script with expansions (`sh -c "$APP --flag"`) is parsed as written: only the
        # outer layer's expansions matter, and those are few in start commands.
        parsed = parse_script(script_word.text, script_word.offsets, script_word.frame,
                              starts=script_word.starts or None)
        if not parsed.complete:
            self.complete = False
        commands = parsed.commands
        foreground = [command for command in commands if not command.background]
        last = foreground[-1] if foreground else None
        exec_last = bool(last is not None and last.words and last.words[0].text == "exec" and len(last.words) > 1)
        call = ShellCall(
            shell_word, script_word, parsed, self.part, exec_last,
            tuple(command for command in commands if command.background), len(foreground),
            any(command.words and command.words[0].text == "wait" for command in commands),
            any(command.words and command.words[0].text == "trap" for command in commands), implicit)
        self.shells.append(call)
        directories = Directories((cwd, cwd_unknown), _change, lambda state: (state[0], True), stack=False)
        for command in commands:
            if directories.follow(command.words, command.subshell, command.in_function, command.conditional):
                continue
            current_cwd, current_unknown = directories.current
            self.argv(command.words, depth=depth, shell=call, command=command, cwd=current_cwd,
                      cwd_unknown=current_unknown, wrapped=wrapped, inherited=inherited)


def _change(state: tuple[str | None, bool], target: ShWord) -> tuple[str | None, bool]:
    """The (directory, unknown) after ``cd TARGET`` in a start command."""
    if not target.literal:
        return state[0], True
    return _join(state[0], target.text), state[1]


def _join(cwd: str | None, target: str) -> str:
    if target.startswith("/"):
        return "/" + posixpath.normpath(target).lstrip("/")
    if cwd is None:
        return target if target.startswith("./") or target == "." else "./" + target
    joined = posixpath.normpath(posixpath.join(cwd, target))
    return "/" + joined.lstrip("/") if joined.startswith("/") else joined


def words_of(part: CommandPart, sources: Mapping[str, str] | None,
             located: Sequence[tuple[Span, object] | None] | None = None) -> list[ShWord]:
    """The part's words as shell words, each its own frame (exec-form elements are literal).

    ``located`` gives, per word, an exact span and the map of its characters (:func:`image_part_maps`: the
    JSON elements of a Dockerfile exec form, the script of a shell form).
    """
    result = []
    for index, word in enumerate(part.words):
        where = None
        if located is not None and index < len(located) and located[index] is not None:
            span, where = located[index]
            word = CommandWord(word.text, span)
        frame = Frame(word, sources, part, where)
        result.append(ShWord(word.text, tuple(range(len(word.text))), 0, len(word.text), True, frame, word.text))
    return result


def start_analysis(project, start: EffectiveCommand, prefix: Sequence[str] = ()) -> StartAnalysis:
    """The programs an effective start command runs (cached per command).

    ``prefix`` is an ENTRYPOINT the image brings that the model cannot show (a distroless image's
    ``python3``): its words come first and have no position.
    """
    return project.facts.kept("shell.start_analysis", (start,), lambda: _start_analysis(project, start, prefix),
                              tuple(prefix))


def _start_analysis(project, start: EffectiveCommand, prefix: Sequence[str]) -> StartAnalysis:
    words: list[ShWord] = [ShWord(text, (), 0, 0, True, None, text) for text in prefix]
    parts = start.parts()
    shell_form = any(part.form == "shell" for part in parts)
    for part in parts:
        words.extend(words_of(part, project.sources, image_part_maps(project, part)))
    if not parts:
        result = StartAnalysis((), (), True)
    else:
        walker = _Walker(parts[0])
        walker.argv(words, depth=0, implicit_shell=shell_form)
        result = StartAnalysis(tuple(walker.invocations), tuple(walker.shells), walker.complete)
    return result


# --------------------------------------------------------------------------- Dockerfile CMD / ENTRYPOINT


def exec_element_maps(instruction, escape: str = "\\") -> list[tuple[Span, SubMap]] | None:
    """Each element of an exec-form instruction (``RUN ["pip", "install", "x"]``): the span of its text
    between the quotes and the map of its characters (escape sequences included); None when unsure."""
    values = instruction.exec_args
    if instruction.form != "exec" or values is None:
        return None
    arguments = argument_map(instruction, escape)
    elements = json_strings(instruction.arguments) if arguments is not None else None
    if elements is None or [value for value, _, _ in elements] != list(values):
        return None
    result = []
    for value, starts, ends in elements:
        where = SubMap(arguments, starts, ends)
        span = where.span(0, len(value)) if value else None
        if span is None:  # `""`: the position between the quotes
            quote = starts[0] if starts else None
            span = arguments.span(quote - 1, quote) if quote else None
        result.append((span or instruction.arguments_span or instruction.span, where))
    return result


def image_part_maps(project, part: CommandPart) -> list[tuple[Span, object] | None] | None:
    """Exact spans and character maps for the words of a Dockerfile CMD/ENTRYPOINT part: each element of
    the exec form; the script of the shell form (its shell words are not written in the file)."""
    if not part.origin.startswith("image-") or not part.words:
        return None
    cache = project.facts.table("shell.image_part_maps")
    key = (part.span, part.form, len(part.words))  # many services share one Dockerfile's CMD
    if key not in cache:
        cache[key] = _image_part_maps(project, part)
    return cache[key]


def _image_part_maps(project, part: CommandPart) -> list[tuple[Span, object] | None] | None:
    found = dockerfile_instruction(project, part.span)
    if found is None:
        return None
    instruction, escape = found
    if part.form == "exec":
        return exec_element_maps(instruction, escape)
    if part.form != "shell" or part.words[-1].text != instruction.arguments:
        return None
    where = argument_map(instruction, escape)
    if where is None:
        return None
    span = where.span(0, where.length) or part.words[-1].span
    return [None] * (len(part.words) - 1) + [(span, where)]


# --------------------------------------------------------------------------- small helpers for rules


def is_python(name: str) -> bool:
    return bool(re.fullmatch(r"(?:python|pypy)(?:[23](?:\.\d+)?)?[a-z]?", name))


def option_value(words: Sequence[ShWord], names: Iterable[str], start: int = 1) -> ShWord | None:
    """The value of ``--name value`` / ``--name=value`` / ``-n value`` among ``words[start:]``."""
    wanted = tuple(names)
    for index in range(start, len(words)):
        text = words[index].text
        for name in wanted:
            if text == name and index + 1 < len(words):
                return words[index + 1]
            if name.startswith("--") and text.startswith(name + "="):
                return words[index]
    return None


def describe(invocation: Invocation, limit: int = 80) -> str:
    """The invocation as text for a message: ``pip install -r requirements.txt``."""
    text = " ".join(invocation.argv)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# --------------------------------------------------------------------------- what a command does
