"""Baselines: adopt composelint in a repository that already has findings.

``composelint --write-baseline FILE`` records the current findings; later runs
with ``--baseline FILE`` report only findings that are not recorded (the
engine marks the others ``suppression="baseline"``).

A finding is keyed by what it is, never by where it sits: its code, its file,
its subject (``service 'web'``) and the offending source text - the first line
of its span with whitespace normalised, the exact text the span covers on that
line, and the rule's anchor text. A finding about something missing (a stage
without USER, a service without limits or healthcheck: ``keyed_on_anchor``) has
no offending text - its span only shows where to look - so it is keyed on its
code, file, subject and anchor text alone: pinning a stage's base image keeps
its root-user finding baselined. Adding or removing lines above a finding, or
re-indenting it, keeps its key; editing the offending text makes it a new
finding. Line numbers and messages are not part of the key (messages such as
"already defined at line 3" embed positions); the message, with digits
blanked, is used only when the source text is unavailable. Each key carries a
count, so two identical findings need two recorded occurrences: a third copy
of a recorded mistake is reported.

The file is JSON, versioned, sorted and without timestamps, so that
rewriting it after fixing a finding gives a one-entry diff::

    {
      "version": 1,
      "tool": "composelint",
      "findings": [
        {"code": "CL004", "path": "compose.yaml", "subject": null,
         "fingerprint": "5d0c…", "count": 1}
      ]
    }
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Mapping

from composelint.diagnostics import Diagnostic
from composelint.sourcetext import SourceLines

VERSION = 1
TextOf = Callable[[str], "str | None"]

_DIGITS = re.compile(r"\d+")


class BaselineError(Exception):
    """The baseline file is missing, unreadable or not a composelint baseline."""


def _nothing(path: str) -> None:
    return None


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _key(diagnostic: Diagnostic, lines: SourceLines) -> str:
    span = diagnostic.span
    if diagnostic.keyed_on_anchor:
        # What the finding is about (a stage, a service) and what is missing, not the line it points at.
        parts = ("anchored", diagnostic.code, span.path, diagnostic.subject or "", _normalise(diagnostic.anchor_text))
        return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    line = lines.line(span.path, span.line)
    covered = ""
    if line is not None:
        start = max(span.column - 1, 0)
        stop = span.end_column - 1 if span.end_line == span.line else len(line)
        covered = line[start:max(stop, start)]
        if getattr(diagnostic, "sensitive", False):
            # A secret: a hash of it in a committed file could be brute-forced; key on what precedes it.
            line, covered = line[:start], ""
    source = _normalise(line or "")
    fallback = "" if source else _DIGITS.sub("#", diagnostic.message)
    parts = (diagnostic.code, span.path, diagnostic.subject or "", _normalise(diagnostic.anchor_text), source,
             _normalise(covered), fallback)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def finding_key(diagnostic: Diagnostic, text_of: TextOf | None) -> str:
    """The baseline key of one finding; ``text_of(path)`` gives a project file's text (or None)."""
    return _key(diagnostic, SourceLines(text_of or _nothing))


class Baseline:
    """Recorded findings. ``bind`` gives a matcher for one run; the engine calls its ``covers``."""

    def __init__(self, counts: Mapping[str, int], text_of: TextOf | None = None,
                 entries: Mapping[str, tuple] | None = None) -> None:
        self._recorded = dict(counts)
        self._entries = dict(entries or {})  # fingerprint -> (code, path, subject), for messages
        self._remaining = Counter(counts)
        self._lines = SourceLines(text_of or _nothing)

    @classmethod
    def load(cls, path: Path) -> "Baseline":
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BaselineError(f"baseline file {path} does not exist (create it with --write-baseline {path})") \
                from None
        except (OSError, UnicodeDecodeError) as exc:
            raise BaselineError(f"cannot read baseline file {path}: {exc}") from None
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BaselineError(f"baseline file {path} is not valid JSON: {exc}") from None
        counts, entries = _parse(data, path)
        return cls(counts, entries=entries)

    def bind(self, text_of: TextOf | None) -> "Baseline":
        """A fresh matcher reading offending text through ``text_of`` (e.g. ``project.read_text``)."""
        return Baseline(self._recorded, text_of, self._entries)

    def covers(self, diagnostic: Diagnostic) -> bool:
        """True, once per recorded occurrence, when the finding is in the baseline."""
        key = _key(diagnostic, self._lines)
        if self._remaining[key] > 0:
            self._remaining[key] -= 1
            return True
        return False

    def unmatched(self) -> int:
        """Recorded occurrences that no finding of this run used (fixed since, or outside the run)."""
        return sum(count for count in self._remaining.values() if count > 0)

    def unmatched_entries(self) -> list[tuple[str, str, str | None, int]]:
        """(code, path, subject, occurrences) of each recorded entry this run did not use, sorted."""
        found = []
        for fingerprint, count in self._remaining.items():
            if count > 0:
                code, path, subject = self._entries.get(fingerprint, ("?", "?", None))
                found.append((code, path, subject, count))
        return sorted(found, key=lambda entry: (entry[1], entry[0], entry[2] or ""))

    def __len__(self) -> int:
        return sum(self._recorded.values())


def _parse(data, path) -> tuple[dict[str, int], dict[str, tuple]]:
    if not isinstance(data, dict) or data.get("tool") != "composelint" or "findings" not in data:
        raise BaselineError(f"{path} is not a composelint baseline (expected an object with \"tool\": "
                            f"\"composelint\" and \"findings\")")
    if data.get("version") != VERSION:
        raise BaselineError(f"baseline file {path} has version {data.get('version')!r}; this composelint reads "
                            f"version {VERSION} (rewrite it with --write-baseline)")
    findings = data["findings"]
    if not isinstance(findings, list):
        raise BaselineError(f"baseline file {path}: \"findings\" must be a list")
    counts: Counter = Counter()
    entries: dict[str, tuple] = {}
    for index, entry in enumerate(findings):
        fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
        count = entry.get("count", 1) if isinstance(entry, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint or type(count) is not int or count < 1:
            raise BaselineError(f"baseline file {path}: finding {index} needs a \"fingerprint\" string and a "
                                f"positive integer \"count\"")
        counts[fingerprint] += count
        subject = entry.get("subject")
        entries.setdefault(fingerprint, (str(entry.get("code", "?")), str(entry.get("path", "?")),
                                         subject if isinstance(subject, str) else None))
    return dict(counts), entries


def render(diagnostics: Iterable[Diagnostic], text_of: TextOf | None) -> str:
    """The baseline file's text for these findings."""
    lines = SourceLines(text_of or _nothing)
    entries: dict[str, dict] = {}
    for diagnostic in diagnostics:
        key = _key(diagnostic, lines)
        entry = entries.get(key)
        if entry is None:
            entries[key] = {"code": diagnostic.code, "path": diagnostic.span.path, "subject": diagnostic.subject,
                            "fingerprint": key, "count": 1}
        else:
            entry["count"] += 1
    ordered = sorted(entries.values(), key=lambda e: (e["path"], e["code"], e["subject"] or "", e["fingerprint"]))
    document = {"version": VERSION, "tool": "composelint", "findings": ordered}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write(path: Path, diagnostics: Iterable[Diagnostic], text_of: TextOf | None) -> int:
    """Write the baseline atomically (a temporary file beside it, then a rename); returns the findings recorded."""
    diagnostics = list(diagnostics)
    text = render(diagnostics, text_of)
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise BaselineError(f"cannot write baseline file {path}: {exc.strerror or exc}") from None
    return len(diagnostics)
