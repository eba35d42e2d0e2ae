"""The simple commands a Dockerfile RUN instruction executes, read for the Python dependency analysis.

The shell text (a RUN line, an exec form's ``sh -c`` script, a heredoc body) is split by
:func:`composelint.analysis.commands.syntax.parse_script`, composelint's one shell parser. This module adds what a
RUN step needs on top of it: words expanded with the variables the Dockerfile defines (ARG, ENV),
wrappers (``sudo``, ``env``, ``nice``, ``gosu`` …) and nested ``sh -c`` scripts looked through, and the
position of any word in the Dockerfile (:meth:`ShellCommand.span`), computed from the offsets the parser
keeps: every word knows its offsets in its script and the map of that script's characters to the file
(continuation lines, heredoc bodies, exec-form JSON escapes and quoted ``sh -c`` scripts included).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import field, replace
from typing import Mapping, Sequence

from composelint.analysis.python.builds import stage_environments_of
from composelint.analysis.commands.tables import SHELLS, WRAPPERS, wrapped_program
from composelint.analysis.commands.maps import LazyMap, SubMap, WholeMap, argument_map, heredoc_map
from composelint.analysis.commands.syntax import SCRIPTS, ShWord, parse_shared
from composelint.analysis.commands.start import exec_element_maps, shell_script_index
from composelint.diagnostics import Position, Span
from composelint.model import Dockerfile, Instruction, Project, Stage
from composelint.parsers.dockerfile import substitute
from composelint.records import record

MAX_SHELL_DEPTH = 3  # sh -c "sh -c '…'"


@record(frozen=True, slots=True)
class ShellWord:
    """A word of a RUN command with the Dockerfile's ARG/ENV values substituted (BuildKit runs it so)."""

    text: str  # after quote removal and expansion of the variables the Dockerfile defines
    raw: str  # as written
    start: int  # offset of its first character (a quote included) in its script
    dynamic: bool = False  # holds an expansion composelint cannot resolve ($1, $(…), an unset variable)
    end: int = -1  # exclusive offset in its script; -1: ``start + len(raw)``
    # Maps offsets of its script to Dockerfile positions (see analysis.commands.maps.TextMap); None: unknown.
    where: object = field(default=None, compare=False, repr=False)

    @property
    def stop(self) -> int:
        return self.end if self.end >= 0 else self.start + len(self.raw)

    @property
    def span(self) -> Span | None:
        """Where the word is written in the Dockerfile (quotes included), when known."""
        return self.where.span(self.start, self.stop) if self.where is not None else None

    def with_text(self, text: str) -> ShellWord:
        """The same written word read as ``text`` (the value of ``--option=value``)."""
        return replace(self, text=text)


@record(frozen=True, slots=True)
class ShellCommand:
    """One simple command of a RUN instruction (wrappers such as sudo, env and sh -c removed)."""

    words: tuple[ShellWord, ...]
    assignments: Mapping[str, str]  # NAME=value written before the command
    instruction: Instruction
    script: int  # 0: the RUN line (or exec form); n: the n-th heredoc
    all_commands: tuple = ()  # filled by run_commands: every command of the same RUN
    wrappers: tuple[ShellWord, ...] = ()  # the wrappers looked through to reach it (`sudo`, `env`, `sh -c` …)
    subshell: int = 0  # inside `( … )` (its `cd` does not outlive it)
    grouped: bool = False  # inside `( … )`, `{ … }`, an if/while/case body, a function, or after `||`
    # The operator before it in its script ("" | "&&" | "||" | ";" | "|" | "&" | "\n"): "|" reads the
    # previous command's output (`yes | apt-get install …`, `curl … | sh`).
    after: str = ""
    pipes_to: str = ""  # the program its output is piped into (`curl … | sh` -> "sh"), as written; "" for none

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)

    def span(self, word_index: int = 0, through: int | None = None) -> Span:
        """Where words ``word_index``..``through`` are written: from the first character of the first to the
        last character of the last (the instruction's keyword when unknown)."""
        words = self.words
        if 0 <= word_index < len(words):
            first = words[word_index]
            last = words[min(max(word_index if through is None else through, word_index), len(words) - 1)]
            if first.where is not None:
                end = last.stop if last.where is first.where and last.stop > first.start else first.stop
                found = first.where.span(first.start, end)
                if found is not None:
                    return found
        start = self.instruction.span.start
        keyword_end = Position(start.line, start.column + len(self.instruction.keyword))
        return Span(self.instruction.span.path, start, keyword_end)


