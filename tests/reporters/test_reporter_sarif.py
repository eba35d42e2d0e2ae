from __future__ import annotations

import json
from dataclasses import replace
from urllib.parse import unquote, urlsplit

import pytest

from composelint.diagnostics import Diagnostic, Severity, Span
from composelint.reporters import render
from composelint.reporters.sarif import artifact_uri

def _run(diagnostics, ctx) -> dict:
    log = json.loads(render("sarif", diagnostics, ctx))
    assert log["version"] == "2.1.0"
    assert len(log["runs"]) == 1
    return log["runs"][0]


def test_validates_against_the_official_schema(diagnostics, ctx, sarif_validator):
    errors = sorted(sarif_validator.iter_errors(json.loads(render("sarif", diagnostics, ctx))), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_empty_results_validate(ctx, sarif_validator):
    log = json.loads(render("sarif", [], ctx))
    sarif_validator.validate(log)
    run = log["runs"][0]
    assert run["results"] == []
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["CL201", "CL304", "CL310", "CL405"]


def test_driver_and_rules(diagnostics, ctx):
    driver = _run(diagnostics, ctx)["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == ("composelint", "0.1.0", "0.1.0")
    assert driver["informationUri"] == "https://github.com/composelint/composelint"
    assert [rule["id"] for rule in driver["rules"]] == ["CL201", "CL304", "CL310", "CL405", "CL999"]
    assert driver["rules"][0] == {
        "id": "CL201",
        "name": "runtime-install",
        "shortDescription": {"text": "start command installs packages at run time"},
        "helpUri": "https://github.com/composelint/composelint/blob/main/rules/CL201-runtime-install.md",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["start command"]},
    }
    # A code outside the enabled rules still gets a descriptor, so ruleIndex stays valid.
    assert driver["rules"][4]["defaultConfiguration"] == {"level": "error"}


def test_semantic_version_only_for_semver(ctx):
    driver = _run([], replace(ctx, version="0.2.0.dev3+g1a2b"))["tool"]["driver"]
    assert driver["version"] == "0.2.0.dev3+g1a2b"
    assert "semanticVersion" not in driver


def test_results(diagnostics, ctx):
    run = _run(diagnostics, ctx)
    rules = run["tool"]["driver"]["rules"]
    results = run["results"]
    assert len(results) == len(diagnostics)
    for result, diagnostic in zip(results, diagnostics):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == diagnostic.code
        assert result["partialFingerprints"] == {"composelint/v1": diagnostic.fingerprint()}
        assert result["message"]["text"] == diagnostic.message
    assert [r["level"] for r in results] == ["error", "warning", "note", "warning", "error", "note"]

    first = results[0]
    assert first["locations"] == [{"physicalLocation": {
        "artifactLocation": {"uri": "compose.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 21, "endLine": 4, "endColumn": 38},
    }}]
    assert first["relatedLocations"] == [{
        "id": 0,
        "physicalLocation": {
            "artifactLocation": {"uri": "my%20app/Dockerfile", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 32},
        },
        "message": {"text": "the image's entrypoint is overridden here"},
    }]
    assert first["properties"] == {
        "help": "install dependencies in the image (a RUN step in the Dockerfile) and start the app directly",
        "subject": "service 'agent'",
        "services": [{"name": "agent", "deployment": "compose.yaml", "stage": None, "relation": "service",
                      "path": "compose.yaml", "line": 2, "column": 3, "end_line": 2, "end_column": 8}],
    }
    assert [ref["name"] for ref in results[3]["properties"]["services"]] == ["agent", "agent", "worker"]
    assert "services" not in results[4].get("properties", {})  # concerns no service
    assert "suppressions" not in first
    multi_line = results[1]["locations"][0]["physicalLocation"]["region"]
    assert multi_line == {"startLine": 6, "startColumn": 3, "endLine": 8, "endColumn": 1}


def test_run_properties(diagnostics, ctx):
    run = _run(diagnostics, ctx)
    assert run["columnKind"] == "unicodeCodePoints"
    # %SRCROOT% is described, never given the absolute URI of the machine that produced the log.
    assert list(run["originalUriBaseIds"]) == ["%SRCROOT%"]
    assert set(run["originalUriBaseIds"]["%SRCROOT%"]) == {"description"}
    assert "/srv/" not in render("sarif", diagnostics, ctx) and "fleet" not in render("sarif", diagnostics, ctx)


def test_suppressions(diagnostics, ctx):
    results = _run(diagnostics, ctx)["results"]
    suppressions = [result.get("suppressions") for result in results]
    assert suppressions == [
        None,
        None,
        [{"kind": "inSource", "justification": "inline: pinned by the platform team"}],
        None,
        None,
        [{"kind": "external", "justification": "baseline .composelint-baseline"}],
    ]


@pytest.mark.parametrize(("path", "uri"), [
    ("compose.yaml", "compose.yaml"),
    ("my app/Dockerfile", "my%20app/Dockerfile"),
    ("ünïcode/compose.yml", "%C3%BCn%C3%AFcode/compose.yml"),
    ("c:/weird#name?.yml", "c%3A/weird%23name%3F.yml"),
    ("100%.yml", "100%25.yml"),
    ("undecodable-\udcff.yml", "undecodable-%FF.yml"),
])
def test_artifact_uris_are_percent_encoded(path, uri):
    encoded = artifact_uri(path)
    assert encoded == uri
    assert not urlsplit(encoded).scheme  # a relative reference, never read as a scheme
    if "\udcff" not in path:
        assert unquote(encoded) == path


def test_the_log_is_the_same_wherever_the_root_is(diagnostics, ctx, sarif_validator):
    here = render("sarif", diagnostics, ctx)
    assert render("sarif", diagnostics, replace(ctx, root="/elsewhere/checkout")) == here
    assert render("sarif", diagnostics, replace(ctx, root="relative")) == here
    sarif_validator.validate(json.loads(here))


PAGE = """# CL201 runtime-install

**Severity:** error · **Family:** start command · **Since:** 0.1.0 · **Options:** none

## What it does

Flags start commands that install packages (see [CL204](CL204-command-not-found.md)).

## Why is this bad

Every restart reinstalls.

## Example

```yaml file=compose.yaml
## not a heading: inside a fence
services: {}
```
"""


def test_rules_carry_the_help_of_their_page(diagnostics, ctx, sarif_validator):
    with_docs = replace(ctx, rule_docs=lambda meta: PAGE if meta.code == "CL201" else None)
    log = json.loads(render("sarif", diagnostics, with_docs))
    sarif_validator.validate(log)
    rules = {rule["id"]: rule for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    page_url = "https://github.com/composelint/composelint/blob/main/rules/"
    assert rules["CL201"]["fullDescription"] == {
        "text": f"Flags start commands that install packages (see [CL204](CL204-command-not-found.md))."}
    assert rules["CL201"]["help"]["text"] == (
        "Flags start commands that install packages (see [CL204](CL204-command-not-found.md)).\n\n"
        "Why is this bad: Every restart reinstalls.\n\n"
        f"Documentation: {page_url}CL201-runtime-install.md")
    markdown = rules["CL201"]["help"]["markdown"]
    assert markdown.startswith("**Severity:** error") and "## not a heading: inside a fence" in markdown
    assert f"[CL204]({page_url}CL204-command-not-found.md)" in markdown  # links work outside the repository
    assert "help" not in rules["CL304"] and "fullDescription" not in rules["CL304"]  # no page: no help


def test_identical_findings_get_distinct_fingerprints(ctx, sarif_validator):
    twice = [Diagnostic("CL201", "runtime-install", Severity.ERROR, "m", Span.at("a.yml", line, 3), anchor_text="x")
             for line in (4, 9, 12)]
    assert len({d.fingerprint() for d in twice}) == 1
    log = json.loads(render("sarif", twice, ctx))
    values = [r["partialFingerprints"]["composelint/v1"] for r in log["runs"][0]["results"]]
    assert values[0] == twice[0].fingerprint()  # the first keeps its stable value
    assert len(set(values)) == 3 and all(len(value) == 32 for value in values)
    sarif_validator.validate(log)


def test_regions_are_valid_even_for_odd_spans(ctx, sarif_validator):
    backwards = Diagnostic("CL201", "runtime-install", Severity.ERROR, "m", Span.at("a.yml", 5, 9, 5, 3))
    log = json.loads(render("sarif", [backwards], ctx))
    sarif_validator.validate(log)
    region = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 5, "startColumn": 9, "endLine": 5, "endColumn": 9}
