"""composelint's own machine-readable format (``--format json``).

The document is described by ``composelint/data/output-schema.json`` and
docs/json-output.md; its ``version`` changes whenever a field is removed,
renamed or changes meaning.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Sequence

from composelint.reporters import RenderContext, rule_url, severity_counts

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic, ServiceRef, Span

FORMAT_VERSION = 1


def _position(span: "Span", display=str) -> dict:
    return {
        "path": display(span.path),
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def service_object(ref: "ServiceRef", display=str) -> dict:
    """One entry of a diagnostic's ``services`` (also SARIF's ``properties.services``)."""
    return dict(name=ref.name, deployment=ref.deployment, stage=ref.stage, relation=ref.relation,
                **_position(ref.span, display))


def diagnostic_object(diagnostic: "Diagnostic", ctx: RenderContext) -> dict:
    return {
        "code": diagnostic.code,
        "name": diagnostic.name,
        "severity": diagnostic.severity.label,
        "message": diagnostic.message,
        **_position(diagnostic.span, ctx.display),
        "help": diagnostic.help,
        "subject": diagnostic.subject,
        "services": [service_object(ref, ctx.display) for ref in diagnostic.services],
        "url": rule_url(diagnostic, ctx),
        "fingerprint": diagnostic.fingerprint(),
        "related": [{**_position(related.span, ctx.display), "message": related.message} for related in diagnostic.related],
        "suppressed": None if diagnostic.suppression is None else {"reason": diagnostic.suppression},
        "fix": fix_object(diagnostic.fix, ctx.display),
    }


def fix_object(fix, display=str) -> dict | None:
    """A finding's fix: what editors offer and `--fix` applies (docs/json-output.md, Fixes)."""
    if fix is None:
        return None
    return {
        "title": fix.title,
        "applicability": fix.applicability,
        "edits": [{**_position(edit.span, display), "content": edit.content} for edit in fix.edits],
    }


def render(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    document = {
        "version": FORMAT_VERSION,
        "tool": {"name": "composelint", "version": ctx.version},
        "diagnostics": [diagnostic_object(diagnostic, ctx) for diagnostic in diagnostics],
        "summary": {
            **severity_counts(diagnostics),
            "suppressed": sum(1 for diagnostic in diagnostics if diagnostic.suppression is not None),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
