"""What a finding is: severity, where it is, what it says.

Positions are 1-based; columns count Unicode code points; an end position is
exclusive (the character after the region), as in SARIF and ruff's JSON.
Paths are POSIX-style and relative to the project root.
"""

from __future__ import annotations

import enum
from dataclasses import field

from composelint.records import record


class Severity(enum.IntEnum):
    """Ordered, so that ``--fail-on`` can compare."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@record(frozen=True, slots=True, order=True)
class Position:
    line: int
    column: int


@record(frozen=True, slots=True, order=True)
class Span:
    path: str
    start: Position
    end: Position | None = None

    @classmethod
    def at(cls, path: str, line: int, column: int = 1, end_line: int | None = None,
           end_column: int | None = None) -> "Span":
        end = Position(end_line, end_column) if end_line is not None and end_column is not None else None
        return cls(path, Position(line, column), end)

    @property
    def line(self) -> int:
        return self.start.line

    @property
    def column(self) -> int:
        return self.start.column

    @property
    def end_line(self) -> int:
        return self.end.line if self.end else self.start.line

    @property
    def end_column(self) -> int:
        return self.end.column if self.end else self.start.column + 1

    def __str__(self) -> str:
        return f"{self.path}:{self.start.line}:{self.start.column}"


@record(frozen=True, slots=True)
class Related:
    """A secondary location: SARIF relatedLocations, ``note:`` lines in text output."""

    span: Span
    message: str


SAFE, UNSAFE = "safe", "unsafe"
APPLICABILITIES = (SAFE, UNSAFE)


@record(frozen=True, slots=True)
class Edit:
    """Replace the text from ``span.start`` up to ``span.end`` (exclusive) with ``content``.

    Positions count as the model does (see the module docstring and composelint/sourcetext.py): lines
    of the decoded text, where CRLF or a lone CR is one break and a BOM is not there; columns in code
    points, a tab being one. So a rule takes them from the spans it already has; composelint/textedits.py
    maps them back onto the file's own bytes, its BOM and its line breaks. An edit may end at the first
    column of the next line (to take a line break with it) or past the end of the text (clamped).
    A "\n" in ``content`` is written as the file's own line break.
    """

    span: Span  # start and end both set; start == end inserts
    content: str = ""

    @property
    def path(self) -> str:
        return self.span.path

    @property
    def start(self) -> Position:
        return self.span.start

    @property
    def end(self) -> Position:
        return self.span.end or self.span.start

    @classmethod
    def insert(cls, path: str, line: int, column: int, content: str) -> "Edit":
        return cls(Span.at(path, line, column, line, column), content)

    @classmethod
    def replace(cls, span: Span, content: str) -> "Edit":
        """Replace the text of ``span`` (which must have an end)."""
        if span.end is None:
            raise ValueError("an edit needs a span with an end")
        return cls(span, content)

    @classmethod
    def delete_lines(cls, path: str, first: int, last: int) -> "Edit":
        """Lines ``first`` to ``last`` (1-based, inclusive), with their line breaks."""
        return cls(Span.at(path, first, 1, last + 1, 1), "")


@record(frozen=True, slots=True)
class Fix:
    """What to change so the finding goes away: edits in one file, applied all or none.

    ``applicability``: "safe" keeps what the file means and how the application behaves (`--fix`
    applies it); "unsafe" changes behaviour the user must review (only with `--unsafe-fixes`).
    ``title`` is a short imperative for editors' code actions ("Add `--no-cache-dir`").
    """

    title: str
    edits: tuple[Edit, ...]
    applicability: str = SAFE

    @classmethod
    def safe(cls, title: str, *edits: Edit) -> "Fix":
        return cls(title, tuple(edits), SAFE)

    @classmethod
    def unsafe(cls, title: str, *edits: Edit) -> "Fix":
        return cls(title, tuple(edits), UNSAFE)

    @property
    def path(self) -> str:
        return self.edits[0].path

    @property
    def is_safe(self) -> bool:
        return self.applicability == SAFE

    def applies(self, unsafe: bool) -> bool:
        """Whether a run with (``unsafe``) or without `--unsafe-fixes` applies it."""
        return bool(self.edits) and (self.applicability == SAFE or unsafe)


@record(frozen=True, slots=True)
class ServiceRef:
    """A service a finding concerns: which one, in which deployment, and where its key is written."""

    name: str
    span: Span  # the service's key in the compose file that defines it
    deployment: str | None = None  # the deployment's name; None for a file no deployment runs
    stage: str | None = None  # the target stage it builds, when the finding is in a multi-stage Dockerfile
    # "service": the finding is about the service itself (its definition, its start command);
    # "build": the finding is in an image the service builds (its Dockerfile), so only a note can say who
    relation: str = "service"


@record(frozen=True, slots=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    help: str | None = None
    related: tuple[Related, ...] = ()
    subject: str | None = None
    url: str | None = None
    # Text that identifies the offending construct independent of where it sits
    # (e.g. the normalised source line); keys baselines and SARIF fingerprints.
    anchor_text: str = ""
    # The text at the primary span is a secret (CL307): reporters mask it in source excerpts.
    sensitive: bool = False
    # The services it concerns, in file order. Structured so that reporters never parse messages;
    # not part of the fingerprint, which must stay stable when a deployment is added.
    services: tuple[ServiceRef, ...] = ()
    # Baselines key on code, path, subject and anchor_text only (see Violation.keyed_on_anchor).
    keyed_on_anchor: bool = False
    # Set when an inline suppression or the baseline covers the finding.
    suppression: str | None = field(default=None, compare=False)
    # How to fix it, when a rule knows (composelint/fixing.py applies it with --fix).
    fix: Fix | None = None

    def sort_key(self) -> tuple:
        return (self.span.path, self.span.start.line, self.span.start.column, self.code, self.message)

    def fingerprint(self) -> str:
        """Stable across line shifts: code, file, subject and offending text, no line numbers."""
        text = " ".join(self.anchor_text.split())
        key = "\x1f".join((self.code, self.span.path, self.subject or "", text or self.message))
        import hashlib  # only baselines and some formats need fingerprints; not imported at start-up

        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
