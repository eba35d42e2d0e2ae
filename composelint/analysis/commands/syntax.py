"""The shell parser: :func:`parse_script` splits a POSIX shell script into :class:`SimpleCommand` s.

Quotes, ``&&``, ``||``, ``;``, ``|``, ``&``, newlines, subshells and groups, ``if``/``while``/``for``/``case``
bodies, redirections, here-documents, comments, ``NAME=value`` prefixes. Every word keeps the offset of each
of its characters in the text, so a word found three levels down (``sh -c "tini -- sh -c 'python x.py'"``)
still maps to its column in the file. Nothing raises on hostile input; scripts and nesting are bounded."""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from composelint.diagnostics import Span
from composelint.records import record
from composelint.analysis.commands.maps import Frame, MAX_SCRIPT

MAX_NESTING = 64  # $( $( … ) ) and ${ … } inside one word
_ASSIGNMENT_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\+?=")
_FD_RE = re.compile(r"\d+\Z")



@record(frozen=True, slots=True, eq=False)
class ShWord:
    """One shell word: its text after quote removal, and where every character came from."""

    text: str
    offsets: tuple[int, ...]  # frame offset of each character of text
    start: int  # frame offset of the word's first source character (a quote included)
    end: int  # exclusive
    literal: bool  # no expansion: no unquoted/double-quoted `$`, backquote, glob or leading `~`
    frame: Frame | None = None
    raw: str = ""  # the word as written, quotes included (for expansion with known variables)
    # Frame offset where each character's source starts when that is not ``offsets`` (an escaped character
    # starts at its backslash: `\"`); empty when the same.
    starts: tuple[int, ...] = ()

    @property
    def span(self) -> Span | None:
        if self.frame is None:
            return None
        return self.frame.span(self.start, self.end)


@record(frozen=True, slots=True)
class Redirect:
    operator: str
    target: ShWord | None


@record(frozen=True, slots=True)
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
    in_function: bool = False  # in the body of a function definition (runs when called)

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(word.text for word in self.words)


@record(frozen=True, slots=True)
class Script:
    commands: tuple[SimpleCommand, ...]
    complete: bool = True  # False: constructs not followed (functions, case, eval, unbalanced quotes)
    problem: str | None = None


@record(slots=True)
class _Token:
    kind: str  # "word" | "op" | "newline"
    value: str
    word: ShWord | None = None


class _Tokenizer:
    """POSIX-shell tokens over ``text``; positions mapped through ``base`` into the frame."""

    def __init__(self, text: str, base: Sequence[int] | None, frame: Frame | None,
                 base_starts: Sequence[int] | None = None) -> None:
        self.text = text
        self.base = base
        self.base_starts = base_starts
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

    def _map_start(self, offset: int) -> int:
        """Where the source of character ``offset`` starts in the frame (before an escaping backslash)."""
        starts = self.base_starts
        if starts is not None and 0 <= offset < len(starts):
            return starts[offset]
        return self._map(offset)

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
        escapes: list[int] = []  # characters written behind a backslash
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
                        escapes.append(i + 1)
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
                            escapes.append(i + 1)
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
        starts: tuple[int, ...] = ()
        if escapes or self.base_starts is not None:
            escaped = set(escapes)
            starts = tuple(self._map_start(k - 1 if k in escaped else k) for k in offsets)
        word = ShWord("".join(chars), frame_offsets, self._map_start(start), self._map(i - 1) + 1 if i > start else
                      self._map_start(start), literal, self.frame, text[start:i], starts)
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
                 case_arms: bool = False, starts: Sequence[int] | None = None, limit: int = MAX_SCRIPT) -> Script:
    """Split a shell script into simple commands (see the module docstring); never raises.

    ``base`` maps offsets of ``text`` into the frame (a script that is itself a word: its ``offsets``),
    ``starts`` where each character's source starts there (its ``starts``: escaped characters begin at
    their backslash).

    ``case`` bodies are skipped unless ``case_arms`` is true: then the commands of every arm are kept
    (as ``conditional``) and only ``case WORD in`` and the ``pattern)`` of each arm are left out. A
    start command's arms are guesses, but a RUN step's installs must all count, whichever arm runs.
    """
    if len(text) > limit:
        return Script((), False, "script too long to analyse")
    try:
        tokenizer = _Tokenizer(text, base, frame, starts)
        tokens = tokenizer.tokens()
        commands, complete = _commands(tokens, case_arms)
        return Script(tuple(commands), complete and tokenizer.complete, tokenizer.problem)
    except Exception as error:  # defensive: a tokenizer bug must not stop the lint
        return Script((), False, f"{type(error).__name__}: {error}")


SCRIPTS = "commands.syntax.scripts"  # the table of the run's derived facts that parse_shared's callers pass


def parse_shared(text: str, memo: dict | None, *, case_arms: bool = False) -> Script:
    """:func:`parse_script` of a script without a frame or base (a RUN step's text), kept in ``memo``
    (``project.facts.table(SCRIPTS)``): the same RUN lines recur across Dockerfiles and image models
    (awesome-compose: 304 parses of 116 scripts). The Script is shared by every caller, so its words
    are values: never tell two of them apart by identity (``is``, ``id``)."""
    arms = case_arms and "case" in text  # without a `case` word both modes give the same commands
    if memo is None:
        return parse_script(text, case_arms=arms)
    if (text, arms) not in memo:
        memo[(text, arms)] = parse_script(text, case_arms=arms)
    return memo[(text, arms)]


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
                piped_in or terminator in ("|", "|&"), conditional, depth, subshell, function_depth is not None))
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


# --------------------------------------------------------------------------- words only


@record(frozen=True, slots=True)
class Token:
    """A word of a simple command for readers that need no character map (the repository's automation)."""

    text: str  # after quote removal
    start: int  # offset of its first character (a quote included) in the script
    end: int  # exclusive
    symbolic: bool = False  # holds a `$` expansion or a backquote outside single quotes


def _symbolic(raw: str) -> bool:
    if "$" not in raw and "`" not in raw:
        return False
    i, n, quoted = 0, len(raw), False
    while i < n:
        char = raw[i]
        if char == "\\" and not quoted:
            i += 2
            continue
        if char == "'" and not quoted:
            close = raw.find("'", i + 1)
            i = n if close < 0 else close + 1
            continue
        if char == '"':
            quoted = not quoted
        elif char == "`" or (char == "$" and i + 1 < n and (raw[i + 1].isalnum() or raw[i + 1] in "_{(@*#?!-$")):
            return True
        i += 1
    return False


def command_tokens(text: str) -> list[tuple[list[Token], SimpleCommand]]:
    """Each simple command of ``text`` (every ``case`` arm included) as its words, ``NAME=value``
    prefixes first, with offsets in ``text``; never raises."""
    found = []
    # No length limit of its own: the repository's files are read within the size limits of discovery.
    for command in parse_script(text, case_arms=True, limit=len(text)).commands:
        words = [word for _, word in command.assignments] + list(command.words)
        if words:
            found.append(([Token(word.text, word.start, word.end, _symbolic(word.raw)) for word in words], command))
    return found
