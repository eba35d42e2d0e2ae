from __future__ import annotations

import json

import jsonschema

from composelint.diagnostics import Diagnostic, Severity, Span
from composelint.reporters import render

# What GitLab documents for a Code Quality report (docs.gitlab.com/ci/testing/code_quality,
# "Implement a custom tool"): an array of objects with description, check_name,
# fingerprint, severity from a fixed scale, location.path and the line in either
# location.lines.begin or location.positions.begin.line.
GITLAB_CODE_QUALITY_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1},
                                       "end": {"type": "integer", "minimum": 1}},
                    },
                    "positions": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "object", "required": ["line"]}},
                    },
                },
                "anyOf": [{"required": ["lines"]}, {"required": ["positions"]}],
            },
        },
    },
}


def test_matches_gitlabs_documented_shape(diagnostics, ctx):
    report = json.loads(render("gitlab", diagnostics, ctx))
    jsonschema.Draft202012Validator(GITLAB_CODE_QUALITY_SCHEMA).validate(report)
    assert len(report) == len(diagnostics)


def test_issue_fields(diagnostics, ctx):
    report = json.loads(render("gitlab", diagnostics, ctx))
    assert report[0] == {
        "type": "issue",
        "check_name": "CL201-runtime-install",
        "description": "CL201 [runtime-install] service 'agent' runs `pip install flask` every time it starts",
        "categories": ["Bug Risk"],
        "severity": "major",
        "fingerprint": diagnostics[0].fingerprint(),
        "location": {"path": "compose.yaml", "lines": {"begin": 4, "end": 4}},
    }
    # A span ending at column 1 of line 8 stops at the end of line 7.
    assert report[1]["location"]["lines"] == {"begin": 6, "end": 7}
    assert [issue["severity"] for issue in report] == ["major", "minor", "info", "minor", "major", "info"]
    assert report[2]["description"].startswith("(suppressed: inline: pinned by the platform team) CL310")
    assert report[5]["location"]["path"] == "ünïcode/compose.override.yml"


def test_fingerprints_are_unique_even_for_repeated_findings(ctx):
    twice = [Diagnostic("CL310", "latest-tag", Severity.INFO, "image uses latest", Span.at("c.yml", line, 3))
             for line in (2, 9, 14)]
    assert twice[0].fingerprint() == twice[1].fingerprint() == twice[2].fingerprint()
    fingerprints = [issue["fingerprint"] for issue in json.loads(render("gitlab", twice, ctx))]
    assert fingerprints[0] == twice[0].fingerprint()
    assert len(set(fingerprints)) == 3


def test_empty(ctx):
    assert json.loads(render("gitlab", [], ctx)) == []
