""".dockerignore -> :class:`composelint.model.DockerIgnore`, and a matcher with Docker's semantics.

Reading follows moby/patternmatcher ``ignorefile.ReadAll`` (what BuildKit and the Docker CLI use): a
line starting with ``#`` is a comment (only in the first column: `` # x`` is a pattern), surrounding
whitespace is trimmed, blank lines are skipped, ``!`` marks an exception, and the pattern is cleaned
like Go's ``filepath.Clean`` with one leading ``/`` removed (``/foo/``, ``./foo`` and ``foo`` are the
same pattern).

Matching follows ``PatternMatcher.MatchesOrParentMatches``: patterns are tried in order and the last
one that matches decides; a pattern matches a path when it matches the path itself or any of its
parent directories (``node_modules`` excludes ``node_modules/x/y.js``). ``*`` and ``?`` never cross
``/``, ``**`` matches any number of directories, ``[...]`` is a character class. Unlike
``.gitignore``, a pattern without ``/`` is anchored at the context root: ``*.log`` excludes
``app.log`` but not ``logs/app.log`` (write ``**/*.log`` for that).
"""

from __future__ import annotations

import posixpath
import re

from composelint.model import DockerIgnore, IgnorePattern

_MAX_REGEX_WILDCARDS = 3  # more `*`/`**` than this: use the linear-time matcher (no backtracking blow-up)


def parse_dockerignore(text: str, path: str) -> DockerIgnore:
    """Parse a ``.dockerignore``; never raises. Lines that Docker would reject (a lone ``!``) are skipped."""
    if text.startswith("\ufeff"):
        text = text[1:]
    patterns: list[IgnorePattern] = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith("#"):
            continue
        pattern = line.strip()
        if not pattern:
            continue
        exclude = True
        if pattern[0] == "!":
            exclude = False
            pattern = pattern[1:].strip()
            if not pattern:
                continue  # Docker fails with `illegal exclusion pattern: "!"`
        pattern = _go_clean(pattern)
        if len(pattern) > 1 and pattern[0] == "/":
            pattern = pattern[1:]
        patterns.append(IgnorePattern(pattern=pattern, exclude=exclude, line=number))
    return DockerIgnore(path=path, patterns=tuple(patterns))


class IgnoreMatcher:
    """The patterns of one ``.dockerignore``, compiled once; ``is_excluded`` answers per path."""

    def __init__(self, ignore: DockerIgnore | None) -> None:
        self.ignore = ignore
        self._compiled: list[tuple[IgnorePattern, _Pattern]] = []
        for pattern in ignore.patterns if ignore is not None else ():
            compiled = _Pattern.compile(_go_clean(pattern.pattern))
            if compiled is not None:  # a pattern Docker refuses (bad `[` class) never matches here
                self._compiled.append((pattern, compiled))

    def is_excluded(self, relpath: str) -> bool:
        """True if Docker leaves ``relpath`` (POSIX, relative to the build context) out of the context."""
        return self.deciding_pattern(relpath) is not None

    def deciding_pattern(self, relpath: str) -> IgnorePattern | None:
        """The pattern that excludes ``relpath``, or None when the path is sent to the builder.

        Useful in messages: "`app.py` is excluded by `.dockerignore` line 3 (`*.py`)".
        """
        path = _clean_relpath(relpath)
        if path is None:
            return None
        parents = path.split("/")[:-1]
        prefixes = ["/".join(parents[:count]) for count in range(1, len(parents) + 1)]
        matched: IgnorePattern | None = None
        for pattern, compiled in self._compiled:
            # As patternmatcher: an exclusion is only tried while excluded, an inclusion only while not.
            if pattern.exclude == (matched is not None):
                continue
            if compiled.matches(path) or any(compiled.matches(prefix) for prefix in prefixes):
                matched = pattern if pattern.exclude else None
        return matched


