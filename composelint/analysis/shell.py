"""Start commands read the way a shell reads them: simple commands, wrappers, positions.

Two layers:

* :func:`parse_script` splits a POSIX shell script (the text after ``sh -c``, a Dockerfile
  shell-form CMD, a ``RUN`` line) into :class:`SimpleCommand` s: quotes, ``&&``, ``||``,
  ``;``, ``|``, ``&``, newlines, subshells and groups, ``if``/``while``/``for``/``case``
  bodies, redirections, here-documents, comments, ``NAME=value`` prefixes. Every word keeps
  the offset of each of its characters in the text, so a word found three levels down
  (``sh -c "tini -- sh -c 'python x.py'"``) still maps to its column in the file.
* :func:`start_analysis` turns a service's (or an image's) effective start command into
  :class:`Invocation` s, the programs that really run: ``sh -c``/``bash -c`` scripts are
  parsed, wrappers (``exec``, ``tini --``, ``dumb-init``, ``gosu user``, ``su-exec``,
  ``env``, ``nice``, ``timeout`` …) are looked through, ``cd`` is followed, and runners
  (``poetry run``, ``npx`` …) are marked so nobody looks their program up on ``PATH``.

Nothing here reads a file: positions come from ``project.sources`` (the text the model was
built from). Nothing raises on hostile input; scripts and nesting are bounded.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Iterable, Mapping, Sequence

from composelint.diagnostics import Position, Span
from composelint.model import CommandPart, CommandWord, EffectiveCommand

MAX_SCRIPT = 100_000  # characters of one script; longer scripts are not analysed
MAX_DEPTH = 4  # sh -c inside sh -c …
MAX_NESTING = 64  # $( $( … ) ) and ${ … } inside one word

SHELLS = frozenset(("sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox-sh"))
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGNMENT_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_FD_RE = re.compile(r"\d+\Z")


# --------------------------------------------------------------------------- positions in files


class Frame:
    """One command word as written in a file; maps offsets in its text to file positions."""

    __slots__ = ("word", "part", "_positions", "_sources")

    def __init__(self, word: CommandWord, sources: Mapping[str, str] | None, part: CommandPart | None = None) -> None:
        self.word = word
        self.part = part
        self._sources = sources
        self._positions: list[tuple[int, int]] | None | bool = False  # False: not computed yet

    def span(self, start: int, end: int) -> Span:
        """The span of ``word.text[start:end]``; the whole word's span when it cannot be narrowed."""
        whole = self.word.span
        if start <= 0 and end >= len(self.word.text):
            return whole
        positions = self._align()
        if not positions or start >= len(positions) or end <= start:
            return whole
        line, column = positions[start]
        end_line, end_column = positions[min(end, len(positions)) - 1]
        return Span(whole.path, Position(line, column), Position(end_line, end_column + 1))

    def _align(self) -> list[tuple[int, int]] | None:
        if self._positions is False:
            self._positions = align(self._sources, self.word.span, self.word.text)
        return self._positions  # type: ignore[return-value]


def align(sources: Mapping[str, str] | None, span: Span, text: str) -> list[tuple[int, int]] | None:
    """(line, column) of every character of ``text`` inside the file region ``span``, or None.

    ``text`` is what the region means after the file format removed its syntax (quotes, escapes,
    line continuations, comment lines inside a Dockerfile instruction, YAML folding). The walk is
    greedy and linear: a character of the region that is not the next character of the text
    must be syntax (a quote, a backslash, blanks, a line break or a ``#`` comment line), or the
    alignment fails and the caller keeps the whole span.
    """
    if not text or len(text) > MAX_SCRIPT:
        return None
    found = _source_lines(sources, span)
    if found is None:
        return None
    lines, line_index = found
    end_line = span.end.line - 1 if span.end is not None else line_index
    end_line = min(end_line, len(lines) - 1)
    positions: list[tuple[int, int]] = []
    column = span.start.column - 1
    i = 0
    line = lines[line_index]
    at_line_start = False
    while i < len(text):
        if column >= len(line):
            # The region continues on the next line: that line break is syntax or a newline char.
            if line_index >= end_line:
                return None
            if text[i] == "\n":
                positions.append((line_index + 1, column + 1))
                i += 1
            line_index += 1
            line = lines[line_index]
            column = 0
            at_line_start = True
            continue
        char = line[column]
        if at_line_start:
            stripped = line.lstrip()
            if stripped.startswith("#") and text[i] != "#":
                column = len(line)  # a comment line inside a continued Dockerfile instruction
                continue
            at_line_start = False
        expected = text[i]
        if char == expected:
            positions.append((line_index + 1, column + 1))
            i += 1
            column += 1
            continue
        if expected == "\n" and char in " \t":
            column += 1
            continue
        if expected in " \t" and char in " \t\\":
            column += 1
            continue
        if char in "\"'\\ \t":
            column += 1
            continue
        return None
    return positions


def _source_lines(sources: Mapping[str, str] | None, span: Span) -> tuple[list[str], int] | None:
    """The lines of the file ``span`` is in and the index of its first line, when both exist."""
    source = sources.get(span.path) if sources is not None else None
    if source is None:
        return None
    lines = _lines(source)
    line_index = span.start.line - 1
    return (lines, line_index) if 0 <= line_index < len(lines) else None


