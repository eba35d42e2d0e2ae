"""Inline suppressions: line, node (YAML key / Dockerfile instruction) and file scope, codes or names."""

from __future__ import annotations

from helpers import lint, write_tree

COMPOSE = """\
services:
  web:
    image: nginx:1.27
    command: ${A}{suffix_web}
  # composelint: ignore[interpolation] -- set by the deploy job
  worker:
    image: nginx:1.27
    command: ${B}
    environment:
      X: ${C}
  api:
    image: nginx:1.27
    command: ${D}
"""


def run(tmp_path, compose: str, **kwargs):
    write_tree(tmp_path, {"compose.yaml": compose})
    return lint(tmp_path, select=("CL005",), **kwargs)


def lines_of(result):
    return sorted(d.span.line for d in result.diagnostics)


def test_own_line_comment_covers_the_whole_service(tmp_path):
    result = run(tmp_path, COMPOSE.replace("{suffix_web}", ""))
    assert lines_of(result) == [4, 13]
    suppressed = sorted((d.span.line, d.suppression) for d in result.suppressed)
    assert suppressed == [(8, "compose.yaml:5: set by the deploy job"), (10, "compose.yaml:5: set by the deploy job")]


def test_trailing_comment_covers_its_line_only(tmp_path):
    result = run(tmp_path, COMPOSE.replace("{suffix_web}", "  # composelint: ignore[CL005]"))
    assert lines_of(result) == [13]


def test_other_codes_are_not_covered(tmp_path):
    result = run(tmp_path, COMPOSE.replace("{suffix_web}", "  # composelint: ignore[CL301,runtime-install]"))
    assert 4 in lines_of(result)


def test_prefix_and_name_forms(tmp_path):
    result = run(tmp_path, COMPOSE.replace("{suffix_web}", "  # composelint: ignore[CL0]"))
    assert lines_of(result) == [13]


def test_file_ignore(tmp_path):
    result = run(tmp_path, "# composelint: file-ignore[interpolation]\n" + COMPOSE.replace("{suffix_web}", ""))
    assert result.diagnostics == ()
    assert len(result.suppressed) == 4


def test_no_inline_ignores_disregards_comments(tmp_path):
    result = run(tmp_path, COMPOSE.replace("{suffix_web}", "  # composelint: ignore[CL005]"), inline_ignores=False)
    assert lines_of(result) == [4, 8, 10, 13]


def test_hash_inside_a_value_is_not_a_comment(tmp_path):
    result = run(tmp_path, "services:\n  web:\n    image: nginx:1.27\n    command: echo#composelint:ignore[CL005] ${A}\n")
    assert lines_of(result) == [4]


def test_dockerfile_own_line_covers_the_whole_instruction(tmp_path):
    dockerfile = ("FROM python:3.12-slim\n"
                  "# composelint: ignore[dockerfile-syntax] -- custom frontend\n"
                  "RUNX a \\\n"
                  "  b\n"
                  "RUNY c\n")
    write_tree(tmp_path, {"Dockerfile": dockerfile})
    result = lint(tmp_path, select=("CL003",))
    assert [d.span.line for d in result.diagnostics] == [5]
    assert [d.span.line for d in result.suppressed] == [3]


# --------------------------------------------------------------------------- CL009 unused-suppression

HYGIENE = """\
services:
  # composelint: ignore[interpolation] -- set by the deploy job
  web:
    image: nginx:1.27
    command: ${A}
  worker:
    image: nginx:1.27  # composelint: ignore[CL005, unpinned-image]
  api:
    image: nginx:1.27
    command: ${D}  # composelint: ignore[interpolaton]
  # composelint: ignore CL005
  db:
    image: postgres:16.4
    command: ${E}
"""


def hygiene(tmp_path, select=("CL005", "CL009"), files=None, **kwargs):
    write_tree(tmp_path, files or {"compose.yaml": HYGIENE})
    result = lint(tmp_path, select=select, **kwargs)
    return [(d.span.line, d.span.column, d.code, d.message, d.help) for d in result.diagnostics], result


def test_unused_unknown_and_malformed_pragmas_are_reported(tmp_path):
    found, result = hygiene(tmp_path)
    assert [(line, column, code) for line, column, code, _, _ in found] == [
        (7, 46, "CL009"),  # CL005 covers nothing there (unpinned-image: CL304 did not run)
        (10, 14, "CL005"),
        (10, 42, "CL009"),  # a typo: names no rule, so api's finding on that line is reported
        (11, 3, "CL009"),  # no brackets: not a pragma, so db's finding below is reported
        (14, 14, "CL005"),
    ]
    messages = {(line, code): (message, help) for line, _, code, message, help in found}
    assert messages[(7, "CL009")] == ("the suppression of `CL005` covers no finding on its line",
                                      "remove the unused code or name from the brackets")
    assert [d.span.line for d in result.suppressed] == [5]


def test_did_you_mean_and_the_rewritten_pragma(tmp_path):
    found, _ = hygiene(tmp_path)
    helps = [help for line, _, code, _, help in found if code == "CL009"]
    assert helps[1] == "did you mean `interpolation`? `composelint rules` lists the codes and names"
    assert helps[2] == "write `# composelint: ignore[CL005]`: the codes or names go in brackets, a reason after ` -- `"


def test_a_pragma_for_a_rule_that_did_not_run_is_not_judged(tmp_path):
    found, _ = hygiene(tmp_path, select=("CL009",))
    assert [(line, code) for line, _, code, _, _ in found] == [(10, "CL009"), (11, "CL009")]  # unknown, malformed


def test_unused_suppression_is_configurable_and_suppressible(tmp_path):
    found, _ = hygiene(tmp_path, select=("CL005",))
    assert {code for _, _, code, _, _ in found} == {"CL005"}
    found, result = hygiene(tmp_path, files={"compose.yaml": "# composelint: file-ignore[CL009]\n" + HYGIENE})
    assert {code for _, _, code, _, _ in found} == {"CL005"}
    assert sum(d.code == "CL009" for d in result.suppressed) == 3
    found, _ = hygiene(tmp_path, files={"compose.yaml": HYGIENE}, inline_ignores=False)
    assert {code for _, _, code, _, _ in found} == {"CL005"}


def test_unused_suppression_in_dockerfiles_and_a_file_ignore(tmp_path):
    files = {"Dockerfile": "# composelint: file-ignore[missing-workdir]\nFROM python:3.12.7-slim\n"
                           "USER 1000  # composelint: ignore[root-user]\nCMD [\"python\", \"-V\"]\n"}
    found, _ = hygiene(tmp_path, select=("CL4", "CL009"), files=files)
    assert [(line, column, message) for line, column, _, message, _ in found] == [
        (1, 28, "the suppression of `missing-workdir` covers no finding in the file"),
        (3, 34, "the suppression of `root-user` covers no finding on its line")]