def _go_clean(path: str) -> str:
    """Go's ``filepath.Clean`` on a POSIX path (Python keeps a leading ``//``; Go does not)."""
    if not path:
        return "."
    cleaned = posixpath.normpath(path)
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def _clean_relpath(relpath: str) -> str | None:
    path = _go_clean(relpath)
    while path.startswith("./"):
        path = path[2:]
    path = path.lstrip("/")
    if not path or path == ".":
        return None  # the context root itself is never excluded
    return path


class _Pattern:
    """One cleaned pattern, matched the way patternmatcher's compiled ``Pattern`` matches."""

    __slots__ = ("kind", "text", "regex", "tokens")

    def __init__(self, kind: str, text: str, regex: re.Pattern[str] | None, tokens: list[tuple] | None) -> None:
        self.kind = kind  # "exact" | "prefix" | "suffix" | "regex" | "tokens"
        self.text = text
        self.regex = regex
        self.tokens = tokens

    @classmethod
    def compile(cls, pattern: str) -> _Pattern | None:
        tokens, kind = _tokenize(pattern)
        if tokens is None:
            return None
        if kind == "exact":
            return cls("exact", pattern, None, None)
        if kind == "prefix":
            return cls("prefix", pattern[:-2], None, None)
        if kind == "suffix":
            return cls("suffix", pattern[2:], None, None)
        wildcards = sum(1 for token in tokens if token[0] in ("star", "globstar", "tail"))
        if wildcards > _MAX_REGEX_WILDCARDS:
            return cls("tokens", pattern, None, tokens)
        regex_text = "".join(_token_regex(token) for token in tokens)
        return cls("regex", pattern, re.compile(regex_text + r"\Z"), None)

    def matches(self, path: str) -> bool:
        kind = self.kind
        if kind == "exact":
            return path == self.text
        if kind == "prefix":
            return path.startswith(self.text)
        if kind == "suffix":
            suffix = self.text
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        if kind == "regex":
            return self.regex.match(path) is not None  # type: ignore[union-attr]
        return _run_tokens(self.tokens, path)  # type: ignore[arg-type]


def _tokenize(pattern: str) -> tuple[list[tuple] | None, str]:
    """Split a cleaned pattern into tokens and find patternmatcher's match kind.

    Tokens: ``("lit", char)``, ``("any",)`` for ``?``, ``("star",)`` for ``*``, ``("globstar",)`` for a
    ``**`` that may match any number of directories, ``("tail",)`` for a final ``**`` (anything at all),
    ``("class", regex_text, compiled)`` for ``[...]``. Returns ``(None, "")`` for a pattern that Docker
    refuses (a malformed class, a trailing backslash).
    """
    tokens: list[tuple] = []
    kind = "exact"
    position = 0
    length = len(pattern)
    while position < length:
        char = pattern[position]
        at_start = position == 0
        position += 1
        if char == "*":
            if position < length and pattern[position] == "*":
                position += 1
                if position < length and pattern[position] == "/":
                    position += 1
                if position >= length:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        kind = "regex"
                    tokens.append(("tail",))
                else:
                    kind = "regex"
                    if not (tokens and tokens[-1][0] == "globstar"):  # `**/**/` is the same as `**/`
                        tokens.append(("globstar",))
                if at_start:
                    kind = "suffix"
            else:
                kind = "regex"
                tokens.append(("star",))
        elif char == "?":
            kind = "regex"
            tokens.append(("any",))
        elif char == "\\":
            if position >= length:
                return None, ""  # filepath.Match: a trailing backslash is a bad pattern
            tokens.append(("lit", pattern[position]))
            position += 1
            kind = "regex"
        elif char == "[":
            parsed = _parse_class(pattern, position)
            if parsed is None:
                return None, ""
            regex_text, position = parsed
            tokens.append(("class", regex_text, re.compile(regex_text)))
            kind = "regex"
        elif char == "]":
            tokens.append(("lit", char))  # a stray `]` is literal to Go's regexp, but turns on regexp matching
            kind = "regex"
        else:
            tokens.append(("lit", char))
    return tokens, kind