# The parser drops reserved words where a command starts; these still reach an argv behind a wrapper or a
# NAME=value prefix (`A=1 time pip …`), and they never name the program.
_RESERVED = frozenset(("if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "esac",
                       "time", "in"))
_ASSIGNMENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_VARIABLE_RE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|([0-9@*#?$!-]))")


def _expand(word: ShWord, env: Mapping[str, str], where) -> ShellWord:
    """``word`` with ``env`` substituted; ``dynamic`` when it expands something unknown before the build runs."""
    raw, start, end = word.raw, word.start, word.end
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
        return ShellWord(raw, raw, start, dynamic, end, where)
    text = substitute(raw, env, escape="\\")
    return ShellWord(text, raw, start, dynamic, end, where)


def script_commands(script: str, env: Mapping[str, str], instruction: Instruction, index: int,
                    depth: int = 0, where=None, memo: dict | None = None) -> list[ShellCommand]:
    """The simple commands of the shell text ``script``, wrappers removed and ``sh -c`` scripts followed.

    ``index`` is the :attr:`ShellCommand.script` the commands belong to; ``where`` maps offsets of
    ``script`` to the Dockerfile (:func:`run_commands` passes it; None: positions unknown); ``memo``
    holds the scripts parsed so far in this run (:func:`~composelint.analysis.commands.syntax.parse_shared`).
    """
    result: list[ShellCommand] = []
    # Every arm of a `case` counts: whichever runs, its installs end up in the image.
    simples = parse_shared(script, memo, case_arms=True).commands
    for position, simple in enumerate(simples):
        following = simples[position + 1] if position + 1 < len(simples) else None
        pipes_to = following.words[0].text if following is not None and following.after in ("|", "|&") and \
            following.words else ""
        # Leading NAME=value words rejoin the argv: the loop below reads them as it reads wrappers, so
        # `sudo A=1 pip …` and `A=1 sudo pip …` give the same assignments.
        written = [word for _, word in simple.assignments] + list(simple.words)
        grouped = bool(simple.depth or simple.conditional or simple.in_function)
        words = [_expand(word, env, where) for word in written]
        assignments: dict[str, str] = {}
        wrappers: list[ShellWord] = []
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
            elif head == "env":
                wrappers.append(words[0])
                with_value = WRAPPERS["env"].value_options
                position = 1
                while position < len(words) and (words[position].text.startswith("-") or "=" in words[position].text):
                    if "=" in words[position].text and not words[position].text.startswith("-"):
                        name, _, value = words[position].text.partition("=")
                        assignments[name] = value
                    position += 2 if words[position].text in with_value else 1
                words = words[position:]
            elif (wrapped := wrapped_program(head, [word.text for word in words], 0, "run")) is not None:
                if wrapped[0] >= len(words):
                    break  # `sudo --version`, `nice`: the wrapper runs nothing else, it is the command
                wrappers.append(words[0])
                words = words[wrapped[0]:]
            else:
                break
        if not words:
            continue
        if posixpath.basename(words[0].text) in SHELLS and depth < MAX_SHELL_DEPTH:
            script_index = shell_script_index(words, 0)
            if script_index is not None:
                script_word = words[script_index]
                source = written[len(written) - len(words) + script_index]  # the loop only drops leading words
                outer = (*wrappers, words[0])
                nested = script_commands(script_word.text, env, instruction, index, depth + 1,
                                         _script_map(where, source, script_word.text), memo)
                result.extend(replace(command, wrappers=outer + command.wrappers, grouped=command.grouped or grouped,
                                      subshell=command.subshell + simple.subshell) for command in nested)
                continue
            if len(words) == 1:
                continue  # a bare `sh`: it reads its script from stdin
        result.append(ShellCommand(tuple(words), assignments, instruction, index, (), tuple(wrappers),
                                   simple.subshell, grouped, after=simple.after, pipes_to=pipes_to))
    return result


def _script_map(where, word: ShWord, text: str):
    """The map of the ``sh -c`` script ``text``, the value of ``word`` (a word of the text ``where`` maps)."""
    if where is None:
        return None
    if text == word.text and len(word.offsets) == len(text):
        # Quotes removed: each character is one of the word's (an escaped one from its backslash on).
        if not word.starts:
            return SubMap(where, word.offsets)
        return SubMap(where, word.starts, tuple(offset + 1 for offset in word.offsets))
    return WholeMap(where, word.start, word.end)  # changed by expansion: every word of it is the whole word


def argv_commands(argv: Sequence[str], env: Mapping[str, str], instruction: Instruction,
                  maps: Sequence[object] | None = None, memo: dict | None = None) -> list[ShellCommand]:
    """The commands an argv runs without a shell (an exec form): the script of ``sh -c``, else the argv.

    ``maps`` gives, per element, the map of its characters to the Dockerfile (exec_element_maps).
    """
    if maps is not None and len(maps) != len(argv):
        maps = None
    words = tuple(_element(arg, maps[number] if maps is not None else None) for number, arg in enumerate(argv))
    if not words:
        return []
    if posixpath.basename(words[0].text) in SHELLS:
        script_index = shell_script_index(words, 0)
        if script_index is not None:
            where = maps[script_index] if maps is not None else None
            return script_commands(words[script_index].text, env, instruction, 0, 1, where, memo)
    return [ShellCommand(words, {}, instruction, 0)]


def _element(arg: str, where) -> ShellWord:
    """An exec-form element; its offsets are those of the whole array (one map for the command's words)."""
    if isinstance(where, SubMap) and where.length and where.ends is not None:
        return ShellWord(arg, arg, where.starts[0], False, where.ends[-1], where.parent)
    return ShellWord(arg, arg, 0, False, len(arg), where)


def run_commands(dockerfile: Dockerfile, instruction: Instruction, env: Mapping[str, str],
                 memo: dict | None = None) -> tuple[ShellCommand, ...]:
    """The simple commands a RUN instruction executes (shell form, exec form, heredoc scripts); ``memo`` as
    for :func:`script_commands`."""
    if instruction.keyword != "RUN":
        return ()
    escape = getattr(dockerfile, "escape", "\\") or "\\"
    commands: list[ShellCommand] = []
    if instruction.form == "exec" and instruction.exec_args is not None:
        elements = exec_element_maps(instruction, escape)
        maps = [where for _, where in elements] if elements is not None else None
        commands.extend(argv_commands(instruction.exec_args, env, instruction, maps, memo))
    else:
        where = LazyMap(lambda: argument_map(instruction, escape))
        commands.extend(script_commands(instruction.arguments, env, instruction, 0, where=where, memo=memo))
        # The bodies run as scripts when the RUN is only their markers, or a shell reading them on its
        # standard input: `RUN <<EOF`, `RUN bash <<EOF`, `RUN <<EOF bash`, `RUN sh -ex <<EOF`.
        head = instruction.arguments.strip().split()
        others = [word for word in head if not word.startswith("<<")]
        runs_body = len(others) < len(head) and (not others or (
            posixpath.basename(others[0]) in SHELLS and all(word.startswith("-") and "c" not in word
                                                            for word in others[1:])))
        if runs_body:
            for number, heredoc in enumerate(instruction.heredocs, 1):
                first = heredoc.body.split("\n", 1)[0]
                if first.startswith("#!") and not any(shell in first for shell in SHELLS):
                    continue  # a Python (or other) script, not shell
                body_map = LazyMap(lambda number=number: heredoc_map(instruction, number))
                commands.extend(script_commands(heredoc.body, env, instruction, number, where=body_map, memo=memo))
    frozen = tuple(commands)
    return tuple(replace(c, all_commands=frozen) for c in frozen)


def stage_run_commands(project: Project, dockerfile: Dockerfile, stage: Stage) -> tuple[tuple[ShellCommand, ...], ...]:
    """:func:`run_commands` of each instruction of ``stage`` (``()`` for other keywords), with the
    stage's ARG/ENV values: parsed once per project for every rule and analysis that reads RUN steps."""
    def compute(project: Project):
        env = stage_environments_of(project, dockerfile)[stage.index]
        memo = project.facts.table(SCRIPTS)
        return tuple(run_commands(dockerfile, instruction, env, memo) for instruction in stage.instructions)

    return project.derived(f"python_deps.stage_run_commands:{dockerfile.path}:{stage.index}", compute)
