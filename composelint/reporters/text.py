"""The default, human format: each finding with its source line underlined.

    compose.yaml:4:21: CL201 [runtime-install] error: service 'agent' runs `pip install` ...
      |
    4 |     command: sh -c "pip install flask && python app.py"
      |                     ^^^^^^^^^^^^^^^^^
      |
      = note: Dockerfile:7:1: the entrypoint comes from this Dockerfile line
      = help: install dependencies in the image

    Found 1 problem: 1 error.

The header is ``path:line:col:`` first so terminals and editors can jump to
it. A span that runs over several lines is underlined to the end of its first
line. Source lines are shown as the terminal would draw them: tabs expanded to
stops of four, East Asian wide characters counted as two cells, combining
marks as none, and control or bidi characters replaced by visible stand-ins,
so carets stay under the text they point at and a linted file cannot send
escape sequences to the terminal.
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Sequence

from composelint.reporters import SEVERITY_LABELS, RenderContext, one_line, severity_counts
from composelint.sourcetext import SourceLines

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic

TAB_WIDTH = 4
# Code points of a long source line shown around the span (minified files can
# hold a whole document on one line).
SNIPPET_WIDTH = 120
SNIPPET_CONTEXT_BEFORE = 30
ELLIPSIS = "…"


_RESET = "\x1b[0m"
_BOLD = "1"
_DIM = "2"
_RED = "31"
_GREEN = "32"
_YELLOW = "33"
_BLUE = "34"
_CYAN = "36"
_SEVERITY_COLOR = {"error": _RED, "warning": _YELLOW, "info": _CYAN}


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *codes: str) -> str:
        if not self.enabled or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}{_RESET}"


def _cell(char: str, display_column: int) -> tuple[str, int]:
    """How ``char`` is drawn at ``display_column`` (0-based): text and width in cells."""
    if char == "\t":
        width = TAB_WIDTH - display_column % TAB_WIDTH
        return " " * width, width
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code), 1  # the Unicode "control picture" of the character
    if code == 0x7F:
        return "\u2421", 1
    if 0x80 <= code < 0xA0 or code in (0x200E, 0x200F) or 0x2028 <= code <= 0x202E \
            or 0x2066 <= code <= 0x2069:
        return "\ufffd", 1
    if unicodedata.combining(char) or unicodedata.category(char) == "Cf":
        return char, 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return char, 2
    return char, 1


def _draw(text: str) -> tuple[str, list[int]]:
    """``text`` as drawn, and the display column before each code point (plus the end)."""
    if text.isascii() and text.isprintable():  # most lines: every character one cell, drawn as it is
        return text, list(range(len(text) + 1))
    pieces: list[str] = []
    offsets: list[int] = []
    column = 0
    for char in text:
        offsets.append(column)
        drawn, width = _cell(char, column)
        pieces.append(drawn)
        column += width
    offsets.append(column)
    return "".join(pieces), offsets


def _columns(line_text: str, diagnostic: "Diagnostic") -> tuple[int, int]:
    """Where the primary span lies on its first line, as string indexes clamped to the line;
    a span that goes on to later lines runs to the end of this one."""
    span = diagnostic.span
    length = len(line_text)
    start = min(max(span.column - 1, 0), length)
    end = span.end_column - 1 if span.end_line == span.line else length
    return start, min(max(end, start), length)


def _snippet(line_text: str, diagnostic: "Diagnostic") -> tuple[str, int, int]:
    """The drawn source line, and the display column and width of the underline."""
    length = len(line_text)
    start, end = _columns(line_text, diagnostic)

    window_start, window_end = 0, length
    if length > SNIPPET_WIDTH:
        window_start = max(0, min(start - SNIPPET_CONTEXT_BEFORE, length - SNIPPET_WIDTH))
        window_end = window_start + SNIPPET_WIDTH
    prefix = ELLIPSIS if window_start > 0 else ""
    suffix = ELLIPSIS if window_end < length else ""

    drawn, offsets = _draw(line_text[window_start:window_end])
    caret_start = offsets[min(start, window_end) - window_start]
    caret_end = offsets[min(end, window_end) - window_start]
    # An empty span, or one that points past the end of the line, still gets a caret.
    width = max(caret_end - caret_start, 1)
    return prefix + drawn + suffix, len(prefix) + caret_start, width


def _mask(line_text: str, diagnostic: "Diagnostic") -> str:
    """The line with the primary span's text (a secret) replaced by asterisks."""
    start, end = _columns(line_text, diagnostic)
    return line_text[:start] + "*" * (end - start) + line_text[end:]


