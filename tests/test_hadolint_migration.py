"""Migration from hadolint: `# hadolint` pragmas and a root .hadolint.yaml, mapped through each rule's
`equivalents` (composelint/hadolint.py, composelint/hadolint_config.py)."""

from __future__ import annotations

import pytest
from helpers import REPO, concise, lint, write_tree

from composelint.config import ConfigError, load_config
from composelint.diagnostics import Severity

ROOT_STAGE = "FROM python:3.12\nUSER root\n"


def lines(root, select=("CL403", "CL404", "CL009", "CL435")):
    return [concise(d) for d in lint(root, select).diagnostics]


def test_pragma_covers_every_line_of_the_instruction_on_the_next_line(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12 AS build\nRUN true\n# hadolint ignore=DL3006,DL3007\n"
                                        "FROM \\\n  node\n"})
    result = lint(tmp_path, ("CL403", "CL009"))
    assert [concise(d) for d in result.diagnostics] == []
    assert [(d.code, d.span.line, d.suppression) for d in result.suppressed] == [("CL403", 5, "Dockerfile:3")]


def test_pragma_with_a_blank_line_before_the_instruction_covers_nothing(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# hadolint ignore=DL3006\n\nFROM node\n"})
    assert lines(tmp_path, ("CL403", "CL009")) == [
        "Dockerfile:1:1: CL009 warning: no instruction starts on the line below this `# hadolint ignore`, so it "
        "suppresses nothing (hadolint reads it the same way: it covers only an instruction on the very next line)",
        "Dockerfile:3:6: CL403 warning: base image `node` has no tag, so it means `node:latest`: each build may "
        "pull a different image than the one you tested"]


def test_global_and_stage_pragmas(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM node AS a\n# hadolint stage ignore=DL3006\nFROM alpine AS b\n"
                                        "RUN true\nFROM debian AS c\n"})
    assert [line.split(": ", 1)[0] for line in lines(tmp_path, ("CL403",))] == ["Dockerfile:1:6", "Dockerfile:5:6"]
    write_tree(tmp_path, {"Dockerfile": "FROM node\nFROM alpine\n# hadolint global ignore=DL3006\n"})
    assert lines(tmp_path, ("CL403", "CL009")) == []


def test_a_hadolint_comment_inside_a_heredoc_is_shell_text(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12\nRUN <<EOF\n# hadolint global ignore=DL3002\nEOF\n"})
    assert [line.split(" ", 2)[1] for line in lines(tmp_path, ("CL404", "CL009"))] == ["CL404"]


def test_unmapped_code_reported_once_a_file_at_info_and_unused_mapped_code_at_info(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# hadolint ignore=DL3999\nFROM python:3.12\n# hadolint ignore=DL3999,DL3006\n"
                                        "RUN true\n"})
    result = lint(tmp_path, ("CL403", "CL009"))
    assert [concise(d) for d in result.diagnostics] == [
        "Dockerfile:1:19: CL009 info: hadolint's `DL3999` has no composelint equivalent, so this "
        "`# hadolint ignore` suppresses nothing here",
        "Dockerfile:3:26: CL009 info: hadolint's `DL3006` maps to CL403, which finds nothing on the instruction "
        "below it, so this `# hadolint ignore` suppresses nothing here"]
    assert result.exit_code(Severity.WARNING) == 0


def test_unused_is_not_reported_when_the_mapped_rule_did_not_run(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "# hadolint ignore=DL3006\nFROM python:3.12\n"})
    assert lines(tmp_path, ("CL009",)) == []


