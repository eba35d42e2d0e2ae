from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

import composelint
from composelint.reporters import render

SCHEMA_PATH = Path(composelint.__file__).parent / "data" / "output-schema.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_output_validates_against_our_schema(diagnostics, ctx, validator):
    document = json.loads(render("json", diagnostics, ctx))
    validator.validate(document)
    validator.validate(json.loads(render("json", [], ctx)))


def test_schema_is_strict(diagnostics, ctx, validator):
    document = json.loads(render("json", diagnostics, ctx))
    with_extra_field = copy.deepcopy(document)
    with_extra_field["diagnostics"][0]["column_utf16"] = 3
    missing_field = copy.deepcopy(document)
    del missing_field["diagnostics"][0]["help"]
    bad_related = copy.deepcopy(document)
    bad_related["diagnostics"][0]["related"][0]["line"] = 0
    bad_severity = copy.deepcopy(document)
    bad_severity["diagnostics"][0]["severity"] = "fatal"
    bad_suppressed = copy.deepcopy(document)
    bad_suppressed["diagnostics"][0]["suppressed"] = "yes"
    no_services = copy.deepcopy(document)
    del no_services["diagnostics"][0]["services"]
    bad_relation = copy.deepcopy(document)
    bad_relation["diagnostics"][0]["services"][0]["relation"] = "owner"
    for broken in (with_extra_field, missing_field, bad_related, bad_severity, bad_suppressed, no_services,
                   bad_relation):
        assert not validator.is_valid(broken)


def test_fields(diagnostics, ctx):
    document = json.loads(render("json", diagnostics, ctx))
    assert document["version"] == 1
    assert document["tool"] == {"name": "composelint", "version": "0.1.0"}
    assert document["summary"] == {"error": 2, "warning": 2, "info": 0, "suppressed": 2}
    first = document["diagnostics"][0]
    assert first == {
        "code": "CL201",
        "name": "runtime-install",
        "severity": "error",
        "message": "service 'agent' runs `pip install flask` every time it starts",
        "path": "compose.yaml",
        "line": 4,
        "column": 21,
        "end_line": 4,
        "end_column": 38,
        "help": "install dependencies in the image (a RUN step in the Dockerfile) and start the app directly",
        "subject": "service 'agent'",
        "services": [{"name": "agent", "deployment": "compose.yaml", "stage": None, "relation": "service",
                      "path": "compose.yaml", "line": 2, "column": 3, "end_line": 2, "end_column": 8}],
        "url": "https://github.com/composelint/composelint/blob/main/rules/CL201-runtime-install.md",
        "fingerprint": diagnostics[0].fingerprint(),
        "related": [{"path": "my app/Dockerfile", "line": 3, "column": 1, "end_line": 3, "end_column": 32,
                     "message": "the image's entrypoint is overridden here"}],
        "suppressed": None,
        "fix": None,
    }
    by_code = {(d["code"], d["path"]): d for d in document["diagnostics"]}
    assert by_code["CL310", "compose.yaml"]["suppressed"] == {"reason": "inline: pinned by the platform team"}
    # A start-only span is one character wide, end exclusive.
    # A Dockerfile finding lists every service that builds it: one per deployment, or none.
    built = by_code["CL405", "my app/Dockerfile"]["services"]
    assert [(s["name"], s["deployment"], s["stage"], s["relation"]) for s in built] == [
        ("agent", "compose.yaml", None, "build"), ("agent", "prod", None, "build"),
        ("worker", None, "final", "build")]
    internal = by_code["CL999", "ünïcode/compose.override.yml"]
    assert internal["services"] == []
    assert (internal["end_line"], internal["end_column"]) == (1, 2)
    assert internal["url"] is None  # not an enabled rule, no page known


def test_unicode_is_written_as_is(diagnostics, ctx):
    assert '"path": "ünïcode/compose.override.yml"' in render("json", diagnostics, ctx)


def test_docs_url_comes_from_the_context(diagnostics, ctx):
    custom = replace(ctx, docs_url=lambda meta: f"https://example.test/{meta.code}")
    document = json.loads(render("json", diagnostics, custom))
    assert document["diagnostics"][0]["url"] == "https://example.test/CL201"
