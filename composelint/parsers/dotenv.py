"""``.env`` files, parsed as Docker Compose v2 (compose-go's ``dotenv`` package) parses them.

The facts below were read in compose-go v2.9.1 and checked against the real
``docker compose config``:

* Blank space (Unicode White_Space, newlines included) between statements is
  skipped; a statement starting with ``#`` is a comment up to the line break.
* ``export`` followed by blank space is dropped (``exportFOO=1`` defines ``exportFOO``).
* A key runs up to ``=``, ``:`` (YAML style, ``KEY: value``) or a line break (a
  bare ``KEY``: Compose takes it from the environment). It may hold letters,
  digits, ``_ . - [ ]`` and blank space other than a plain space (tabs pass).
  Any other character is an error, and so is a space inside the key.
* A bare key on the last line, with no line break after it, is NOT a bare key:
  Compose reads it as the value of a variable with an empty name.
* Unquoted values run to the end of the line, are cut at the first `` #``
  (space then hash; ``a#b`` stays whole) and trimmed. A value that starts with
  ``#`` is kept: ``KEY= # note`` means ``KEY="# note"``.
* Quoted values may span lines. A backslash escapes the next character; before
  the quote character it is dropped, elsewhere it stays. Single-quoted values are
  otherwise literal. Double-quoted values then expand ``\\a \\b \\f \\n \\r \\t \\v
  \\\\ \\"``, ``\\$`` (a literal ``$``) and ``\\0`` + up to three octal digits, and
  are interpolated.
* Text after a closing quote on the same line is read as the next statement.
* Unquoted and double-quoted values are interpolated with compose-go's template
  rules (see :mod:`composelint.parsers.interpolation`); a name is looked up in
  ``lookup`` (the environment) first, then in the entries above it.
* A UTF-8 byte order mark at the start is ignored; CRLF line ends are fine.

Compose refuses the whole file at the first error. Here, errors become
``problems`` and parsing goes on with the next line; ``warnings`` hold what
Compose accepts but probably misreads, and variables that are not set.
"""

from __future__ import annotations

import bisect
import re
from typing import Callable

from composelint.lazyre import LazyPattern
from composelint.parsers.interpolation import InterpolationIssue, _describe, interpolate
from composelint.records import record
from composelint.sourcetext import source_text

__all__ = ["DotenvEntry", "DotenvProblem", "Dotenv", "parse_dotenv", "MAX_REPORTS"]


@record(frozen=True, slots=True)
class DotenvEntry:
    key: str
    value: str | None  # None when the line is just `KEY` (taken from the environment; treated as unset)
    line: int  # 1-based line of the key
    column: int  # 1-based column of the key, in code points


@record(frozen=True, slots=True)
class DotenvProblem:
    message: str
    line: int
    column: int


@record(frozen=True, slots=True)
class Dotenv:
    entries: tuple[DotenvEntry, ...]
    problems: tuple[DotenvProblem, ...]  # Compose refuses the file for each of these
    # Compose accepts these, but the file probably does not say what its author meant,
    # or a referenced variable is unset (Compose warns and substitutes "").
    warnings: tuple[DotenvProblem, ...] = ()

    def values(self) -> dict[str, str]:
        """Every defined key and its value; the last definition wins; bare keys are left out."""
        return {entry.key: entry.value for entry in self.entries if entry.value is not None}


