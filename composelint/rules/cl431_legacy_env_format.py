"""`ENV key value` / `LABEL key value`: the legacy, deprecated form of a key-value pair."""

from __future__ import annotations

import re

from composelint.diagnostics import Edit, Fix, Span
from composelint.rules import _fix
from composelint.rules._rule import Violation, rule

_BLANK = re.compile(r"[\t\v\f\r ]+")  # BuildKit splits the legacy pair at the first run of these
_QUOTES = frozenset("\"'")


def _suggestion(keyword: str, key: str, value: str, lines: int) -> str:
    if lines > 1:
        return f"`{keyword} {key}=\"…\"`, the value in double quotes (its continuation lines can stay inside them)"
    if not _BLANK.search(value) or (len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES):
        return f"`{keyword} {key}={value}`"
    if any(quote in value for quote in _QUOTES) or "\\" in value:
        return f"`{keyword} {key}=<value>`, quoting the value (it holds blanks)"
    return f"`{keyword} {key}=\"{value}\"`"


@rule(code="CL431", name="legacy-env-format", severity="info",
      summary="`ENV key value` / `LABEL key value`: the deprecated form without `=`",
      equivalents=("buildkit:LegacyKeyValueFormat",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        for instruction in dockerfile.instructions:
            if instruction.keyword not in ("ENV", "LABEL") or instruction.arguments_span is None:
                continue
            # As BuildKit decides: the first word without `=` means the legacy form, and the rest of the
            # instruction, blanks and further `=` included, is the one value.
            parts = _BLANK.split(instruction.arguments.strip(), 1)
            if len(parts) < 2 or "=" in parts[0]:
                continue
            key, value = parts
            keyword = instruction.keyword
            lines = instruction.span.end.line - instruction.span.start.line + 1
            yield Violation(
                instruction.arguments_span,
                f"`{keyword} {key} …` uses the legacy `key value` form: everything after the first blank is one "
                f"value (`{keyword} A B=1` sets `A` to `B=1`), one pair per instruction, and BuildKit warns that "
                "the form is deprecated",
                help=f"write {_suggestion(keyword, key, value, lines)}",
                anchor_text=instruction.first_line,
                fix=_pair_fix(project, instruction, key, value) if lines == 1 else None)


def _pair_fix(project, instruction, key: str, value: str):
    """`key value` -> `key=value`, on a one-line instruction, when the new spelling gives the same value.

    BuildKit expands the legacy value as one word (quotes removed, variables expanded, blanks inside
    kept), as it expands the value after `=`. So a value without blanks is written as it is, and one
    with blanks in double quotes, only when it has no quote or escape character of its own (those
    would need re-quoting: no fix). Safe: the same variable or label gets the same value."""
    start = instruction.arguments_span
    if start is None:
        return None
    text = _fix.line(project, start.path, start.line)
    if text is None:
        return None
    written = text[start.column - 1:].rstrip(" \t")
    if written.strip() != instruction.arguments.strip():
        return None
    if not _BLANK.search(value):
        pair = f"{key}={value}"
    elif any(char in value for char in "\"'\\`"):
        return None
    else:
        pair = f'{key}="{value}"'
    lead = len(written) - len(written.lstrip(" \t"))
    span = Span.at(start.path, start.line, start.column + lead, start.line, start.column + len(written))
    return Fix.safe(f"Write `{pair}`", Edit.replace(span, pair))
