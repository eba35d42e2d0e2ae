"""What rules share to build fixes: the model's text at a span, a line's indentation, a whole line.

A fix is computed from the spans the model already has and checked against the text the model was
parsed from (``project.sources``, no file read): a helper returns None when the text is not what the
fix expects (a span from an interpolated or expanded value, a construct on the same line), and the
rule then offers no fix rather than a wrong one.
"""

from __future__ import annotations

import posixpath
import re

from composelint.analysis.commands.tables import SHELLS
from composelint.diagnostics import Edit, Position, Span
from composelint.sourcetext import SourceText, source_text

_YAML_TAIL = re.compile(r"[ \t]*(#.*)?\Z")
# After a block mapping's key: the colon, maybe an anchor or a tag, maybe a comment.
_BLOCK_KEY_TAIL = re.compile(r"[ \t]*:(?:[ \t]+[&!][^ \t]*)*[ \t]*(#.*)?\Z")


def text_of(project, path: str) -> SourceText | None:
    text = project.sources.get(path)
    return source_text(text) if text is not None else None


def line(project, path: str, number: int) -> str | None:
    source = text_of(project, path)
    return source.line(number) if source is not None else None


def at(project, span: Span) -> str | None:
    """The text of a span that lies on one line; None when it spans lines or is out of range."""
    if span.end is None or span.end.line != span.start.line:
        return None
    text = line(project, span.path, span.start.line)
    if text is None or span.end.column - 1 > len(text):
        return None
    return text[span.start.column - 1:span.end.column - 1]


def indentation(text: str) -> str:
    return text[:len(text) - len(text.lstrip(" \t"))]


def starts_line(project, span: Span) -> bool:
    """Only blanks before the span on its line."""
    text = line(project, span.path, span.start.line)
    return text is not None and not text[:span.start.column - 1].strip(" \t")


def insert_line(path: str, before: int, text: str) -> Edit:
    """A new line ``text`` (without its break) inserted before line ``before``."""
    return Edit.insert(path, before, 1, text + "\n")


def rest_is_yaml_comment(project, position: Position, path: str) -> bool:
    """Only blanks or a YAML comment after ``position`` on its line."""
    text = line(project, path, position.line)
    return text is not None and _YAML_TAIL.match(text[position.column - 1:]) is not None


def opens_block(project, key: Span) -> bool:
    """The key ends its line (`web:`, `web: &base  # note`): its value is a block below it."""
    end = key.end or key.start
    text = line(project, key.path, end.line)
    return text is not None and _BLOCK_KEY_TAIL.match(text[end.column - 1:]) is not None


def delete_word(project, span: Span, expected: str) -> Edit | None:
    """Remove one shell word written as ``expected`` and the blanks before it, when it is not the
    first thing on its line (so what remains reads as before, without the word)."""
    if at(project, span) != expected:
        return None
    text = line(project, span.path, span.start.line) or ""
    before = text[:span.start.column - 1]
    kept = before.rstrip(" \t")
    # Not the first word of its line, nor a YAML list item or flow entry (`- --reload`, `, --reload`).
    if len(kept) == len(before) or not kept.strip() or kept.endswith(("-", ",", "[", "{", ":")):
        return None
    return Edit.replace(Span.at(span.path, span.start.line, len(kept) + 1, span.end.line, span.end.column), "")


def in_run_line(command) -> bool:
    """A command of a RUN's own shell form: not an exec form (its words are JSON strings), not a heredoc
    body, not inside an `sh -c` string (its words sit inside quotes)."""
    instruction = command.instruction
    return (instruction.keyword == "RUN" and instruction.form == "shell" and not instruction.heredocs
            and command.script == 0
            and not any(posixpath.basename(wrapper.text) in SHELLS for wrapper in command.wrappers))


def word_span(project, word) -> Span | None:
    """Where a RUN command's word is written, when it is written there exactly (on one line, as read)."""
    span = word.span
    if span is None or span.end is None or at(project, span) != word.raw:
        return None
    return span


def insert_after_word(project, command, index: int, text: str) -> Edit | None:
    """``text`` inserted right after word ``index`` of a command of a RUN's shell form; None when the
    word is not written plainly there."""
    if not in_run_line(command) or not 0 <= index < len(command.words):
        return None
    span = word_span(project, command.words[index])
    if span is None:
        return None
    return Edit.insert(span.path, span.end.line, span.end.column, text)


def same_case(written: str, wanted: str) -> str:
    """``wanted`` in the case ``written`` is in: lower when it is all lower, else upper."""
    return wanted.lower() if written == written.lower() else wanted.upper()
