"""The words of a Dockerfile instruction as BuildKit splits them: keyword, flags, JSON (exec) form,
heredoc markers, quoted words; and the tables of instructions and flags BuildKit knows."""

from __future__ import annotations

import json
import re
from types import MappingProxyType
from typing import Mapping

INSTRUCTIONS = (
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
)
_KNOWN = frozenset(INSTRUCTIONS)
# BuildKit reads heredocs only for these (and for them behind ONBUILD).
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_EXEC_FORM_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})

_STRING, _STRINGS, _BOOL = "string", "strings", "bool"  # BuildKit's BFlags kinds: value / repeatable / switch
FLAG_SPECS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "ADD": MappingProxyType({"chown": _STRING, "chmod": _STRING, "link": _BOOL, "keep-git-dir": _BOOL,
                             "checksum": _STRING, "exclude": _STRINGS, "unpack": _BOOL}),
    "COPY": MappingProxyType({"from": _STRING, "chown": _STRING, "chmod": _STRING, "link": _BOOL,
                              "parents": _BOOL, "exclude": _STRINGS}),
    "RUN": MappingProxyType({"mount": _STRINGS, "network": _STRING, "security": _STRING, "device": _STRINGS}),
    "FROM": MappingProxyType({"platform": _STRING}),
    "HEALTHCHECK": MappingProxyType({"interval": _STRING, "timeout": _STRING, "start-period": _STRING,
                                     "start-interval": _STRING, "retries": _STRING}),
})

_WORD_RE = re.compile(r"[^\t\v\f\r ]+")  # BuildKit's reWhitespace splits on exactly these
_SPACE_RUN_RE = re.compile(r"[\t\v\f\r ]*")
_HEREDOC_WORD_RE = re.compile(r"(\d*)<<(-?)([^<]*)\Z")


# --------------------------------------------------------------------------- lexing helpers


def _split_keyword(joined: str, offset: int = 0) -> tuple[str, int]:
    """The first word at or after ``offset`` and where the text after it (and its blanks) starts."""
    start = offset
    while start < len(joined) and joined[start].isspace():
        start += 1
    match = _WORD_RE.match(joined, start)
    if match is None:
        return "", len(joined)
    return match.group(), _SPACE_RUN_RE.match(joined, match.end()).end()


def _split_first_word(text: str) -> tuple[str, str, str]:
    """``(word, separator, rest)`` split at the first whitespace, as BuildKit's HEALTHCHECK parser does."""
    for index, char in enumerate(text):
        if char.isspace():
            return text[:index], char, text[index:].lstrip()
    return text, "", ""


def _extract_flags(line: str, offset: int) -> tuple[list[tuple[str, str | None, int, int]], int]:
    """BuildKit's extractBuilderFlags: leading ``--name[=value]`` words, quotes removed.

    Returns ``(flags, arguments_offset)`` where each flag is ``(name, value, start, end)`` in ``line``.
    """
    flags: list[tuple[str, str | None, int, int]] = []
    length = len(line)
    position = offset
    if position < length and line[position] != "-" and not line[position].isspace():
        return flags, position  # the usual case: no flags at all
    while True:
        while position < length and line[position].isspace():
            position += 1
        if position >= length or not line.startswith("--", position):
            return flags, position
        start = position
        chars: list[str] = []
        quote = ""
        while position < length:
            char = line[position]
            if not quote:
                if char.isspace():
                    break
                if char in "'\"":
                    quote = char
                    position += 1
                    continue
            elif char == quote:
                quote = ""
                position += 1
                continue
            if char == "\\":
                if position + 1 == length:
                    position += 1
                    quote = ""
                    continue
                position += 1
                char = line[position]
            chars.append(char)
            position += 1
        word = "".join(chars)
        if word == "--":
            while position < length and line[position].isspace():
                position += 1
            return flags, position
        name, equals, value = word[2:].partition("=")
        flags.append((name, value if equals else None, start, position))


def _json_array(text: str) -> tuple[list[str] | None, str | None]:
    """``(items, None)`` for a JSON array of strings; ``(None, error)`` for a JSON array of other things.

    Anything that is not a JSON array at all is ``(None, None)``: Docker reads it as the shell form.
    """
    text = text.lstrip()
    if not text.startswith("["):
        return None, None
    try:
        value = _JSON_DECODER.decode(text)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(value, list):
        return None, None
    if all(isinstance(item, str) for item in value):
        return value, None
    return None, "uses the JSON form with an element that is not a string"


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Go's encoding/json refuses NaN and Infinity


