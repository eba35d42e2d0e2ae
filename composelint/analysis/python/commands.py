"""The simple commands a Dockerfile RUN instruction executes, read for the Python dependency analysis.

The shell text (a RUN line, an exec form's ``sh -c`` script, a heredoc body) is split by
:func:`composelint.analysis.shell.parse_script`, composelint's one shell parser. This module adds what a
RUN step needs on top of it: words expanded with the variables the Dockerfile defines (ARG, ENV),
wrappers (``sudo``, ``env``, ``nice``, ``gosu`` …) and nested ``sh -c`` scripts looked through, and the
position of any word in the Dockerfile (:meth:`ShellCommand.span`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from composelint.analysis.shell import SHELLS, parse_script, shell_script_index
from composelint.diagnostics import Position, Span
from composelint.model import Dockerfile, Instruction
from composelint.parsers.dockerfile import substitute

MAX_SHELL_DEPTH = 3  # sh -c "sh -c '…'"


@dataclass(frozen=True, slots=True)
class ShellWord:
    """A word of a RUN command with the Dockerfile's ARG/ENV values substituted (BuildKit runs it so)."""

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


# The parser drops reserved words where a command starts; these still reach an argv behind a wrapper or a
# NAME=value prefix (`A=1 time pip …`), and they never name the program.
_RESERVED = frozenset(("if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac",
                       "time", "in"))
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_VARIABLE_RE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|([0-9@*#?$!-]))")


def _expand(raw: str, start: int, env: Mapping[str, str]) -> ShellWord:
    """``raw`` with ``env`` substituted; ``dynamic`` when it expands something unknown before the build runs."""
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


# Programs that run the rest of their argv (-> options that take a value). RUN steps use other wrappers than
# start commands (chroot, noglob; never an init such as tini), so these are not shell.py's start-command wrappers.
_WRAPPERS_WITH_VALUE = {"sudo": {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"}, "nice": {"-n"},
                        "timeout": {"-s", "-k", "--signal", "--kill-after"}, "stdbuf": {"-i", "-o", "-e"},
                        "env": {"-u", "-C", "-S", "--unset", "--chdir"}, "chroot": set(), "setpriv": set(),
                        "ionice": {"-c", "-n", "-p"}, "taskset": set()}
_PLAIN_WRAPPERS = frozenset(("exec", "nohup", "command", "builtin", "time", "noglob"))


def script_commands(script: str, env: Mapping[str, str], instruction: Instruction, index: int,
                    depth: int = 0, base: int = 0) -> list[ShellCommand]:
    """The simple commands of the shell text ``script``, wrappers removed and ``sh -c`` scripts followed.

    ``index`` is the :attr:`ShellCommand.script` the commands belong to; ``base`` is the offset of
    ``script`` in that text (a nested ``sh -c`` script starts inside its RUN line).
    """
    result: list[ShellCommand] = []
    # Every arm of a `case` counts: whichever runs, its installs end up in the image.
    for simple in parse_script(script, case_arms=True).commands:
        # Leading NAME=value words rejoin the argv: the loop below reads them as it reads wrappers, so
        # `sudo A=1 pip …` and `A=1 sudo pip …` give the same assignments.
        written = [word for _, word in simple.assignments] + list(simple.words)
        words = [_expand(word.raw, base + word.start, env) for word in written]
        assignments: dict[str, str] = {}
        while words:
            head = words[0].text
            if head in ("for", "case", "select", "function"):
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
        if posixpath.basename(words[0].text) in SHELLS and depth < MAX_SHELL_DEPTH:
            script_index = shell_script_index(words, 0)
            if script_index is not None:
                script_word = words[script_index]
                result.extend(script_commands(script_word.text, env, instruction, index, depth + 1,
                                              script_word.start + 1))
                continue
            if len(words) == 1:
                continue  # a bare `sh`: it reads its script from stdin
        result.append(ShellCommand(tuple(words), assignments, instruction, index))
    return result


def argv_commands(argv: Sequence[str], env: Mapping[str, str], instruction: Instruction) -> list[ShellCommand]:
    """The commands an argv runs without a shell (an exec form): the script of ``sh -c``, else the argv."""
    words = tuple(ShellWord(arg, arg, 0) for arg in argv)
    if not words:
        return []
    if posixpath.basename(words[0].text) in SHELLS:
        script_index = shell_script_index(words, 0)
        if script_index is not None:
            return script_commands(words[script_index].text, env, instruction, 0, 1)
    return [ShellCommand(words, {}, instruction, 0)]


def run_commands(dockerfile: Dockerfile, instruction: Instruction, env: Mapping[str, str]) -> tuple[ShellCommand, ...]:
    """The simple commands a RUN instruction executes (shell form, exec form, heredoc scripts)."""
    if instruction.keyword != "RUN":
        return ()
    commands: list[ShellCommand] = []
    if instruction.form == "exec" and instruction.exec_args is not None:
        commands.extend(argv_commands(instruction.exec_args, env, instruction))
    else:
        commands.extend(script_commands(instruction.arguments, env, instruction, 0))
        head = instruction.arguments.strip().split()
        runs_body = bool(head) and (all(word.startswith("<<") for word in head) or (
            posixpath.basename(head[0]) in SHELLS and len(head) == 2 and head[1].startswith("<<")))
        if runs_body:
            for number, heredoc in enumerate(instruction.heredocs, 1):
                first = heredoc.body.split("\n", 1)[0]
                if first.startswith("#!") and not any(shell in first for shell in SHELLS):
                    continue  # a Python (or other) script, not shell
                commands.extend(script_commands(heredoc.body, env, instruction, number))
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
