"""Output formats: turn the engine's diagnostics into text for people or tools.

Every reporter is a pure function ``(diagnostics, ctx) -> str`` in its own
module. The modules are imported on first use, so ``composelint --version``
or a run with the default format does not pay for the JSON or SARIF code.
Reporters only present: the diagnostics arrive filtered and sorted, and the
exit code is decided elsewhere.
"""

from __future__ import annotations

import importlib
import re
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from composelint.records import record

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic, Span
    from composelint.rules._rule import RuleMeta

HOMEPAGE = "https://github.com/composelint/composelint"


def default_docs_url(meta: "RuleMeta") -> str:
    return meta.url


def no_docs(meta: "RuleMeta") -> None:
    return None


def same_path(path: str) -> str:
    return path


@record(frozen=True)
class RenderContext:
    rules: Mapping[str, "RuleMeta"]  # code -> metadata of every enabled rule
    sources: Mapping[str, str]  # project-relative path -> file text
    root: str  # absolute project root
    version: str  # composelint version
    color: bool = False
    show_suppressed: bool = False
    docs_url: Callable[["RuleMeta"], str] = default_docs_url
    summary: bool = True  # the closing summary line of the text format (--quiet: none)
    # The rule's documentation page (Markdown), for formats that carry rule help (SARIF).
    rule_docs: Callable[["RuleMeta"], "str | None"] = no_docs
    baselined: int = 0  # findings the baseline covers that are not in the diagnostics (not shown)
    # How a project-relative path is printed in this format: relative to the path base (the repository
    # root) for machine formats, to the current directory for people (see checking.display_paths).
    display: Callable[[str], str] = same_path
    # --unsafe-fixes: unsafe fixes count as available (`[*]`); without it they are "hidden".
    unsafe_fixes: bool = False
    fixed: int | None = None  # --fix: how many fixes were applied (the summary says so)


Reporter = Callable[[Sequence["Diagnostic"], RenderContext], str]

# Format name -> module in this package that defines ``render(diagnostics, ctx)``.
_MODULES = {
    "text": "text",
    "concise": "concise",
    "json": "json",
    "sarif": "sarif",
    "github": "github",
    "gitlab": "gitlab",
}


class _LazyReporter:
    """Imports its module on the first call, then delegates to its ``render``."""

    __slots__ = ("module_name", "_render")

    def __init__(self, module_name: str) -> None:
        self.module_name = module_name
        self._render: Reporter | None = None

    def __call__(self, diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
        return self.load()(diagnostics, ctx)

    def load(self) -> Reporter:
        if self._render is None:
            self._render = importlib.import_module(f"{__name__}.{self.module_name}").render
        return self._render

    def __repr__(self) -> str:
        return f"<reporter {self.module_name}>"


REPORTERS: dict[str, Reporter] = {fmt: _LazyReporter(module) for fmt, module in _MODULES.items()}
FORMATS: tuple[str, ...] = tuple(REPORTERS)

_LONE_SURROGATE = "[\ud800-\udfff]"


def prepare(fmt: str) -> None:
    """Import what renders ``fmt`` (the check command does it while the engine waits for forked rules)."""
    reporter = REPORTERS.get(fmt)
    if isinstance(reporter, _LazyReporter):
        reporter.load()


def render(fmt: str, diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    """Render ``diagnostics`` in format ``fmt``; the result is valid UTF-8 text.

    Raises ValueError for an unknown format.
    """
    reporter = REPORTERS.get(fmt)
    if reporter is None:
        raise ValueError(f"unknown output format {fmt!r} (expected one of: {', '.join(FORMATS)})")
    if not ctx.show_suppressed:
        # The engine normally drops them already; doing it here too keeps the
        # promise of RenderContext.show_suppressed whatever the caller passed.
        diagnostics = [d for d in diagnostics if d.suppression is None]
    output = reporter(diagnostics, ctx)
    # Undecodable file names reach us as lone surrogates (os.fsdecode); they
    # cannot be written as UTF-8, so the printable output replaces them.
    try:
        output.encode("utf-8")
    except UnicodeEncodeError:
        output = re.sub(_LONE_SURROGATE, "\ufffd", output)
    return output


# ---------------------------------------------------------------------------
# Helpers shared by several reporters (presentation only).

SEVERITY_LABELS = ("error", "warning", "info")  # most severe first, the order of summaries


def rule_url(diagnostic: "Diagnostic", ctx: RenderContext) -> str | None:
    """The page documenting the diagnostic's rule, or None when it is unknown."""
    if diagnostic.url:
        return diagnostic.url
    meta = ctx.rules.get(diagnostic.code)
    return ctx.docs_url(meta) if meta is not None else None


def unique_fingerprints(diagnostics: Sequence["Diagnostic"]) -> list[str]:
    """Each diagnostic's fingerprint, made distinct: the second and later copies of one stable
    fingerprint (the same mistake twice in a file) get one derived from it and the occurrence number,
    so that dashboards that merge equal fingerprints keep both (SARIF, GitLab)."""
    import hashlib

    seen: dict[str, int] = {}
    fingerprints = []
    for diagnostic in diagnostics:
        fingerprint = diagnostic.fingerprint()
        occurrence = seen.get(fingerprint, 0)
        seen[fingerprint] = occurrence + 1
        if occurrence:
            fingerprint = hashlib.sha256(f"{fingerprint}:{occurrence}".encode()).hexdigest()[:32]
        fingerprints.append(fingerprint)
    return fingerprints


def last_line(span: "Span") -> int:
    """The line holding the span's last character.

    End positions are exclusive, so a span that ends at column 1 stops at the
    end of the line before (a YAML node's span usually does).
    """
    end_line = span.end_line
    if end_line > span.line and span.end_column <= 1:
        end_line -= 1
    return max(end_line, span.line)


def severity_counts(diagnostics: Sequence["Diagnostic"]) -> dict[str, int]:
    """Unsuppressed diagnostics per severity label, every label present."""
    counts = dict.fromkeys(SEVERITY_LABELS, 0)
    for diagnostic in diagnostics:
        if diagnostic.suppression is None:
            counts[diagnostic.severity.label] += 1
    return counts


# C0/C1 controls (tab excepted), Unicode line separators and the bidi
# overrides that make a terminal show text in another order than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_CONTROL_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def _escape_control(match: re.Match) -> str:
    char = match.group()
    if char in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def one_line(text: str) -> str:
    """``text`` with line breaks, control and bidi characters escaped (tab kept).

    Line-oriented formats print messages and paths from the linted files;
    a raw newline would forge an extra output line and an escape sequence
    would reach the terminal.
    """
    return _CONTROL.sub(_escape_control, text)