def _render_one(diagnostic: "Diagnostic", sources: SourceLines, paint: _Painter, display=str,
                unsafe_fixes: bool = False) -> list[str]:
    span = diagnostic.span
    severity = diagnostic.severity.label
    color = _SEVERITY_COLOR[severity]
    # `[*]`: --fix (or --fix --unsafe-fixes, when given) would fix it, as ruff marks it.
    mark = f" {paint('[*]', _BOLD, _CYAN)}" if diagnostic.fix is not None and diagnostic.fix.applies(unsafe_fixes) \
        else ""
    header = (f"{paint(f'{one_line(display(span.path))}:{span.line}:{span.column}:', _BOLD)} "
              f"{paint(diagnostic.code, _BOLD, color)}{mark} {paint(f'[{diagnostic.name}]', _DIM)} "
              f"{paint(severity + ':', _BOLD, color)} {one_line(diagnostic.message)}")
    if diagnostic.suppression is not None:
        header += " " + paint("(suppressed)", _DIM)
    out = [header]

    gutter_width = len(str(span.line))
    blank_gutter = " " * gutter_width
    bar = paint("|", _BOLD, _BLUE)
    source_line = sources.line(span.path, span.line)
    if source_line is not None and diagnostic.sensitive:
        source_line = _mask(source_line, diagnostic)
    if source_line is not None:
        drawn, caret_column, caret_width = _snippet(source_line, diagnostic)
        out.append(f"{blank_gutter} {bar}")
        out.append(f"{paint(str(span.line), _BOLD, _BLUE)} {bar} {drawn}".rstrip())
        out.append(f"{blank_gutter} {bar} {' ' * caret_column}{paint('^' * caret_width, _BOLD, color)}")

    notes: list[str] = []
    if diagnostic.suppression is not None:
        notes.append(f"{paint('suppressed', _BOLD)}: {one_line(diagnostic.suppression)}")
    for related in diagnostic.related:
        notes.append(f"{paint('note', _BOLD, _GREEN)}: {one_line(display(related.span.path))}:{related.span.line}:{related.span.column}: {one_line(related.message)}")
    built_by = _built_by(diagnostic, display)
    if built_by:
        notes.append(f"{paint('note', _BOLD, _GREEN)}: {one_line(built_by)}")
    if diagnostic.help:
        notes.append(f"{paint('help', _BOLD, _CYAN)}: {one_line(diagnostic.help)}")
    if diagnostic.fix is not None:
        kind = "fix" if diagnostic.fix.is_safe else "unsafe fix"
        notes.append(f"{paint(kind, _BOLD, _CYAN)}: {one_line(diagnostic.fix.title)}")
    if notes:
        if source_line is not None:
            out.append(f"{blank_gutter} {bar}")
        equals = paint("=", _BOLD, _BLUE)
        out.extend(f"{blank_gutter} {equals} {note}" for note in notes)
    return out


# A finding in a Dockerfile names the services that build it; past this many, "and N more".
BUILT_BY_LISTED = 3