_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _raw_words(line: str) -> list[tuple[int, int]] | None:
    """Word boundaries as BuildKit's shell lexer sees them, quotes kept; None where the lexer fails."""
    words: list[tuple[int, int]] = []
    length = len(line)
    position = 0
    while position < length:
        while position < length and line[position].isspace():
            position += 1
        if position >= length:
            break
        start = position
        while position < length and not line[position].isspace():
            char = line[position]
            if char == "\\":
                position += 2
            elif char == "'":
                close = line.find("'", position + 1)
                if close < 0:
                    return None
                position = close + 1
            elif char == '"':
                position += 1
                while position < length and line[position] != '"':
                    position += 2 if line[position] == "\\" else 1
                if position >= length:
                    return None
                position += 1
            elif char == "$" and line.startswith("${", position):
                if position + 2 >= length or line[position + 2] in "{}:":
                    return None
                close = _matching_brace(line, position + 2)
                if close < 0:
                    return None
                position = close + 1
            else:
                position += 1
        words.append((start, min(position, length)))
    return words


def _matching_brace(line: str, position: int) -> int:
    """Index of the ``}`` closing a ``${`` whose body starts at ``position``; -1 if none."""
    depth = 1
    length = len(line)
    while position < length:
        char = line[position]
        if char == "\\":
            position += 2
            continue
        if char == "$" and line.startswith("${", position):
            depth += 1
            position += 2
            continue
        if char == "}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return -1


def _heredoc_name(word: str) -> tuple[str, bool, bool] | None:
    """``(name, quoted, strip_tabs)`` if ``word`` is a heredoc marker such as ``<<EOF`` or ``<<-'EOF'``."""
    match = _HEREDOC_WORD_RE.match(word)
    if match is None or not match.group(3):
        return None
    rest = match.group(3)
    name_chars: list[str] = []
    quoted = False
    position = 0
    length = len(rest)
    while position < length:
        char = rest[position]
        if char == "'":
            close = rest.find("'", position + 1)
            if close < 0:
                return None
            name_chars.append(rest[position + 1:close])
            quoted = True
            position = close + 1
        elif char == '"':
            position += 1
            while position < length and rest[position] != '"':
                if rest[position] == "\\" and position + 1 < length and rest[position + 1] in '"$\\':
                    position += 1
                name_chars.append(rest[position])
                position += 1
            if position >= length:
                return None
            quoted = True
            position += 1
        elif char == "\\":
            if position + 1 < length:
                name_chars.append(rest[position + 1])
            position += 2
        elif char.isspace():
            return None
        else:
            name_chars.append(char)
            position += 1
    name = "".join(name_chars)
    if not name:
        return None
    return name, quoted, match.group(2) == "-"


def _heredoc_markers(line: str) -> list[tuple[str, bool, bool, int, int]]:
    """Every heredoc marker of an instruction line: ``(name, quoted, strip_tabs, start, end)``."""
    words = _raw_words(line)
    if not words:
        return []
    markers = []
    for start, end in words:
        if "<<" not in line[start:end]:
            continue
        parsed = _heredoc_name(line[start:end])
        if parsed is not None:
            markers.append((*parsed, start, end))
    return markers


def _parse_words(rest: str, escape: str) -> list[str]:
    """BuildKit's parseWords (ENV/LABEL/ARG): whitespace-separated words, quotes and escapes kept."""
    words: list[str] = []
    word: list[str] = []
    blank_ok = False
    quote = ""
    in_word = False
    position = 0
    length = len(rest)
    while position < length:
        char = rest[position]
        if not in_word:
            if char.isspace():
                position += 1
                continue
            in_word = True
        if not quote:
            if char.isspace():
                if blank_ok or word:
                    words.append("".join(word))
                word, blank_ok, in_word = [], False, False
                position += 1
                continue
            if char in "'\"":
                quote, blank_ok = char, True
            escaped = char == escape
        else:
            if char == quote:
                quote = ""
            escaped = char == escape and quote != "'"  # nothing escapes inside single quotes
        if escaped:
            if position + 1 == length:
                position += 1
                continue
            word.append(char)
            position += 1
            char = rest[position]
        word.append(char)
        position += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words