@lru_cache(maxsize=64)
def _lines(source: str) -> list[str]:
    """The lines of a source text, split once (a str caches its hash, so lookups are cheap)."""
    return source.split("\n")


# --------------------------------------------------------------------------- words and scripts


@dataclass(frozen=True, slots=True, eq=False)
class ShWord:
    """One shell word: its text after quote removal, and where every character came from."""

    text: str
    offsets: tuple[int, ...]  # frame offset of each character of text
    start: int  # frame offset of the word's first source character (a quote included)
    end: int  # exclusive
    literal: bool  # no expansion: no unquoted/double-quoted `$`, backquote, glob or leading `~`
    frame: Frame | None = None
    raw: str = ""  # the word as written, quotes included (for expansion with known variables)

    @property
    def span(self) -> Span | None:
        if self.frame is None:
            return None
        return self.frame.span(self.start, self.end)

    def sub_span(self, start: int, end: int) -> Span | None:
        """Span of ``text[start:end]``."""
        if self.frame is None:
            return None
        if not self.offsets or start >= len(self.offsets):
            return self.span
        first = self.offsets[start]
        last = self.offsets[min(end, len(self.offsets)) - 1] + 1
        return self.frame.span(first, last)


@dataclass(frozen=True, slots=True)
class Redirect:
    operator: str
    target: ShWord | None


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    words: tuple[ShWord, ...]  # the argv, assignments and redirections removed
    assignments: tuple[tuple[str, ShWord], ...] = ()
    redirects: tuple[Redirect, ...] = ()
    background: bool = False  # ended by `&`
    after: str = ""  # the operator before it: "" | "&&" | "||" | ";" | "|" | "&" | "\n"
    piped: bool = False  # part of a pipeline
    conditional: bool = False  # may not run: inside if/while/case, after `||`
    depth: int = 0  # ( ) subshell / { } group nesting
    subshell: int = 0  # ( ) nesting only

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)


@dataclass(frozen=True, slots=True)
class Script:
    commands: tuple[SimpleCommand, ...]
    complete: bool = True  # False: constructs not followed (functions, case, eval, unbalanced quotes)
    problem: str | None = None


@dataclass(slots=True)
class _Token:
    kind: str  # "word" | "op" | "newline"
    value: str
    word: ShWord | None = None


