"""Dockerfile variable expansion (``$VAR``, ``${VAR:-word}`` …), as BuildKit's shell lexer does it."""

from __future__ import annotations

from typing import Mapping


def substitute(text: str, env: Mapping[str, str], *, escape: str = "\\", keep_quotes: bool = False) -> str:
    """Expand Dockerfile variables in ``text`` as BuildKit does for ENV, ARG, FROM, COPY, WORKDIR….

    Supports ``$VAR``, ``${VAR}``, ``${VAR:-word}``, ``${VAR-word}``, ``${VAR:+word}``, ``${VAR+word}``,
    ``${VAR:?msg}``/``${VAR?msg}`` (the value, or "" where BuildKit would fail), ``${VAR#pat}``,
    ``${VAR##pat}``, ``${VAR%pat}``, ``${VAR%%pat}`` and ``${VAR/pat/repl}``; an unset variable is "".
    ``\\$`` is a literal ``$``; nothing expands inside single quotes. Like BuildKit, quotes and escape
    characters are removed from the result; ``keep_quotes=True`` keeps them as written (only ``\\$``
    loses its backslash), for text that a shell reads afterwards. ``escape`` is the file's escape
    character (``Dockerfile.escape``).
    """
    try:
        return _WordExpander(text, env, escape, keep_quotes).expand()
    except Exception:  # malformed input: hand back the text rather than fail the caller
        return text


# --------------------------------------------------------------------------- variable expansion


_MAX_NESTING = 32  # ${a:-${b:-${c...}}} deeper than this is kept as written


class _WordExpander:
    """BuildKit's shell-word processing (``shell.Lex.ProcessWord``) over one string, iteratively bounded."""

    def __init__(self, text: str, env: Mapping[str, str], escape: str, keep_quotes: bool) -> None:
        self.text = text
        self.env = env
        self.escape = escape
        self.keep_quotes = keep_quotes
        self.position = 0

    def expand(self) -> str:
        return self._until("", 0)

    def _until(self, stop: str, depth: int) -> str:
        """Process up to (and consuming) ``stop``; ``stop == ""`` means the end of the text."""
        text, length = self.text, len(self.text)
        out: list[str] = []
        while self.position < length:
            char = text[self.position]
            if stop and char == stop:
                self.position += 1
                return "".join(out)
            if char == "'":
                out.append(self._single_quoted())
            elif char == '"':
                out.append(self._double_quoted(depth))
            elif char == "$":
                out.append(self._dollar(depth))
            elif char == self.escape:
                self.position += 1
                if self.position >= length:
                    break
                following = text[self.position]
                if self.keep_quotes and following != "$":
                    out.append(char)
                out.append(following)
                self.position += 1
            else:
                out.append(char)
                self.position += 1
        return "".join(out)

    def _single_quoted(self) -> str:
        text = self.text
        close = text.find("'", self.position + 1)
        if close < 0:  # unterminated: BuildKit fails; keep the rest literally
            body = text[self.position + 1:]
            self.position = len(text)
            return ("'" + body) if self.keep_quotes else body
        body = text[self.position + 1:close]
        self.position = close + 1
        return f"'{body}'" if self.keep_quotes else body

    def _double_quoted(self, depth: int) -> str:
        text, length = self.text, len(self.text)
        out: list[str] = ['"'] if self.keep_quotes else []
        self.position += 1
        while self.position < length:
            char = text[self.position]
            if char == '"':
                self.position += 1
                if self.keep_quotes:
                    out.append('"')
                return "".join(out)
            if char == "$":
                out.append(self._dollar(depth))
                continue
            self.position += 1
            if char == self.escape and self.position < length and text[self.position] in ('"', "$", self.escape):
                following = text[self.position]
                if self.keep_quotes and following != "$":
                    out.append(char)
                out.append(following)
                self.position += 1
                continue
            out.append(char)
        return "".join(out)

    def _name(self) -> str:
        text, length = self.text, len(self.text)
        start = self.position
        if start >= length:
            return ""
        first = text[start]
        if first.isdigit():
            while self.position < length and text[self.position].isdigit():
                self.position += 1
            return text[start:self.position]
        if first in "@*#?-$!":
            self.position += 1
            return first
        while self.position < length and (text[self.position].isalnum() or text[self.position] == "_"):
            self.position += 1
        return text[start:self.position]

    def _dollar(self, depth: int) -> str:
        text, length = self.text, len(self.text)
        start = self.position
        self.position += 1
        if self.position >= length or text[self.position] != "{":
            name = self._name()
            if not name:
                return "$"
            return self.env.get(name, "")
        self.position += 1
        if depth >= _MAX_NESTING or self.position >= length or text[self.position] in "{}:":
            return self._give_up(start)
        name = self._name()
        if self.position >= length:
            return self._give_up(start)
        operator = text[self.position]
        self.position += 1
        value = self.env.get(name)
        if operator == "}":
            return value or ""
        if operator == ":":
            if self.position >= length:
                return self._give_up(start)
            modifier = text[self.position]
            self.position += 1
            word = self._until("}", depth + 1)
            if modifier == "-":
                return value if value else word
            if modifier == "+":
                return word if value else ""
            if modifier == "?":
                return value or ""
            return ""
        if operator in "-+?":
            word = self._until("}", depth + 1)
            if operator == "-":
                return value if value is not None else word
            if operator == "+":
                return word if value is not None else ""
            return value or ""
        if operator in "#%":
            longest = self.position < length and text[self.position] == operator
            if longest:
                self.position += 1
            pattern = self._until("}", depth + 1)
            return _remove_affix(value or "", pattern, prefix=operator == "#", longest=longest)
        if operator == "/":
            replace_all = self.position < length and text[self.position] == "/"
            if replace_all:
                self.position += 1
            body = self._until("}", depth + 1)
            pattern, _, replacement = body.partition("/")
            return _replace_pattern(value or "", pattern, replacement, replace_all)
        # An unsupported modifier: BuildKit fails; skip to the closing brace.
        close = text.find("}", self.position)
        self.position = length if close < 0 else close + 1
        return ""

    def _give_up(self, start: int) -> str:
        """Keep a malformed or too deeply nested ``${`` and the rest of the text as written."""
        self.position = len(self.text)
        return self.text[start:]


