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