def test_hadolint_config_maps_ignored_override_threshold_and_reports_the_rest(tmp_path):
    write_tree(tmp_path, {
        ".hadolint.yaml": "ignored:\n  - DL3002\n  - DL3007\n  - DL9999\noverride:\n  error:\n    - DL3006\n"
                          "label-schema:\n  owner: text\nfailure-threshold: error\n",
        "Dockerfile": "FROM node\n" + ROOT_STAGE})
    result = lint(tmp_path, ("CL40", "CL009"))  # a prefix: an exact code would win over `ignored`
    assert [concise(d) for d in result.diagnostics] == [
        ".hadolint.yaml:3:5: CL009 info: `DL3007` in `ignored` of .hadolint.yaml maps to CL403, which also checks "
        "DL3006, so it stays on",
        ".hadolint.yaml:4:5: CL009 info: `DL9999` in `ignored` of .hadolint.yaml has no composelint equivalent, so "
        "it changes nothing here",
        ".hadolint.yaml:8:1: CL009 info: `label-schema` of .hadolint.yaml is not supported by composelint, so it "
        "has no effect",
        "Dockerfile:1:6: CL403 error: base image `node` has no tag, so it means `node:latest`: each build may pull "
        "a different image than the one you tested"]  # CL404 (DL3002) ignored; CL403 re-graded
    assert load_config(tmp_path).fail_on == Severity.ERROR


def test_composelint_config_wins(tmp_path):
    write_tree(tmp_path, {
        ".hadolint.yaml": "ignored: [DL3002]\noverride:\n  error: [DL3006]\nno-fail: true\n"
                          "trustedRegistries: [quay.io]\n",
        ".composelint.yaml": "extend-select: [CL404]\nseverity:\n  CL403: info\nfail-on: warning\n"
                             "rules:\n  CL435:\n    registries: [docker.io]\n",
        "Dockerfile": "FROM node\n" + ROOT_STAGE})
    assert [line.split(": ", 2)[1] for line in lines(tmp_path, None)] == ["CL403 info", "CL404 info"]
    assert load_config(tmp_path).fail_on == Severity.WARNING


def test_no_fail_and_trusted_registries(tmp_path):
    write_tree(tmp_path, {".hadolint.yml": "no-fail: true\ntrustedRegistries:\n  - docker.io\n",
                          "Dockerfile": "FROM quay.io/org/app:1\nUSER app\n"})
    assert load_config(tmp_path).fail_on is None
    assert [line.split(": ", 2)[1] for line in lines(tmp_path, None)] == ["CL435 warning"]


def test_disable_ignore_pragma(tmp_path):
    write_tree(tmp_path, {".hadolint.yaml": "disable-ignore-pragma: true\n",
                          "Dockerfile": "# hadolint ignore=DL3006\nFROM node\n"})
    assert [line.split(": ", 2)[1] for line in lines(tmp_path, ("CL403", "CL009"))] == ["CL403 warning"]


def test_a_hadolint_config_that_is_not_a_mapping_is_a_config_error(tmp_path):
    write_tree(tmp_path, {".hadolint.yaml": "- DL3006\n", "Dockerfile": "FROM node\n"})
    with pytest.raises(ConfigError, match="hadolint configuration is a mapping"):
        load_config(tmp_path)


def test_mapping_is_the_registry_equivalents():
    from composelint.hadolint import mapping
    from composelint.rules import RULES, compose_only

    declared = {(equivalent.split(":", 1)[1], code) for code, meta in RULES.items()
                for equivalent in meta.equivalents if equivalent.startswith("hadolint:")}
    # A rule of a compose-only family never sees a Dockerfile: it cannot check what a DL code checks.
    assert not {code for _, code in declared if compose_only(code)}
    assert {(foreign, code) for foreign, codes in mapping().items() for code in codes} == declared


def test_readme_hadolint_table_is_current():
    from composelint.dev import hadolint_table

    assert hadolint_table() in (REPO / "README.md").read_text(encoding="utf-8"), \
        "README.md's hadolint table is stale: run `python -m composelint.dev table`"


def test_pragma_in_a_crlf_dockerfile(tmp_path):
    (tmp_path / "Dockerfile").write_bytes(b"FROM python:3.12 AS a\r\n# hadolint ignore=DL3006\r\nFROM node\r\n")
    assert lines(tmp_path, ("CL403", "CL009")) == []