# Go's unicode.IsSpace: the Unicode White_Space property.
_WHITE_SPACE_CHARS = "".join(
    chr(code) for code in [*range(0x09, 0x0E), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
                           0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
_WHITE_SPACE = re.escape(_WHITE_SPACE_CHARS)
# compose-go's isSpace: blank space that is not a line break.
_BLANK = "\t\v\f\r \x85\xa0"
_SKIP_WHITE_SPACE = LazyPattern(f"[{_WHITE_SPACE}]*")
# The same for an ASCII text (nearly every one): the class's characters above U+00FF make it compile to a
# 64 K-entry bitmap (~0.25 ms at import), so _SKIP_WHITE_SPACE waits for a text that needs it.
_SKIP_ASCII_WHITE_SPACE = re.compile(f"[{re.escape(''.join(c for c in _WHITE_SPACE_CHARS if c.isascii()))}]*")
_SKIP_BLANK = re.compile(f"[{_BLANK}]*")
_SKIP_WHITE_SPACE_IN_LINE = LazyPattern(f"[{re.escape(_WHITE_SPACE_CHARS.replace(chr(10), ''))}]*")
# Go's `^export\s+`, where RE2's \s is [\t\n\f\r ].
_EXPORT = re.compile(r"export[\t\n\f\r ]+")
_KEY_END = re.compile(r"[=:\n]")
# Letters and numbers (\w), `_ . - [ ]` and blank space may appear in a key.
_INVALID_KEY_CHAR = re.compile(f"[^\\w.\\-\\[\\]{_BLANK}]")
_ESCAPE = LazyPattern(r"\\(?:[abfnrtv$\"\\]|0[0-9]{0,3})")
_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", '"': '"', "$": "$$"}
_QUOTE_SCAN = {'"': re.compile(r'[\\"]'), "'": re.compile(r"[\\']")}
_SNIPPET_LIMIT = 40
# Problems (and, separately, warnings) reported for one file at most: past a
# thousand, more only cost time (a hostile 1 MB file could hold half a million).
MAX_REPORTS = 1000


def parse_dotenv(text: str, lookup: Callable[[str], str | None] = lambda name: None) -> Dotenv:
    """Parse a ``.env`` file's text; ``lookup`` gives the environment (None: unset). Never raises.

    At most ``MAX_REPORTS`` problems and as many warnings are kept.
    """
    return _Parser(text, lookup).parse()


class _OffsetMap:
    """Maps offsets in a transformed string back to offsets in the source.

    Each anchor says: output offset ``out`` is source offset ``src``; the characters
    after it, up to the next anchor, follow one to one.
    """

    __slots__ = ("outs", "sources")

    def __init__(self, source_start: int) -> None:
        self.outs = [0]
        self.sources = [source_start]

    def anchor(self, out: int, source: int) -> None:
        if self.outs[-1] == out:
            self.sources[-1] = source
        else:
            self.outs.append(out)
            self.sources.append(source)

    def __call__(self, out: int) -> int:
        index = bisect.bisect_right(self.outs, out) - 1
        return self.sources[index] + (out - self.outs[index])


class _Parser:
    def __init__(self, text: str, lookup: Callable[[str], str | None]) -> None:
        self.text = text
        self.lookup = lookup
        self.start = 1 if text.startswith("\ufeff") else 0
        self.source = source_text(text)
        self.entries: list[DotenvEntry] = []
        self.problems: list[DotenvProblem] = []
        self.warnings: list[DotenvProblem] = []
        self.defined: dict[str, str] = {}

    # ------------------------------------------------------------------ positions

    def line_column(self, offset: int) -> tuple[int, int]:
        line, column = self.source.position(offset)
        return line, column - (self.start if line == 1 else 0)  # a BOM is no column

    def problem(self, offset: int, message: str) -> None:
        if len(self.problems) < MAX_REPORTS:
            self.problems.append(DotenvProblem(message, *self.line_column(offset)))

    def warning(self, offset: int, message: str) -> None:
        if len(self.warnings) < MAX_REPORTS:
            self.warnings.append(DotenvProblem(message, *self.line_column(offset)))

    def line_end(self, offset: int) -> int:
        return self.source.line_end(offset)

    def rest_of_line(self, offset: int) -> str:
        """The line from ``offset``, cut to what a message quotes (never a long copy)."""
        return _snippet(self.text[offset:min(self.line_end(offset), offset + _SNIPPET_LIMIT + 1)])

    # ------------------------------------------------------------------ statements

    def parse(self) -> Dotenv:
        text = self.text
        position = self.start
        skip_white_space = (_SKIP_ASCII_WHITE_SPACE if text.isascii() else _SKIP_WHITE_SPACE).match
        while True:
            position = skip_white_space(text, position).end()
            if position >= len(text):
                break
            if text[position] == "#":
                position = self.line_end(position)
                continue
            position = self.statement(position)
        return Dotenv(tuple(self.entries), tuple(self.problems), tuple(self.warnings))

    def statement(self, position: int) -> int:
        """Parse one statement starting at ``position``; returns where the next one may start."""
        text = self.text
        if _EXPORT.match(text, position):
            position = _SKIP_BLANK.match(text, position + len("export")).end()
        key_start = position
        terminator = _KEY_END.search(text, position)
        key_end = terminator.start() if terminator else len(text)
        invalid = _INVALID_KEY_CHAR.search(text, position, key_end)
        if invalid is not None:
            self.problem(invalid.start(), f"unexpected {_describe(invalid.group())} in variable name "
                                          f"`{self.rest_of_line(key_start)}`")
            return self.line_end(invalid.start())
        if terminator is None:
            return self.unterminated_last_line(key_start)
        key = text[key_start:key_end].rstrip(_WHITE_SPACE_CHARS)
        if terminator.group() == "\n":
            if " " in key:
                self.problem(key_start, f"variable name `{_snippet(key)}` contains a space")
            elif key:
                self.entries.append(DotenvEntry(key, None, *self.line_column(key_start)))
            return key_end + 1

        value_start = _SKIP_BLANK.match(text, key_end + 1).end()
        value, next_position = self.value(value_start, spaced=value_start > key_end + 1)
        if " " in key:
            self.problem(key_start, f"variable name `{_snippet(key)}` contains a space")
            return next_position
        if key == "":
            self.warning(key_start, f"`{terminator.group()}` without a variable name before it: "
                                    "Compose defines a variable with an empty name")
        self.entries.append(DotenvEntry(key, value, *self.line_column(key_start)))
        self.defined[key] = value
        return next_position

    def unterminated_last_line(self, start: int) -> int:
        """A last line of key characters without `=` or a line break: compose-go's empty key."""
        value = self.text[start:].rstrip(_WHITE_SPACE_CHARS)
        self.warning(start, f"`{_snippet(value)}` on the last line has no `=` and no line break after it: "
                            f"Compose reads it as the value of a variable with an empty name, not as "
                            f"`{_snippet(value)}` taken from the environment; end the file with a line break "
                            f"or write `{_snippet(value)}=value`")
        self.entries.append(DotenvEntry("", value, *self.line_column(start)))
        self.defined[""] = value
        return len(self.text)

    # ------------------------------------------------------------------ values

    def value(self, start: int, spaced: bool) -> tuple[str, int]:
        """The value starting at ``start`` and where the next statement may start.

        ``spaced``: blank space separates the value from its `=`, so a leading `#`
        was probably meant as a comment.
        """
        text = self.text
        if start < len(text) and text[start] in "'\"":
            return self.quoted_value(start)
        end = self.line_end(start)
        raw = text[start:end]
        comment = raw.find(" #")
        if comment >= 0:
            raw = raw[:comment]
        raw = raw.rstrip(_WHITE_SPACE_CHARS)
        if spaced and raw.startswith("#"):
            self.warning(start, f"Compose reads `{_snippet(raw)}` as the value, not as a comment: an inline "
                                "comment needs a value before it; write `KEY=` alone and the comment on its own line")
        value = self.expand(raw, lambda offset: start + offset)
        return value, end + 1

    def quoted_value(self, quote_at: int) -> tuple[str, int]:
        text = self.text
        quote = text[quote_at]
        scanner = _QUOTE_SCAN[quote]
        pieces: list[str] = []
        offsets = _OffsetMap(quote_at + 1)
        written = 0  # length of the scanned value so far
        copied_from = quote_at + 1
        position = quote_at + 1
        escaped_quotes = False
        while True:
            found = scanner.search(text, position)
            if found is None or (found.group() == "\\" and found.start() + 1 >= len(text)):
                kind = "double" if quote == '"' else "single"
                hint = " (a backslash before a quote escapes it)" if escaped_quotes else ""
                self.problem(quote_at, f"{kind}-quoted value is not closed: no matching `{quote}`{hint}")
                # Compose gives up; keep the key defined with the rest of the line so that the
                # references to it do not repeat the same error as unset variables.
                end = self.line_end(quote_at)
                return text[quote_at + 1:end], end + 1
            at = found.start()
            if found.group() == quote:
                pieces.append(text[copied_from:at])
                break
            # A backslash: it escapes the next character, line breaks and quotes included.
            if text[at + 1] == quote:
                escaped_quotes = True
                pieces.append(text[copied_from:at])
                written += at - copied_from
                offsets.anchor(written, at + 1)
                copied_from = at + 1
            position = at + 2
        scanned = "".join(pieces)
        close = found.start()
        self.check_after_quote(close + 1)
        if quote == "'":
            return scanned, close + 1
        unescaped, escape_offsets = _expand_escapes(scanned)
        value = self.expand(unescaped, lambda offset: offsets(escape_offsets(offset)))
        return value, close + 1

    def check_after_quote(self, position: int) -> None:
        after = _SKIP_WHITE_SPACE_IN_LINE.match(self.text, position).end()
        if after < len(self.text) and self.text[after] not in "\n#":
            self.warning(after, f"text after the closing quote: Compose reads "
                                f"`{self.rest_of_line(after)}` as the next variable; "
                                "put it inside the quotes or on its own line")

    def expand(self, raw: str, to_source: Callable[[int], int]) -> str:
        if "$" not in raw:
            return raw

        def resolve(name: str) -> str | None:
            value = self.lookup(name)
            return self.defined.get(name) if value is None else value

        value, issues = interpolate(raw, resolve)
        for issue in issues:
            self.report(issue, to_source)
        return value

    def report(self, issue: InterpolationIssue, to_source: Callable[[int], int]) -> None:
        offset = to_source(issue.start)
        if issue.kind == "unset":
            self.warning(offset, f"{issue.message} (define it above this line or in the environment)")
        else:
            self.problem(offset, issue.message)


def _expand_escapes(scanned: str) -> tuple[str, _OffsetMap]:
    """compose-go's expandEscapes on a double-quoted value, with a map back to ``scanned``."""
    if "\\" not in scanned:
        return scanned, _OffsetMap(0)
    pieces: list[str] = []
    offsets = _OffsetMap(0)
    written = 0
    copied_from = 0
    for match in _ESCAPE.finditer(scanned):
        literal = scanned[copied_from:match.start()]
        pieces.append(literal)
        written += len(literal)
        offsets.anchor(written, match.start())
        replacement = _escape_value(match.group())
        pieces.append(replacement)
        written += len(replacement)
        copied_from = match.end()
        offsets.anchor(written, copied_from)
    pieces.append(scanned[copied_from:])
    return "".join(pieces), offsets


def _escape_value(sequence: str) -> str:
    simple = _SIMPLE_ESCAPES.get(sequence[1])
    if simple is not None:
        return simple
    # `\0` and up to three digits: Go reads the digits as `\ooo`, which needs exactly
    # three octal digits worth at most 255; otherwise it keeps `\` and the digits.
    digits = sequence[2:]
    if len(digits) == 3 and all(digit in "01234567" for digit in digits) and int(digits, 8) <= 255:
        return chr(int(digits, 8))
    return "\\" + digits


def _snippet(text: str) -> str:
    text = text.replace("\r", "")
    return text if len(text) <= _SNIPPET_LIMIT else text[:_SNIPPET_LIMIT - 1] + "…"
