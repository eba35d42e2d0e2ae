"""Compose variable interpolation, as Docker Compose v2 (compose-go's ``template`` package) does it.

compose-go matches each ``$`` with one regular expression and evaluates the match
in place. The facts below were read in compose-go v2.9.1 and checked against the
real ``docker compose config``:

* ``$$`` is a literal ``$``. A ``$`` followed by anything else that does not start
  an expression (a digit, ``-``, the end of the text …) stays a literal ``$``.
* A name is ``[_a-z][_a-z0-9]*`` matched case-insensitively with Unicode case
  folding, so it also admits ``ſ`` (U+017F) and the Kelvin sign (U+212A).
* ``$NAME`` and ``${NAME}`` substitute the value; when the variable is unset
  Compose logs a warning and substitutes an empty string.
* ``${NAME`` followed by ``:-``, ``-``, ``:?``, ``?``, ``:+`` or ``+``: the regular
  expression's greedy ``.*`` runs to the LAST ``}`` on the same line, then the
  match is cut at the first brace that balances the opening one, counting every
  ``{`` (and skipping the character right after it) and every ``}``. When the
  braces never balance inside the match, the whole match is the expression. The
  text between the operator and that ``}`` is the argument, itself a template.
* The argument is interpolated EAGERLY, before the variable is looked up:
  ``${SET:-$UNSET}`` still warns about ``UNSET``, and ``${SET:-${UNSET:?x}}``
  still fails. Issues found in an argument that is then thrown away say so.
* Anything else after ``${`` (no name, an invalid character, no closing brace on
  the line) makes the whole template invalid.

compose-go returns only the first error. This module goes on and reports every
issue it finds, with its offsets, and returns a best-effort result (an empty
string where Compose would have failed).

The evaluation is iterative: nesting depth costs heap, not Python stack, and
the text is scanned once (brace matching is precomputed in one pass), so a
1 MB template or a 10,000-deep nest is linear.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from typing import Callable, Union

from composelint.lazyre import LazyPattern
from composelint.records import record
from composelint.sourcetext import source_text

__all__ = ["InterpolationIssue", "interpolate", "NAME_PATTERN", "MAX_ISSUES"]

# Go's (?i) folds [a-z] to A-Z plus U+017F (long s) and U+212A (Kelvin sign).
_NAME_START = "_a-zA-Z\u017f\u212a"
NAME_PATTERN = LazyPattern(f"[{_NAME_START}][{_NAME_START}0-9]*")
# The same on a text without those two letters (nearly every text): a class mixing characters above U+00FF
# with several ranges compiles to a 64 K-entry bitmap (~0.45 ms at import), so NAME_PATTERN waits for one.
_ASCII_NAME_PATTERN = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_OPERATOR_CHARS = "-+?"
# Longest snippet of the template quoted in a message.
_SNIPPET_LIMIT = 60
# Issues reported for one text at most: past a thousand, more only cost time
# (a hostile 1 MB scalar could hold half a million).
MAX_ISSUES = 1000
_CLOSING_BRACE = re.compile(r"\}")
_BRACE = re.compile(r"[{}]")


@record(frozen=True, slots=True)
class InterpolationIssue:
    kind: str  # "malformed" | "required" | "unset"
    message: str
    start: int  # offset of the `$` that starts the expression
    end: int  # exclusive
    variable: str | None


# A rope: the output of one template, built without copying nested results.
_Rope = list  # list[str | _Rope]
_Piece = Union[str, "_Rope"]


def interpolate(text: str, lookup: Callable[[str], str | None]) -> tuple[str, tuple[InterpolationIssue, ...]]:
    """Interpolate ``text`` as Compose does; ``lookup`` returns None for an unset variable.

    Returns the interpolated text and the issues found (the first ``MAX_ISSUES``), sorted
    by offset. Never raises on any input (exceptions from ``lookup`` itself propagate).
    """
    if "$" not in text:
        return text, ()
    evaluator = _Evaluator(text, lookup)
    rope = evaluator.run()
    issues = sorted(evaluator.issues, key=lambda issue: (issue.start, issue.end))
    return _flatten(rope), tuple(issues)


@record(slots=True)
class _Frame:
    """One template being scanned: the whole text, or the argument of an operator."""

    position: int
    end: int  # exclusive bound of this template
    output: _Rope
    # The operator expression waiting for this frame's result (None for the top level).
    pending: _Pending | None = None
    first_issue: int = 0  # issues recorded from here on were found in this frame


@record(frozen=True, slots=True)
class _Pending:
    name: str
    operator: str
    start: int  # the `$`
    end: int  # after the closing `}`


class _Evaluator:
    def __init__(self, text: str, lookup: Callable[[str], str | None]) -> None:
        self.text = text
        self.lookup = lookup
        self.name_pattern = NAME_PATTERN if "\u017f" in text or "\u212a" in text else _ASCII_NAME_PATTERN
        self.issues: list[InterpolationIssue] = []
        self._closing_braces: list[int] | None = None
        self._balanced: dict[int, int] | None = None

    # ------------------------------------------------------------------ lazily built indexes

    def closing_braces(self) -> list[int]:
        if self._closing_braces is None:
            self._closing_braces = [m.start() for m in _CLOSING_BRACE.finditer(self.text)]
        return self._closing_braces

    def line_end(self, position: int) -> int:
        """Offset of the newline ending the line that holds ``position`` (or the text's end)."""
        return source_text(self.text).line_end(position)

    def balanced_close(self, open_brace: int) -> int | None:
        """Where compose-go's brace count started at this ``{`` returns to zero.

        compose-go counts every ``{`` and skips the character after it; a count that
        starts at a ``${`` visits the same braces as one started at the text's
        beginning (the skipped character is never the ``{`` of a ``${``), so one
        stack pass over the whole text answers every expression.
        """
        if self._balanced is None:
            balanced: dict[int, int] = {}
            stack: list[int] = []
            skipped = -1
            for match in _BRACE.finditer(self.text):
                position = match.start()
                if position == skipped:
                    continue
                if match.group() == "{":
                    stack.append(position)
                    skipped = position + 1
                elif stack:
                    balanced[stack.pop()] = position
            self._balanced = balanced
        return self._balanced.get(open_brace)

    def last_closing_brace(self, start: int, limit: int) -> int | None:
        """The last ``}`` in ``[start, limit)``: where the greedy ``.*}`` of the pattern stops."""
        braces = self.closing_braces()
        index = bisect.bisect_left(braces, limit) - 1
        if index >= 0 and braces[index] >= start:
            return braces[index]
        return None

    def first_closing_brace(self, start: int, limit: int) -> int | None:
        braces = self.closing_braces()
        index = bisect.bisect_left(braces, start)
        if index < len(braces) and braces[index] < limit:
            return braces[index]
        return None

    # ------------------------------------------------------------------ evaluation

    def run(self) -> _Rope:
        text = self.text
        top = _Frame(0, len(text), [])
        stack = [top]
        while stack:
            frame = stack[-1]
            dollar = text.find("$", frame.position, frame.end)
            if dollar < 0:
                if frame.position < frame.end:
                    frame.output.append(text[frame.position:frame.end])
                stack.pop()
                if frame.pending is not None:
                    parent = stack[-1]
                    found_in_argument = len(self.issues)
                    result, argument_used = self.apply(frame.pending, frame.output)
                    if not argument_used:
                        self.note_unused_argument(frame, found_in_argument)
                    parent.output.append(result)
                    parent.position = frame.pending.end
                continue
            if dollar > frame.position:
                frame.output.append(text[frame.position:dollar])
            child = self.step(frame, dollar)
            if child is not None:
                stack.append(child)
        return top.output

    def step(self, frame: _Frame, dollar: int) -> _Frame | None:
        """Evaluate the expression at ``dollar``; returns a frame for an operator's argument."""
        text, end = self.text, frame.end
        after = dollar + 1
        if after >= end:
            frame.output.append("$")
            frame.position = after
            return None
        following = text[after]
        if following == "$":
            frame.output.append("$")
            frame.position = after + 1
            return None
        if following != "{":
            name_match = self.name_pattern.match(text, after, end)
            if name_match is None:
                frame.output.append("$")
                frame.position = after
                return None
            frame.output.append(self.value_of(name_match.group(), dollar, name_match.end()))
            frame.position = name_match.end()
            return None

        name_match = self.name_pattern.match(text, after + 1, end)
        if name_match is None:
            return self.malformed(frame, dollar, None, after + 1)
        name = name_match.group()
        name_end = name_match.end()
        if name_end < end and text[name_end] == "}":
            frame.output.append(self.value_of(name, dollar, name_end + 1))
            frame.position = name_end + 1
            return None
        operator_end = name_end
        if operator_end < end and text[operator_end] == ":":
            operator_end += 1
        if operator_end >= end or text[operator_end] not in _OPERATOR_CHARS:
            return self.malformed(frame, dollar, name, name_end)
        operator_end += 1
        limit = min(end, self.line_end(dollar))
        last_brace = self.last_closing_brace(operator_end, limit)
        if last_brace is None:
            return self.malformed(frame, dollar, name, name_end)
        close = self.balanced_close(after)
        if close is None or close > last_brace:
            close = last_brace
        pending = _Pending(name, text[name_end:operator_end], dollar, close + 1)
        return _Frame(operator_end, close, [], pending, len(self.issues))

    def value_of(self, name: str, start: int, end: int) -> str:
        value = self.lookup(name)
        if value is None:
            if len(self.issues) >= MAX_ISSUES:
                return ""
            self.issues.append(InterpolationIssue(
                "unset", f"variable `{name}` is not set; Compose substitutes an empty string",
                start, end, name))
            return ""
        return value

    def apply(self, pending: _Pending, argument: _Rope) -> tuple[_Piece, bool]:
        """The value of ``${name<operator>argument}``, and whether the argument was used."""
        value = self.lookup(pending.name)
        operator = pending.operator
        if operator in (":-", "-"):
            use_default = value is None or (operator == ":-" and value == "")
            return (argument, True) if use_default else (value, False)
        if operator in (":+", "+"):
            use_alternative = value is not None and (operator == "+" or value != "")
            return (argument, True) if use_alternative else (value or "", False)
        # ":?" fails on unset or empty, "?" only on unset; the argument is the error message.
        if value is not None and (operator == "?" or value != ""):
            return value, False
        if len(self.issues) < MAX_ISSUES:
            reason = _flatten(argument).strip()
            state = "is not set" if value is None else "is empty"
            message = f"required variable `{pending.name}` {state}"
            if reason:
                message += f": {_shorten(reason)}"
            self.issues.append(InterpolationIssue("required", message, pending.start, pending.end, pending.name))
        return "", True

    def note_unused_argument(self, frame: _Frame, issues_end: int) -> None:
        """Say why an issue in an argument that Compose throws away still counts."""
        pending = frame.pending
        note = (f" (Compose evaluates the argument of `${{{pending.name}{pending.operator}…}}` "
                "even when it does not use it)")
        for index in range(frame.first_issue, issues_end):
            issue = self.issues[index]
            if issue.kind != "malformed" and not issue.message.endswith("even when it does not use it)"):
                self.issues[index] = dataclasses.replace(issue, message=issue.message + note)

    def malformed(self, frame: _Frame, dollar: int, name: str | None, problem_at: int) -> None:
        """Record an invalid ``${``; like compose-go, drop the ``${`` and go on after it."""
        frame.position = dollar + 2
        if len(self.issues) >= MAX_ISSUES:
            return None
        text = self.text
        line_end = min(frame.end, self.line_end(dollar))
        brace = self.first_closing_brace(dollar + 2, line_end)
        end = brace + 1 if brace is not None else line_end
        snippet = _shorten(text[dollar:min(end, dollar + _SNIPPET_LIMIT + 1)])
        if name is None:
            if problem_at >= line_end:
                detail = "`${` is not closed on this line"
            elif text[problem_at] == "}":
                detail = "the variable name is empty"
            else:
                detail = f"{_describe(text[problem_at])} cannot start a variable name (use letters, digits and `_`)"
        elif problem_at >= line_end:
            detail = f"`${{{name}` is not closed on this line"
        elif (operator := _operator_at(text, problem_at, line_end)) is not None:
            detail = f"`${{{name}{operator}` has no closing `}}` on this line"
        else:
            detail = (f"unexpected {_describe(text[problem_at])} after the variable name `{name}`; "
                      "expected `}` or an operator (`:-`, `-`, `:?`, `?`, `:+`, `+`)")
        self.issues.append(InterpolationIssue(
            "malformed", f"invalid interpolation `{snippet}`: {detail}",
            dollar, end, name))
        return None


def _operator_at(text: str, position: int, limit: int) -> str | None:
    if text.startswith(":", position, limit):
        position += 1
        prefix = ":"
    else:
        prefix = ""
    if position < limit and text[position] in _OPERATOR_CHARS:
        return prefix + text[position]
    return None


def _describe(char: str) -> str:
    if char == " ":
        return "space"
    if char == "\t":
        return "tab"
    if char == "`":
        return "backtick"
    if not char.isprintable():
        return f"character U+{ord(char):04X}"
    return f"`{char}`"


def _shorten(text: str) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= _SNIPPET_LIMIT else text[:_SNIPPET_LIMIT - 1] + "…"


def _flatten(rope: _Rope) -> str:
    """Join a rope without recursion: nested results are lists inside lists."""
    if all(type(piece) is str for piece in rope):
        return "".join(rope)
    parts: list[str] = []
    stack = [iter(rope)]
    while stack:
        for piece in stack[-1]:
            if type(piece) is str:
                parts.append(piece)
            else:
                stack.append(iter(piece))
                break
        else:
            stack.pop()
    return "".join(parts)