def _parse_class(pattern: str, position: int) -> tuple[str, int] | None:
    """A ``[...]`` class whose body starts at ``position``, validated as Go's ``filepath.Match`` does.

    Returns the equivalent Python regex class and the index after ``]``; None for a pattern Docker
    rejects (``[``, ``[]a]``, ``[x-]``, ``[a-b-c]``…).
    """
    length = len(pattern)
    negated = position < length and pattern[position] == "^"
    if negated:
        position += 1
    ranges: list[str] = []
    members = 0
    while True:
        if position < length and pattern[position] == "]" and members:
            if not ranges:  # only reversed ranges such as `z-a`: Go matches nothing with them
                return ("[\\s\\S]" if negated else "(?!)"), position + 1
            return "[" + ("^" if negated else "") + "".join(ranges) + "]", position + 1
        low, position = _class_char(pattern, position)
        if low is None:
            return None
        high = low
        if position < length and pattern[position] == "-":
            high, position = _class_char(pattern, position + 1)
            if high is None:
                return None
        members += 1
        if low <= high:
            ranges.append(re.escape(low) if high == low else f"{re.escape(low)}-{re.escape(high)}")


def _class_char(pattern: str, position: int) -> tuple[str | None, int]:
    """Go's ``getEsc``: one class member, possibly backslash-escaped; ``-`` and ``]`` must be escaped."""
    length = len(pattern)
    if position >= length or pattern[position] in "-]":
        return None, position
    if pattern[position] == "\\":
        position += 1
        if position >= length:
            return None, position
    char = pattern[position]
    position += 1
    if position >= length:
        return None, position  # the class is never closed
    return char, position


def _token_regex(token: tuple) -> str:
    kind = token[0]
    if kind == "lit":
        return re.escape(token[1])
    if kind == "any":
        return "[^/]"
    if kind == "star":
        return "[^/]*"
    if kind == "globstar":
        return "(?:.*/)?"
    if kind == "tail":
        return ".*"
    return token[1]


def _run_tokens(tokens: list[tuple], path: str) -> bool:
    """Simulate the pattern as an NFA over ``path``: O(len(path) * len(tokens)), no backtracking.

    A state is a token index ``i`` (about to match token i) or ``-(i + 1)`` for "inside the ``.*`` of
    globstar i", which may end after any ``/``.
    """
    count = len(tokens)

    def closure(states: set[int]) -> set[int]:
        pending = list(states)
        seen = set(states)
        while pending:
            state = pending.pop()
            if state < 0 or state >= count:
                continue
            kind = tokens[state][0]
            if kind in ("star", "tail"):
                following = [state + 1]
            elif kind == "globstar":
                following = [state + 1, -(state + 1)]
            else:
                continue
            for item in following:
                if item not in seen:
                    seen.add(item)
                    pending.append(item)
        return seen

    states = closure({0})
    for char in path:
        advanced: set[int] = set()
        for state in states:
            if state < 0:
                if char != "\n":  # Go's `.` does not match a newline
                    advanced.add(state)
                if char == "/":
                    advanced.add(-state)  # -(i+1) -> i+1: leave the globstar after a slash
                continue
            if state >= count:
                continue
            token = tokens[state]
            kind = token[0]
            if kind == "lit":
                if char == token[1]:
                    advanced.add(state + 1)
            elif kind == "any":
                if char != "/":
                    advanced.add(state + 1)
            elif kind == "star":
                if char != "/":
                    advanced.add(state)
            elif kind == "tail":
                if char != "\n":
                    advanced.add(state)
            elif kind == "class":
                if token[2].match(char):
                    advanced.add(state + 1)
        if not advanced:
            return False
        states = closure(advanced)
    return count in states