class _Tokenizer:
    """POSIX-shell tokens over ``text``; positions mapped through ``base`` into the frame."""

    def __init__(self, text: str, base: Sequence[int] | None, frame: Frame | None) -> None:
        self.text = text
        self.base = base
        self.frame = frame
        self.complete = True
        self.problem: str | None = None

    def _map(self, offset: int) -> int:
        base = self.base
        if base is None:
            return offset
        if not base:
            return 0
        if offset < len(base):
            return base[offset]
        return base[-1] + 1

    def tokens(self) -> list[_Token]:
        text, n = self.text, len(self.text)
        tokens: list[_Token] = []
        pending_heredocs: list[tuple[str, bool]] = []
        i = 0
        while i < n:
            char = text[i]
            if char in " \t\r":
                i += 1
                continue
            if char == "\\" and i + 1 < n and text[i + 1] == "\n":
                i += 2
                continue
            if char == "\n":
                tokens.append(_Token("newline", "\n"))
                i += 1
                if pending_heredocs:
                    i = self._skip_heredocs(i, pending_heredocs)
                    pending_heredocs = []
                continue
            if char == "#":
                end = text.find("\n", i)
                i = n if end < 0 else end
                continue
            operator = self._operator(i)
            if operator:
                if operator in ("<<", "<<-"):
                    i += len(operator)
                    word, i = self._word(self._skip_blanks(i))
                    if word is not None:
                        pending_heredocs.append((word.text, operator == "<<-"))
                    tokens.append(_Token("op", operator, word))
                    continue
                tokens.append(_Token("op", operator))
                i += len(operator)
                continue
            word, i = self._word(i)
            if word is None:
                break
            # An all-digit word right before a redirection is a file descriptor, not an argument.
            if i < n and text[i] in "<>" and _FD_RE.match(word.text):
                continue
            tokens.append(_Token("word", word.text, word))
        if pending_heredocs:
            self.complete = False
        return tokens

    def _skip_blanks(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t":
            i += 1
        return i

    def _skip_heredocs(self, i: int, pending: list[tuple[str, bool]]) -> int:
        text, n = self.text, len(self.text)
        for delimiter, strip_tabs in pending:
            while i < n:
                end = text.find("\n", i)
                line = text[i:] if end < 0 else text[i:end]
                i = n if end < 0 else end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        return i

    def _operator(self, i: int) -> str:
        text = self.text
        if text[i] not in ";&|()<>":
            return ""
        for operator in ("&>>", "<<<", "<<-", "&&", "||", ";;", ";&", "|&", ">>", "<<", "<&", ">&", "<>", ">|",
                         "&>", ";", "&", "|", "(", ")", "<", ">"):
            if text.startswith(operator, i):
                return operator
        return ""

    def _word(self, i: int) -> tuple[ShWord | None, int]:
        text, n = self.text, len(self.text)
        start = i
        chars: list[str] = []
        offsets: list[int] = []
        literal = True
        if i < n and text[i] == "~":
            literal = False
        while i < n:
            char = text[i]
            if char in " \t\r\n;&|()<>":
                break
            if char == "\\":
                if i + 1 < n:
                    if text[i + 1] != "\n":
                        chars.append(text[i + 1])
                        offsets.append(i + 1)
                    i += 2
                else:
                    i += 1
                continue
            if char == "'":
                close = text.find("'", i + 1)
                if close < 0:
                    self.complete, self.problem = False, "unterminated single quote"
                    close = n
                for k in range(i + 1, close):
                    chars.append(text[k])
                    offsets.append(k)
                i = close + 1
                continue
            if char == '"':
                i += 1
                while i < n and text[i] != '"':
                    c = text[i]
                    if c == "\\" and i + 1 < n and text[i + 1] in '"\\$`\n':
                        if text[i + 1] != "\n":
                            chars.append(text[i + 1])
                            offsets.append(i + 1)
                        i += 2
                        continue
                    if c == "$" or c == "`":
                        literal = False
                        end = self._expansion_end(i)
                        for k in range(i, end):
                            chars.append(text[k])
                            offsets.append(k)
                        i = end
                        continue
                    chars.append(c)
                    offsets.append(i)
                    i += 1
                if i >= n:
                    self.complete, self.problem = False, "unterminated double quote"
                i += 1
                continue
            if char == "$" or char == "`":
                end = self._expansion_end(i)
                if end > i + 1 or char == "`":
                    literal = False
                for k in range(i, end):
                    chars.append(text[k])
                    offsets.append(k)
                i = end
                continue
            if char in "*?[":
                literal = False
            # a run of plain characters at once
            j = i + 1
            while j < n and text[j] not in _SPECIAL:
                j += 1
            chars.append(text[i:j])
            offsets.extend(range(i, j))
            i = j
        if i == start:
            return None, i + 1 if i < n else n
        frame_offsets = tuple(offsets) if self.base is None else tuple(self._map(k) for k in offsets)
        word = ShWord("".join(chars), frame_offsets, self._map(start), self._map(i - 1) + 1 if i > start else
                      self._map(start), literal, self.frame, text[start:i])
        return word, i

    def _expansion_end(self, i: int) -> int:
        """End of the `$…` or backquote expansion starting at ``i`` (bounded, no recursion)."""
        text, n = self.text, len(self.text)
        if text[i] == "`":
            j = i + 1
            while j < n and text[j] != "`":
                j += 2 if text[j] == "\\" else 1
            return min(j + 1, n)
        if i + 1 >= n:
            return i + 1
        following = text[i + 1]
        if following in "({":
            opener, closer = following, ")" if following == "(" else "}"
            depth = 0
            j = i + 1
            quote = ""
            while j < n:
                c = text[j]
                if quote:
                    if c == quote:
                        quote = ""
                    elif c == "\\" and quote == '"':
                        j += 1
                elif c in "'\"":
                    quote = c
                elif c == "\\":
                    j += 1
                elif c == opener:
                    depth += 1
                    if depth > MAX_NESTING:
                        self.complete = False
                        return n
                elif c == closer:
                    depth -= 1
                    if depth == 0:
                        return j + 1
                j += 1
            self.complete, self.problem = False, f"unterminated `${following}`"
            return n
        if following.isalnum() or following == "_":
            j = i + 1
            if following.isdigit():
                return j + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            return j
        if following in "@*#?-$!":
            return i + 2
        return i + 1  # a lone `$` is a literal dollar sign


_SPECIAL = frozenset(" \t\r\n;&|()<>\\'\"$`*?[")
_RESERVED_START = frozenset(("if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"))
_RESERVED_END = frozenset(("fi", "done", "esac", "}"))


def parse_script(text: str, base: Sequence[int] | None = None, frame: Frame | None = None, *,
                 case_arms: bool = False) -> Script:
    """Split a shell script into simple commands (see the module docstring); never raises.

    ``case`` bodies are skipped unless ``case_arms`` is true: then the commands of every arm are kept
    (as ``conditional``) and only ``case WORD in`` and the ``pattern)`` of each arm are left out. A
    start command's arms are guesses, but a RUN step's installs must all count, whichever arm runs.
    """
    if len(text) > MAX_SCRIPT:
        return Script((), False, "script too long to analyse")
    try:
        tokenizer = _Tokenizer(text, base, frame)
        tokens = tokenizer.tokens()
        commands, complete = _commands(tokens, case_arms)
        return Script(tuple(commands), complete and tokenizer.complete, tokenizer.problem)
    except Exception as error:  # defensive: a tokenizer bug must not stop the lint
        return Script((), False, f"{type(error).__name__}: {error}")


def _commands(tokens: list[_Token], case_arms: bool = False) -> tuple[list[SimpleCommand], bool]:
    commands: list[SimpleCommand] = []
    complete = True
    words: list[ShWord] = []
    assignments: list[tuple[str, ShWord]] = []
    redirects: list[Redirect] = []
    after = ""
    piped_in = False
    depth = 0
    subshell = 0
    conditional_depth = 0  # inside if/while/until/case bodies
    in_condition_stack: list[str] = []
    skip_until: str | None = None  # "do" after `for x in …`, "esac" for case
    or_chain = False
    expect_redirect_target: str | None = None
    function_depth: int | None = None
    case_states: list[str] = []  # with case_arms, per open `case`: "subject" | "patterns" | "body"

    def flush(terminator: str) -> None:
        nonlocal words, assignments, redirects, after, piped_in, or_chain
        if words or assignments or redirects:
            conditional = conditional_depth > 0 or or_chain or function_depth is not None
            commands.append(SimpleCommand(
                tuple(words), tuple(assignments), tuple(redirects), terminator == "&", after,
                piped_in or terminator in ("|", "|&"), conditional, depth, subshell))
        words, assignments, redirects = [], [], []
        piped_in = terminator in ("|", "|&")
        if terminator == "||":
            or_chain = True
        elif terminator in (";", "\n", "&", ";;"):
            or_chain = False
        if terminator:
            after = "\n" if terminator == "newline" else terminator

    for token in tokens:
        if expect_redirect_target is not None:
            if token.kind == "word":
                redirects.append(Redirect(expect_redirect_target, token.word))
                expect_redirect_target = None
                continue
            redirects.append(Redirect(expect_redirect_target, None))
            expect_redirect_target = None
        if case_states and case_states[-1] != "body":
            # `case WORD in` and each arm's `pattern)` are not commands.
            if case_states[-1] == "subject":
                if token.kind == "word" and token.value == "in":
                    case_states[-1] = "patterns"
            elif token.kind == "op" and token.value == ")":
                case_states[-1] = "body"
            elif token.kind == "word" and token.word is not None and token.word.literal and token.word.raw == "esac":
                case_states.pop()
                conditional_depth = max(0, conditional_depth - 1)
            continue
        if skip_until is not None:
            if token.kind == "word" and token.value == skip_until and not words:
                if skip_until == "esac":
                    conditional_depth = max(0, conditional_depth - 1)
                skip_until = None
            elif skip_until == "esac" and token.kind == "word" and token.value == "esac":
                skip_until = None
                conditional_depth = max(0, conditional_depth - 1)
            continue
        if token.kind == "newline":
            flush("newline")
            continue
        if token.kind == "op":
            value = token.value
            if value in ("<<", "<<-"):
                redirects.append(Redirect(value, token.word))
                continue
            if value in ("<", ">", ">>", "<&", ">&", "<>", ">|", "&>", "&>>", "<<<"):
                expect_redirect_target = value
                continue
            if value == "(":
                if words and not assignments and len(words) == 1:
                    # `name ( ) { … }`: a function definition; its body runs only when called.
                    complete = False
                    function_depth = depth
                    words = []
                    continue
                depth += 1
                subshell += 1
                continue
            if value == ")":
                flush("")
                if function_depth is not None and depth == function_depth:
                    continue  # the `)` of `name ( )`
                depth = max(0, depth - 1)
                subshell = max(0, subshell - 1)
                continue
            if value in (";;", ";&"):
                flush(";")
                if case_states:
                    case_states[-1] = "patterns"  # the next arm
                continue
            flush(value)
            continue
        word = token.word
        assert word is not None
        value = token.value
        if not words and not assignments:
            if word.literal and value in _RESERVED_START and word.raw == value:
                if value in ("if", "while", "until"):
                    in_condition_stack.append(value)
                    conditional_depth += 1
                elif value == "{":
                    depth += 1
                continue
            if word.literal and value in _RESERVED_END and word.raw == value:
                if value == "}":
                    depth = max(0, depth - 1)
                    if function_depth is not None and depth <= function_depth:
                        function_depth = None
                elif value in ("fi", "done"):
                    if in_condition_stack:
                        in_condition_stack.pop()
                    conditional_depth = max(0, conditional_depth - 1)
                elif value == "esac" and case_states:
                    case_states.pop()  # the last arm ended without `;;`
                    conditional_depth = max(0, conditional_depth - 1)
                continue
            if word.literal and word.raw in ("for", "select"):
                skip_until = "do"
                in_condition_stack.append(word.raw)
                conditional_depth += 1
                continue
            if word.literal and word.raw == "case":
                if case_arms:
                    case_states.append("subject")
                else:
                    skip_until = "esac"
                conditional_depth += 1
                complete = False
                continue
            if word.literal and word.raw == "function":
                complete = False
                function_depth = depth
                continue
        if not words:
            match = _ASSIGNMENT_RE.match(value)
            if match and word.raw[:match.end()] == value[:match.end()]:
                assignments.append((match.group(1), word))
                continue
        words.append(word)
    if expect_redirect_target is not None:
        redirects.append(Redirect(expect_redirect_target, None))
    flush("")
    return commands, complete


def assignment_value(word: ShWord) -> str:
    """The value part of a ``NAME=value`` word."""
    return word.text.split("=", 1)[1] if "=" in word.text else ""


# --------------------------------------------------------------------------- variable expansion


def expand(word: ShWord, env: Mapping[str, str] | None) -> str | None:
    """The word's value at run time: its text when literal, else expanded with ``env``.

    None when it depends on something unknown: a variable not in ``env``, a command
    substitution, a glob, ``~``.
    """
    if word.literal:
        return word.text
    if env is None:
        return None
    raw = word.raw
    if "`" in raw or "$(" in raw or raw.startswith("~"):
        return None
    if re.search(r"(?<!\\)[*?\[]", raw.replace("'*'", "").replace('"*"', "")):
        return None
    names = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", raw)
    if not names or any(name not in env for name in names):
        return None
    if re.search(r"\$\{[^}]*[:#%/?+-]", raw):
        return None
    from composelint.parsers.dockerfile import substitute

    return substitute(raw, env)


# --------------------------------------------------------------------------- what runs


@dataclass(frozen=True, slots=True, eq=False)
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


@dataclass(frozen=True, slots=True, eq=False)
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


@dataclass(frozen=True, slots=True, eq=False)
class StartAnalysis:
    invocations: tuple[Invocation, ...]
    shells: tuple[ShellCall, ...]
    complete: bool  # False when part of the command could not be followed


def _wrapper_skip(name: str, words: Sequence[ShWord], i: int) -> tuple[int, str] | None:
    """For a wrapper program at ``words[i]``: (index of the wrapped program, kind) or None."""
    n = len(words)
    j = i + 1

    def options(with_value: Iterable[str] = (), stop_at_dashdash: bool = True) -> int:
        k = j
        takes = frozenset(with_value)
        while k < n:
            text = words[k].text
            if text == "--" and stop_at_dashdash:
                return k + 1
            if not text.startswith("-") or text == "-":
                return k
            if text in takes:
                k += 2
                continue
            k += 1
        return k

    if name in ("tini", "tini-static", "docker-init"):
        return options(("-p", "-e", "-l")), "init"
    if name == "dumb-init":
        return options(("-r", "--rewrite")), "init"
    if name == "catatonit":
        return options(("-P",)), "init"
    if name in ("gosu", "su-exec", "s6-setuidgid"):
        return (j + 1, "user") if j < n else None
    if name in ("nohup", "builtin"):
        return j, "plain"
    if name == "exec":
        return options(("-a",)), "exec"
    if name == "command":
        if j < n and words[j].text in ("-v", "-V"):
            return None  # `command -v x` looks a program up; it does not run it
        return options(), "plain"
    if name == "time":
        return options(("-f", "-o")), "plain"
    if name == "nice":
        return options(("-n", "--adjustment")), "plain"
    if name == "ionice":
        return options(("-c", "-n", "-p", "-P", "-u")), "plain"
    if name == "stdbuf":
        return options(("-i", "-o", "-e")), "plain"
    if name == "timeout":
        k = options(("-s", "-k", "--signal", "--kill-after"))
        return (k + 1, "plain") if k < n else None
    if name == "taskset":
        k = options(("-c",))
        return (k + 1, "plain") if k < n and not words[j].text.startswith("-c") else (k, "plain")
    if name == "setpriv":
        return options(("--reuid", "--regid", "--groups", "--ruid", "--rgid", "--euid", "--egid")), "user"
    if name in ("runuser",):
        return options(("-u", "-g", "-G", "--user", "--group")), "user"
    if name == "sudo":
        return options(("-u", "-g", "-U", "-C", "-h", "-p", "-r", "-t", "-D", "--user", "--group")), "user"
    if name == "chpst":
        return options(("-u", "-U", "-e", "-/", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c", "-r",
                        "-t")), "user"
    return None


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
        if not script_word.literal and ("$" in script_word.raw.strip("'") or "`" in script_word.raw):
            # Double-quoted scripts still reach the shell; only the outer layer's expansions matter,
            # and those are few in start commands. Parse what is written.
            pass
        parsed = parse_script(script_word.text, script_word.offsets, script_word.frame)
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
        directory_stack: list[tuple[int, str | None, bool]] = []
        current_cwd, current_unknown = cwd, cwd_unknown
        for command in commands:
            # A `cd` inside ( ) ends with the subshell.
            while directory_stack and command.subshell < directory_stack[-1][0]:
                _, current_cwd, current_unknown = directory_stack.pop()
            if command.words and command.words[0].text == "cd":
                if command.subshell and (not directory_stack or directory_stack[-1][0] < command.subshell):
                    directory_stack.append((command.subshell, current_cwd, current_unknown))
                target = command.words[1] if len(command.words) > 1 else None
                if target is None or not target.literal or target.text in ("-",) or command.conditional:
                    current_unknown = True
                else:
                    current_cwd = _join(current_cwd, target.text)
                continue
            self.argv(command.words, depth=depth, shell=call, command=command, cwd=current_cwd,
                      cwd_unknown=current_unknown, wrapped=wrapped, inherited=inherited)


def _join(cwd: str | None, target: str) -> str:
    if target.startswith("/"):
        return "/" + posixpath.normpath(target).lstrip("/")
    if cwd is None:
        return target if target.startswith("./") or target == "." else "./" + target
    joined = posixpath.normpath(posixpath.join(cwd, target))
    return "/" + joined.lstrip("/") if joined.startswith("/") else joined


def words_of(part: CommandPart, sources: Mapping[str, str] | None,
             located: Sequence[Span] | None = None) -> list[ShWord]:
    """The part's words as shell words, each its own frame (exec-form elements are literal).

    ``located`` gives better spans for the words (the JSON elements of a Dockerfile exec form).
    """
    result = []
    for index, word in enumerate(part.words):
        if located is not None and index < len(located) and located[index] is not None:
            word = CommandWord(word.text, located[index])
        frame = Frame(word, sources, part)
        result.append(ShWord(word.text, tuple(range(len(word.text))), 0, len(word.text), True, frame, word.text))
    return result


def start_analysis(project, start: EffectiveCommand, prefix: Sequence[str] = ()) -> StartAnalysis:
    """The programs an effective start command runs (cached per command).

    ``prefix`` is an ENTRYPOINT the image brings that the model cannot show (a distroless image's
    ``python3``): its words come first and have no position.
    """
    cache = project.extras.setdefault("shell.start_analysis", {})
    key = (id(start), tuple(prefix))
    hit = cache.get(key)
    if hit is not None and hit[0] is start:
        return hit[1]
    words: list[ShWord] = [ShWord(text, (), 0, 0, True, None, text) for text in prefix]
    parts = start.parts()
    shell_form = any(part.form == "shell" for part in parts)
    for part in parts:
        words.extend(words_of(part, project.sources, exec_spans(project, part)))
    if not parts:
        result = StartAnalysis((), (), True)
    else:
        walker = _Walker(parts[0])
        walker.argv(words, depth=0, implicit_shell=shell_form)
        result = StartAnalysis(tuple(walker.invocations), tuple(walker.shells), walker.complete)
    cache[key] = (start, result)
    return result


# --------------------------------------------------------------------------- Dockerfile exec forms


_JSON_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def exec_spans(project, part: CommandPart) -> list[Span] | None:
    """Spans of each element of a Dockerfile exec-form array (``CMD ["python", "app.py"]``)."""
    if part.form != "exec" or not part.origin.startswith("image-") or not part.words:
        return None
    first = part.words[0].span
    found = _source_lines(project.sources, first)
    if found is None:
        return None
    lines, line_index = found
    end_line = part.span.end.line - 1 if part.span.end is not None else line_index
    import json

    spans: list[Span] = []
    index = 0
    for number in range(line_index, min(end_line, len(lines) - 1) + 1):
        line = lines[number]
        start_column = first.start.column - 1 if number == line_index else 0
        for match in _JSON_STRING.finditer(line, start_column):
            if index >= len(part.words):
                break
            try:
                value = json.loads(match.group(0))
            except ValueError:
                return None
            if value != part.words[index].text:
                return None
            spans.append(Span(first.path, Position(number + 1, match.start(1) + 1),
                              Position(number + 1, match.end(1) + 1)))
            index += 1
    return spans if index == len(part.words) else None


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


_NPM_INSTALL = frozenset(("install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal",
                          "isntall", "add", "ci", "clean-install", "install-clean", "isntall-clean", "update", "up",
                          "upgrade", "udpate"))
_INSTALLERS = {
    "apt-get": ("install",), "apt": ("install",), "aptitude": ("install",), "apk": ("add",), "yum": ("install",),
    "dnf": ("install",), "microdnf": ("install",), "zypper": ("install", "in"), "tdnf": ("install",),
    "poetry": ("install", "add", "update", "sync"), "pipenv": ("install", "sync", "update"),
    "pdm": ("install", "sync", "add", "update"), "conda": ("install", "create", "update"),
    "mamba": ("install", "create", "update"), "micromamba": ("install", "create", "update"),
    "pipx": ("install",), "pnpm": ("install", "i", "add", "update", "up"), "bun": ("install", "i", "add"),
    "gem": ("install",), "bundle": ("install", "update"), "composer": ("install", "require", "update"),
    "cargo": ("install",), "easy_install": (), "pip-sync": (),
}


def _first_operand(words: Sequence[ShWord], start: int) -> tuple[int, str] | None:
    for index in range(start, len(words)):
        text = words[index].text
        if not text.startswith("-"):
            return index, text
    return None


def package_install(invocation: Invocation) -> bool:
    """Whether the invocation installs packages (pip, npm, apt-get, apk, poetry …)."""
    words = invocation.words
    if not words or invocation.role != "main":
        return False
    name = invocation.name
    if re.fullmatch(r"pip(?:3(?:\.\d+)?)?", name):
        operand = _first_operand(words, 1)
        return operand is not None and operand[1] == "install"
    if is_python(name) and len(words) > 3 and words[1].text == "-m" and words[2].text == "pip":
        operand = _first_operand(words, 3)
        return operand is not None and operand[1] == "install"
    if name == "uv":
        operand = _first_operand(words, 1)
        if operand is None:
            return False
        if operand[1] == "pip":
            following = _first_operand(words, operand[0] + 1)
            return following is not None and following[1] in ("install", "sync")
        return operand[1] in ("sync", "add")
    if name == "npm":
        operand = _first_operand(words, 1)
        return operand is not None and operand[1] in _NPM_INSTALL
    if name == "yarn":
        operand = _first_operand(words, 1)
        return operand is None or operand[1] in ("install", "add", "upgrade")
    if name in ("easy_install", "pip-sync"):
        return True
    verbs = _INSTALLERS.get(name)
    if verbs:
        operand = _first_operand(words, 1)
        if name in ("conda", "mamba", "micromamba") and operand is not None and operand[1] == "env":
            operand = _first_operand(words, operand[0] + 1)
            return operand is not None and operand[1] in ("create", "update")
        return operand is not None and operand[1] in verbs
    return False


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().strip("'\"").lower() in ("1", "true", "yes", "on")


# Script names that say "development server" when the package.json cannot be read (`serve` does not:
# it is as often `serve -s build`, a static server).
_DEV_SCRIPT = re.compile(r"^(?:dev|develop|development|watch|start[:_-]?dev|start[:_-]?watch|dev[:_-].*|"
                         r"watch[:_-].*|.*[:_-]watch)$")
_DEV_TEXT = re.compile(
    r"(?:^|[\s;&|(])(?:npx\s+)?(?:nodemon|ts-node-dev|tsnd|node-dev|react-scripts\s+start|next\s+dev|nuxt\s+dev|"
    r"nuxi\s+dev|vite(?:\s+(?:dev|serve))?(?=\s*$|\s*[;&|)]|\s+-)|ng\s+serve|vue-cli-service\s+serve|webpack\s+serve|"
    r"webpack-dev-server|nest\s+start\s+[^;&|]*--watch|tsx\s+watch|node\s+[^;&|]*--watch|astro\s+dev|"
    r"remix\s+dev|svelte-kit\s+dev|gatsby\s+develop|ember\s+serve|parcel(?!\s+build))(?=\s|$|[;&|)])")


def dev_mode(invocation: Invocation, env: Mapping[str, str]) -> tuple[str, ShWord | None] | None:
    """A development server or reload mode: (what, the word that says so) or None.

    ``env`` is the container's environment (image ENV and compose ``environment``) for flags
    such as ``FLASK_DEBUG=1`` or ``UVICORN_RELOAD=true``.
    """
    words = invocation.words
    if not words or invocation.role == "shell":
        return None
    name = invocation.name
    start = 1
    if is_python(name) and len(words) > 2 and words[1].text == "-m":
        name, start = words[2].text, 3
    argv = [word.text for word in words]
    local_env = dict(env)
    local_env.update(invocation.env())
    if name in ("uvicorn", "hypercorn", "gunicorn"):
        for word in words[start:]:
            if word.text == "--reload" or word.text.startswith("--reload-") or word.text.startswith("--reload="):
                return f"`{name} {word.text}`", word
        if name == "uvicorn" and _truthy(local_env.get("UVICORN_RELOAD")):
            return "`UVICORN_RELOAD` set", None
        if name == "gunicorn" and "--reload" in (local_env.get("GUNICORN_CMD_ARGS") or "").split():
            return "`--reload` in `GUNICORN_CMD_ARGS`", None
        return None
    if name == "flask":
        if "run" not in argv[start:]:
            return None
        run_index = argv.index("run", start)
        for word in words[start:]:
            if word.text in ("--debug", "--reload"):
                return f"`flask {'run ' if argv.index(word.text) > run_index else ''}{word.text}`", word
        if "--no-reload" in argv or "--no-debug" in argv:
            return None
        if _truthy(local_env.get("FLASK_DEBUG")):
            return "`flask run` with `FLASK_DEBUG` set", None
        if (local_env.get("FLASK_ENV") or "").strip().lower() == "development":
            return "`flask run` with `FLASK_ENV=development`", None
        return None
    if name in ("manage.py", "django-admin") or (is_python(invocation.name) and start == 1 and len(words) > 1
                                                 and posixpath.basename(words[1].text) == "manage.py"):
        for word in words:
            if word.text in ("runserver", "runserver_plus"):
                return f"Django's `{word.text}`", word
        return None
    if name in ("watchmedo", "watchfiles", "nodemon", "ts-node-dev", "tsnd", "node-dev"):
        return f"`{name}`", words[start - 1] if start > 1 else words[0]
    if name in ("node", "nodejs", "deno", "bun"):
        for word in words[1:]:
            if word.text in ("--watch", "--watch-path") or word.text.startswith("--watch="):
                return f"`{name} {word.text}`", word
            if not word.text.startswith("-"):
                break
        return None
    if name in ("npm", "yarn", "pnpm", "bun"):
        operand = _first_operand(words, 1)
        if operand is None:
            return None
        index, verb = operand
        script = None
        if verb in ("run", "run-script"):
            following = _first_operand(words, index + 1)
            script = following[1] if following else None
            word = words[following[0]] if following else None
        elif name != "npm" or verb in ("start",):
            script, word = verb, words[index]
        else:
            return None
        if script is not None and script != "start" and _DEV_SCRIPT.match(script):
            return f"`{name} {'run ' if verb in ('run', 'run-script') else ''}{script}`", word
        return None
    text = " ".join(argv)
    if _DEV_TEXT.search(text):
        return f"`{describe(invocation, 40)}`", words[0]
    return None


def dev_script_text(script: str) -> bool:
    """Whether a package.json script (its text) runs a development server."""
    return bool(_DEV_TEXT.search(script))


@dataclass(frozen=True, slots=True)
class Operand:
    """A file a command needs in order to start: a script, a module, a jar, the program itself."""

    word: ShWord
    kind: str  # "program" | "script" | "module" | "jar" | "package.json" | "node-script"
    value: str  # the path or dotted module name (expanded)


def _pip_files(invocation: Invocation, name: str) -> list[ShWord] | None:
    """The requirement/constraint files of `pip install -r FILE` (None: not a pip install)."""
    words = invocation.words
    start = 1
    if is_python(name) and len(words) > 2 and words[1].text == "-m" and words[2].text == "pip":
        start = 3
    elif not re.fullmatch(r"pip(?:3(?:\.\d+)?)?", name):
        return None
    operand = _first_operand(words, start)
    if operand is None or operand[1] != "install":
        return None
    files = []
    for index in range(operand[0] + 1, len(words) - 1):
        if words[index].text in ("-r", "--requirement", "-c", "--constraint"):
            files.append(words[index + 1])
    return files


def _operand(word: ShWord, kind: str, env: Mapping[str, str] | None) -> Operand | None:
    value = expand(word, env)
    return Operand(word, kind, value) if value else None


def _never(text: str) -> bool:
    return False


@dataclass(frozen=True)
class _Interpreter:
    """How an interpreter's argv names the file it runs, read past its options."""

    positional: str | None  # the kind of its first positional word (None: that word is no file of ours)
    value_options: frozenset = frozenset()  # options whose value is the next word
    operand_options: Mapping[str, str] = field(default_factory=dict)  # `-m MODULE`, `-jar FILE`: next word's kind
    stop: Callable[[str], bool] = _never  # an option after which the code comes from elsewhere (`-c CODE`)
    option_prefixes: tuple[str, ...] = ("-",)

    def operand(self, words: Sequence[ShWord], env: Mapping[str, str] | None) -> Operand | None:
        index = 1
        while index < len(words):
            text = words[index].text
            if text in self.value_options:
                index += 2
                continue
            if text in self.operand_options:
                return _operand(words[index + 1], self.operand_options[text], env) if index + 1 < len(words) else None
            if self.stop(text):
                return None
            if text.startswith(self.option_prefixes):
                index += 1
                continue
            return _operand(words[index], self.positional, env) if self.positional else None
        return None


def _shell_stop(text: str) -> bool:
    # `-c` reads the script from an argument and `-s` from stdin, in any cluster of flags (`-ec`).
    return text.startswith(("-", "+")) and ("c" in text or "s" in text[1:] or text in ("--version", "--help"))


_PYTHON = _Interpreter(
    "script", frozenset(("-W", "-X", "--check-hash-based-pycs")), {"-m": "module"},
    lambda text: text == "-" or text.startswith("-c") or text in ("--version", "-V", "--help", "-h"))
_INTERPRETERS = {
    "node": _Interpreter("node-script", frozenset((
        "-r", "--require", "--import", "--loader", "--experimental-loader", "--env-file", "--inspect-port", "--title",
        "--conditions", "-C", "--input-type", "--stack-size", "--max-old-space-size", "--watch-path",
        "--localstorage-file")), stop=frozenset((
            "-e", "--eval", "-p", "--print", "-i", "--interactive", "-v", "--version", "-h", "--help", "-", "--test",
            "--run")).__contains__),
    "sh": _Interpreter("script", frozenset(("-o", "+o", "-O", "+O", "--rcfile", "--init-file")), stop=_shell_stop,
                       option_prefixes=("-", "+")),
    "java": _Interpreter(None, frozenset((
        "-cp", "-classpath", "--class-path", "-p", "--module-path", "--add-modules", "--add-opens", "--add-exports",
        "-javaagent", "--enable-native-access")), {"-jar": "jar"}),
}
_INTERPRETERS["nodejs"] = _INTERPRETERS["node"]


def operands(invocation: Invocation, env: Mapping[str, str] | None = None) -> list[Operand]:
    """Files and modules the invocation runs (see :class:`Operand`); only what is certain."""
    words = invocation.words
    if not words or invocation.role == "shell":
        return []
    found: list[Operand] = []
    program = words[0]
    program_text = expand(program, env)
    if program_text is None:
        return []
    name = posixpath.basename(program_text)
    if "/" in program_text and invocation.runner is None:
        found.append(Operand(program, "program", program_text))
    if invocation.role != "main":
        return found
    requirements = _pip_files(invocation, name)
    if requirements is not None:
        found.extend(operand for operand in (_operand(word, "requirements", env) for word in requirements) if operand)
        return found
    interpreter = _PYTHON if is_python(name) else _INTERPRETERS.get("sh" if name in SHELLS else name)
    if interpreter is not None:
        operand = interpreter.operand(words, env)
        if operand is not None:
            found.append(operand)
        return found
    if name in ("ruby", "perl", "php", "Rscript", "deno", "bun", "ts-node", "tsx") and len(words) > 1:
        index = 1
        if name in ("deno", "bun") and words[1].text == "run":
            index = 2
        elif name in ("deno", "bun"):
            return found
        if name in ("ruby", "perl", "php", "Rscript") and index < len(words) and words[index].text.startswith("-"):
            return found  # options may take values (`php -S addr`): do not guess which word is the script
        while index < len(words) and words[index].text.startswith("-"):
            index += 1
        if index < len(words):
            value = expand(words[index], env)
            if value and (name not in ("ruby", "perl", "php") or "." in posixpath.basename(value)):
                found.append(Operand(words[index], "script", value))
        return found
    if name in ("npm", "yarn", "pnpm"):
        operand = _first_operand(words, 1)
        if operand is not None and (operand[1] in ("start", "run", "run-script", "test") or
                                    (name != "npm" and operand[1] not in _NPM_INSTALL and operand[1] not in (
                                        "install", "add", "exec", "dlx", "global", "create", "init", "config",
                                        "cache", "--version", "version", "help"))):
            found.append(Operand(words[operand[0]], "package.json", "package.json"))
        return found
    if name in ("uvicorn", "gunicorn", "hypercorn", "daphne"):
        for word in words[1:]:
            text = word.text
            if text.startswith("-") or "=" in text:
                continue
            if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.()]*", text):
                found.append(Operand(word, "module", text.split(":", 1)[0]))
                break
        return found
    return found