_REPLACE_LIMIT = 256  # ${VAR/pat/repl} tries every start position; longer values are left alone


def _glob_tokens(pattern: str) -> list[str]:
    """Shell pattern -> tokens: "*" (any run), "?" (any one character) or a literal character."""
    tokens: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern):
            tokens.append("\\" + pattern[position + 1])
            position += 2
            continue
        if char == "*" and tokens and tokens[-1] == "*":
            position += 1
            continue
        tokens.append(char if char in "*?" else "\\" + char)
        position += 1
    return tokens


def _glob_prefix_lengths(tokens: list[str], text: str) -> list[int]:
    """Every k such that ``text[:k]`` matches the whole pattern: one NFA pass, O(len(text) * len(tokens))."""
    count = len(tokens)

    def closure(states: set[int]) -> set[int]:
        result = set(states)
        for state in sorted(states):
            while state < count and tokens[state] == "*":
                state += 1
                result.add(state)
        return result

    states = closure({0})
    lengths = [0] if count in states else []
    for index, char in enumerate(text, 1):
        advanced = set()
        for state in states:
            if state >= count:
                continue
            token = tokens[state]
            if token == "*":
                advanced.add(state)
            elif token == "?" or token[1] == char:
                advanced.add(state + 1)
        if not advanced:
            break
        states = closure(advanced)
        if count in states:
            lengths.append(index)
    return lengths


def _remove_affix(value: str, pattern: str, prefix: bool, longest: bool) -> str:
    if not pattern:
        return value
    tokens = _glob_tokens(pattern)
    if prefix:
        lengths = _glob_prefix_lengths(tokens, value)
    else:  # a suffix of the value is a prefix of the reversed value for the reversed pattern
        lengths = _glob_prefix_lengths(tokens[::-1], value[::-1])
    if not lengths:
        return value
    cut = max(lengths) if longest else min(lengths)
    return value[cut:] if prefix else value[:len(value) - cut]


def _replace_pattern(value: str, pattern: str, replacement: str, replace_all: bool) -> str:
    if not pattern or len(value) > _REPLACE_LIMIT:
        return value
    tokens = _glob_tokens(pattern)
    out: list[str] = []
    position = 0
    replaced = False
    while position <= len(value):
        lengths = _glob_prefix_lengths(tokens, value[position:]) if not replaced or replace_all else []
        longest = max(lengths) if lengths else 0
        if lengths and longest > 0:
            out.append(replacement)
            position += longest
            replaced = True
            continue
        if position < len(value):
            out.append(value[position])
        position += 1
    return "".join(out)
