"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.

Locations are relative to ``%SRCROOT%``, which ``originalUriBaseIds`` maps to
the project root, so the log does not depend on where it was produced except
for that one entry. Columns count Unicode code points (``columnKind``) and end
positions are exclusive, exactly as composelint's own positions are.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Sequence
from urllib.parse import quote

from composelint.reporters import HOMEPAGE, RenderContext

if TYPE_CHECKING:
    from composelint.diagnostics import Diagnostic, Severity, Span
    from composelint.rules._rule import RuleMeta

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "composelint/v1"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# semver.org's grammar, simplified to what a version string can be checked against.
_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                     r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?")


def _level(severity: "Severity") -> str:
    return _LEVELS[severity.label]


def artifact_uri(path: str) -> str:
    """A relative URI reference for a project-relative POSIX path.

    Everything but unreserved characters and ``/`` is percent-encoded: spaces
    and non-ASCII (as UTF-8), and also ``:`` so that ``a:b.yml`` is not read as
    a URI scheme. Undecodable file names keep their original bytes.
    """
    return quote(path, safe="/", errors="surrogateescape")


def root_uri(root: str) -> str | None:
    """The ``file:`` URI of the project root, ending in ``/``; None if root is not absolute."""
    path = Path(root)
    if not path.is_absolute():
        return None
    uri = path.as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _physical_location(span: "Span") -> dict:
    start_line = max(span.line, 1)
    start_column = max(span.column, 1)
    end_line = max(span.end_line, start_line)
    end_column = max(span.end_column, 1)
    if end_line == start_line:
        end_column = max(end_column, start_column)
    return {
        "artifactLocation": {"uri": artifact_uri(span.path), "uriBaseId": SRCROOT},
        "region": {
            "startLine": start_line,
            "startColumn": start_column,
            "endLine": end_line,
            "endColumn": end_column,
        },
    }


def _rule_descriptor(meta: "RuleMeta", ctx: RenderContext) -> dict:
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "helpUri": ctx.docs_url(meta),
        "defaultConfiguration": {"level": _level(meta.severity)},
        "properties": {"tags": [meta.family]},
    }


def _unknown_rule_descriptor(diagnostic: "Diagnostic") -> dict:
    """For a code outside ``ctx.rules`` (an internal error), so ruleIndex stays valid."""
    descriptor = {
        "id": diagnostic.code,
        "name": diagnostic.name,
        "shortDescription": {"text": diagnostic.name},
        "defaultConfiguration": {"level": _level(diagnostic.severity)},
    }
    if diagnostic.url:
        descriptor["helpUri"] = diagnostic.url
    return descriptor


def _suppression(reason: str) -> dict:
    kind = "external" if reason.startswith("baseline") else "inSource"
    return {"kind": kind, "justification": reason}


def _result(diagnostic: "Diagnostic", rule_index: int) -> dict:
    result: dict = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _level(diagnostic.severity),
        "message": {"text": diagnostic.message},
        "locations": [{"physicalLocation": _physical_location(diagnostic.span)}],
    }
    if diagnostic.related:
        result["relatedLocations"] = [
            {"id": index, "physicalLocation": _physical_location(related.span), "message": {"text": related.message}}
            for index, related in enumerate(diagnostic.related)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: diagnostic.fingerprint()}
    if diagnostic.suppression is not None:
        result["suppressions"] = [_suppression(diagnostic.suppression)]
    properties = {}
    if diagnostic.help:
        properties["help"] = diagnostic.help
    if diagnostic.subject:
        properties["subject"] = diagnostic.subject
    if diagnostic.services:
        # The same objects as the JSON output's `services` (docs/json-output.md).
        from composelint.reporters.json import service_object

        properties["services"] = [service_object(ref) for ref in diagnostic.services]
    if properties:
        result["properties"] = properties
    return result


def sarif_log(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> dict:
    descriptors = {code: _rule_descriptor(meta, ctx) for code, meta in ctx.rules.items()}
    for diagnostic in diagnostics:
        if diagnostic.code not in descriptors:
            descriptors[diagnostic.code] = _unknown_rule_descriptor(diagnostic)
    codes = sorted(descriptors)
    rule_index = {code: index for index, code in enumerate(codes)}

    driver: dict = {"name": "composelint", "version": ctx.version, "informationUri": HOMEPAGE}
    if _SEMVER.fullmatch(ctx.version):
        driver["semanticVersion"] = ctx.version
    driver["rules"] = [descriptors[code] for code in codes]

    run: dict = {"tool": {"driver": driver}}
    base = root_uri(ctx.root)
    if base is not None:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": base}}
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = [_result(diagnostic, rule_index[diagnostic.code]) for diagnostic in diagnostics]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    return json.dumps(sarif_log(diagnostics, ctx), indent=2, ensure_ascii=False) + "\n"
