"""GitLab Code Quality report (``artifacts:reports:codequality``).

A JSON array of Code Climate issues with the fields GitLab reads:
``description``, ``check_name``, ``fingerprint``, ``severity`` and
``location.path`` / ``location.lines.begin`` (plus ``lines.end``). ``type``
and ``categories`` are added so the file is also a valid Code Climate issue
list; GitLab ignores them.

Severity: GitLab's scale is info < minor < major < critical < blocker. An
error maps to ``major``, a warning to ``minor`` and info to ``info``;
``critical`` and ``blocker`` are left for security scanners, so composelint's
findings sort below them in a merge request. A suppressed finding (shown only
on request) is reported as ``info`` with the reason in its description.

GitLab shows issues with the same fingerprint as one, so a finding whose
stable fingerprint repeats (the same problem twice in one file) gets a
fingerprint derived from it and its occurrence number.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Sequence

from composelint.reporters import RenderContext, last_line, unique_fingerprints

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic

SEVERITIES = {"error": "major", "warning": "minor", "info": "info"}
# Every composelint rule finds configuration that fails or misbehaves at run time.
CATEGORIES = ("Bug Risk",)


def issue(diagnostic: "Diagnostic", fingerprint: str, display=str) -> dict:
    description = f"{diagnostic.code} [{diagnostic.name}] {diagnostic.message}"
    severity = SEVERITIES[diagnostic.severity.label]
    if diagnostic.suppression is not None:
        description = f"(suppressed: {diagnostic.suppression}) {description}"
        severity = "info"
    span = diagnostic.span
    return {
        "type": "issue",
        "check_name": f"{diagnostic.code}-{diagnostic.name}",
        "description": description,
        "categories": list(CATEGORIES),
        "severity": severity,
        "fingerprint": fingerprint,
        "location": {
            "path": display(span.path),
            "lines": {"begin": span.line, "end": last_line(span)},
        },
    }


def render(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    issues = [issue(diagnostic, fingerprint, ctx.display)
              for diagnostic, fingerprint in zip(diagnostics, unique_fingerprints(diagnostics))]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