def _built_by(diagnostic: "Diagnostic", display=str) -> str | None:
    """``built by service 'api' (compose.yaml:3)``: who builds the image a finding is in.

    Only for the "build" relation: a finding about a service already names it in its message.
    One service defined once and run by two deployments is named once.
    """
    seen = set()
    builders = []
    for ref in diagnostic.services:
        key = (ref.name, ref.span.path, ref.span.line, ref.stage)
        if ref.relation == "build" and key not in seen:
            seen.add(key)
            target = f", target `{ref.stage}`" if ref.stage else ""
            builders.append(f"'{ref.name}' ({display(ref.span.path)}:{ref.span.line}{target})")
    if not builders:
        return None
    if len(builders) == 1:
        return f"built by service {builders[0]}"
    if len(builders) > BUILT_BY_LISTED:
        shown, rest = builders[:BUILT_BY_LISTED - 1], f"{len(builders) - BUILT_BY_LISTED + 1} more"
    else:
        shown, rest = builders[:-1], builders[-1]
    return f"built by services {', '.join(shown)} and {rest}"


def _plural(count: int, word: str) -> str:
    # "info" names a severity here and reads better uncounted: "2 info".
    return f"{count} {word}" if count == 1 or word == "info" else f"{count} {word}s"


def summary(diagnostics: Sequence["Diagnostic"], baselined: int = 0, fixed: int | None = None) -> str:
    """``Found 3 problems: 2 errors, 1 warning.`` or ``All checks passed.``, then what is not counted:
    ``(1 suppressed, 4 baselined)``; ``baselined`` adds baselined findings that are not shown; ``fixed``
    (after --fix) adds ``(2 fixed, 3 remaining)`` as ruff does."""
    counts = severity_counts(diagnostics)
    total = sum(counts.values())
    baselined += sum(1 for d in diagnostics if d.suppression == "baseline")
    suppressed = len(diagnostics) - total - sum(1 for d in diagnostics if d.suppression == "baseline")
    parts = ", ".join(_plural(counts[label], label) for label in SEVERITY_LABELS if counts[label])
    if fixed and total:
        line = f"Found {_plural(total + fixed, 'problem')} ({fixed} fixed, {total} remaining: {parts})."
    elif fixed:
        line = f"Found {_plural(fixed, 'problem')} ({fixed} fixed, 0 remaining)."
    elif total == 0:
        line = "All checks passed."
    else:
        line = f"Found {_plural(total, 'problem')}: {parts}."
    uncounted = [f"{count} {word}" for count, word in ((suppressed, "suppressed"), (baselined, "baselined"))
                 if count]
    if uncounted:
        line = f"{line[:-1]} ({', '.join(uncounted)})."
    return line


def fixable_summary(diagnostics: Sequence["Diagnostic"], unsafe_fixes: bool) -> str | None:
    """Ruff's line: ``[*] 2 fixable with the `--fix` option (1 hidden fix can be enabled with the
    `--unsafe-fixes` option).``; None when no finding has a fix."""
    fixes = [d.fix for d in diagnostics if d.suppression is None and d.fix is not None and d.fix.edits]
    shown = sum(1 for fix in fixes if fix.applies(unsafe_fixes))
    hidden = len(fixes) - shown
    if not fixes:
        return None
    flag = "`--fix --unsafe-fixes` options" if unsafe_fixes and any(not fix.is_safe for fix in fixes) \
        else "`--fix` option"
    hint = (f" ({hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with the `--unsafe-fixes` option)"
            if hidden else "")
    if not shown:
        return f"No fixes available{hint}."
    return f"[*] {shown} fixable with the {flag}{hint}."


def render(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    paint = _Painter(ctx.color)
    sources = SourceLines(ctx.sources)
    blocks = ["\n".join(_render_one(diagnostic, sources, paint, ctx.display, ctx.unsafe_fixes))
              for diagnostic in diagnostics]
    counts = severity_counts(diagnostics)
    if counts["error"]:
        summary_color = _RED
    elif counts["warning"]:
        summary_color = _YELLOW
    elif any(counts.values()):
        summary_color = _CYAN
    else:
        summary_color = _GREEN
    if ctx.summary:
        line = paint(summary(diagnostics, ctx.baselined, ctx.fixed), _BOLD, summary_color)
        fixable = fixable_summary(diagnostics, ctx.unsafe_fixes)
        blocks.append(line if fixable is None else f"{line}\n{fixable}")
    return "\n\n".join(blocks) + "\n" if blocks else ""
