"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.

Locations are relative to ``%SRCROOT%``, the path base (the repository root by default). ``originalUriBaseIds``
describes it without an absolute URI (SARIF 2.1.0 §3.14.14 allows leaving it
out), so the log is the same on any machine; code scanning resolves it to the
checkout. Columns count Unicode code points (``columnKind``) and end positions
are exclusive, exactly as composelint's own positions are.

Each rule descriptor carries the rule page: ``fullDescription`` is its "What it
does", ``help`` its "What it does" and "Why is this bad" as text and the whole
page as Markdown (links made absolute), so a dashboard shows the rule's help.
Equal findings get distinct ``partialFingerprints`` (an occurrence number).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Sequence
from urllib.parse import quote

from composelint.reporters import HOMEPAGE, RenderContext, unique_fingerprints

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


# Which directory %SRCROOT% is, in words: never an absolute path of the machine that ran the lint.
SRCROOT_DESCRIPTION = "The root of the linted repository; every artifact URI in this log is relative to it."
# A relative link in a rule page ([CL102](CL102-undeployed-service.md)) breaks outside the repository.
_RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#|/)([^)\s]+)\)")


def _physical_location(span: "Span", display=str) -> dict:
    start_line = max(span.line, 1)
    start_column = max(span.column, 1)
    end_line = max(span.end_line, start_line)
    end_column = max(span.end_column, 1)
    if end_line == start_line:
        end_column = max(end_column, start_column)
    return {
        "artifactLocation": {"uri": artifact_uri(display(span.path)), "uriBaseId": SRCROOT},
        "region": {
            "startLine": start_line,
            "startColumn": start_column,
            "endLine": end_line,
            "endColumn": end_column,
        },
    }


def _rule_descriptor(meta: "RuleMeta", ctx: RenderContext) -> dict:
    url = ctx.docs_url(meta)
    descriptor = {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "helpUri": url,
        "defaultConfiguration": {"level": _level(meta.severity)},
        "properties": {"tags": [meta.family]},
    }
    page = ctx.rule_docs(meta)
    if page:
        descriptor.update(_page_help(page, url))
    return descriptor


def _page_help(page: str, url: str) -> dict:
    """``fullDescription`` and ``help`` from a rule page."""
    from composelint.docs import page_sections

    sections = page_sections(page)
    what = sections.get("What it does", "")
    why = sections.get("Why is this bad", "")
    base = url.rsplit("/", 1)[0] + "/"
    body = page.split("\n", 1)[1].strip() if page.startswith("# ") else page.strip()  # the title is the name
    markdown = _RELATIVE_LINK.sub(lambda match: f"]({base}{match.group(1)})", body)
    help_text = "\n\n".join(part for part in (what, why and f"Why is this bad: {why}", f"Documentation: {url}")
                             if part)
    result = {"help": {"text": help_text, "markdown": markdown}}
    if what:
        result["fullDescription"] = {"text": what}
    return result


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


def _result(diagnostic: "Diagnostic", rule_index: int, fingerprint: str, display=str) -> dict:
    result: dict = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _level(diagnostic.severity),
        "message": {"text": diagnostic.message},
        "locations": [{"physicalLocation": _physical_location(diagnostic.span, display)}],
    }
    if diagnostic.related:
        result["relatedLocations"] = [
            {"id": index, "physicalLocation": _physical_location(related.span, display), "message": {"text": related.message}}
            for index, related in enumerate(diagnostic.related)
        ]
    result["partialFingerprints"] = {FINGERPRINT_KEY: fingerprint}
    if diagnostic.suppression is not None:
        result["suppressions"] = [_suppression(diagnostic.suppression)]
    if diagnostic.fix is not None and diagnostic.fix.edits:
        result["fixes"] = [_fix(diagnostic.fix, display)]
    properties = {}
    if diagnostic.help:
        properties["help"] = diagnostic.help
    if diagnostic.subject:
        properties["subject"] = diagnostic.subject
    if diagnostic.services:
        # The same objects as the JSON output's `services` (docs/json-output.md).
        from composelint.reporters.json import service_object

        properties["services"] = [service_object(ref, display) for ref in diagnostic.services]
    if properties:
        result["properties"] = properties
    return result


def _fix(fix, display=str) -> dict:
    """SARIF's fix object: one artifactChange (the file) with its replacements; an insertion is an
    empty deletedRegion. Whether --fix applies it without --unsafe-fixes is in its properties."""
    edits = fix.edits
    replacements = []
    for edit in edits:
        start, end = edit.start, edit.end
        replacements.append({
            "deletedRegion": {"startLine": start.line, "startColumn": start.column,
                              "endLine": end.line, "endColumn": end.column},
            "insertedContent": {"text": edit.content},
        })
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{
            "artifactLocation": {"uri": artifact_uri(display(fix.path)), "uriBaseId": SRCROOT},
            "replacements": replacements,
        }],
        "properties": {"applicability": fix.applicability},
    }


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
    run["originalUriBaseIds"] = {SRCROOT: {"description": {"text": SRCROOT_DESCRIPTION}}}
    run["columnKind"] = "unicodeCodePoints"
    run["results"] = [_result(diagnostic, rule_index[diagnostic.code], fingerprint, ctx.display)
                      for diagnostic, fingerprint in zip(diagnostics, unique_fingerprints(diagnostics))]
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(diagnostics: Sequence["Diagnostic"], ctx: RenderContext) -> str:
    return json.dumps(sarif_log(diagnostics, ctx), indent=2, ensure_ascii=False) + "\n"
