"""Instruction.first_line and Instruction.copy_words: one definition each, read as BuildKit reads the Dockerfile."""

from __future__ import annotations

import pytest

from composelint.parsers.dockerfile import parse_dockerfile
from tests.helpers import CORPUS, FIXTURES, lint_lines, write_tree

buildkit = pytest.importorskip("dockerfile", reason="BuildKit's parser (test extra) is not installed")


def _dockerfiles():
    for root in (FIXTURES, CORPUS):
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and "dockerfile" in path.name.lower() and not path.name.endswith(".md"):
                    yield path


def test_copy_words_are_buildkits_over_fixtures_and_corpora():
    checked = 0
    for path in _dockerfiles():
        text = path.read_text(encoding="utf-8", errors="replace")
        try:
            theirs = [command for command in buildkit.parse_string(text) if command.cmd.upper() in ("COPY", "ADD")]
        except buildkit.GoParseError:
            continue
        ours = [instruction for instruction in parse_dockerfile(text, path.name).instructions
                if instruction.keyword in ("COPY", "ADD")]
        if len(ours) != len(theirs):
            continue  # a file BuildKit reads differently is the parser oracle's business, not this test's
        for instruction, command in zip(ours, theirs):
            if command.heredocs:
                continue
            assert [word for word, _ in instruction.copy_words] == list(command.value), (path, command.original)
            assert instruction.first_line == text.split("\n")[command.start_line - 1].rstrip("\r").strip(), path
            checked += 1
    assert checked > 50


@pytest.mark.parametrize("text, words", [
    ('COPY [".", "/app/"]\n', [".", "/app/"]),
    ("COPY a\fb /x\n", ["a", "b", "/x"]),  # a form feed is a blank between words
    ('COPY --chown=app ["my file", "/dest/"]\n', ["my file", "/dest/"]),
    ("ADD a b \\\n  /dest/\n", ["a", "b", "/dest/"]),
])
def test_copy_words_forms(text, words):
    instruction = parse_dockerfile("FROM alpine\n" + text, "Dockerfile").instructions[-1]
    assert [word for word, _ in instruction.copy_words] == words == list(buildkit.parse_string(text)[0].value)
    assert list(instruction.copy_sources) == words[:-1]


def test_a_json_form_nested_past_the_decoders_depth_is_read_as_words(tmp_path):
    """`COPY [[[[…` raised RecursionError out of the COPY splitter: nine rules failed with CL000."""
    instruction = parse_dockerfile("FROM alpine\nCOPY " + "[" * 3_000 + " /x\n", "Dockerfile").instructions[-1]
    assert [word for word, _ in instruction.copy_words] == ["[" * 3_000, "/x"]
    write_tree(tmp_path, {"Dockerfile": "FROM alpine:3.20\nCOPY " + "[" * 3_000 + " /x\nCMD [\"sh\"]\n"})
    assert not [line for line in lint_lines(tmp_path) if "CL000" in line]


def test_first_line_ends_at_a_newline_only():
    """A lone carriage return is no line break for BuildKit: the anchor (and the fingerprint) keeps the rest."""
    text = "FROM alpine\nRUN echo a\rb \\\n  && c\n"
    instruction = parse_dockerfile(text, "Dockerfile").instructions[-1]
    assert instruction.first_line == "RUN echo a\rb \\"
    command = buildkit.parse_string(text)[-1]
    assert (command.start_line, command.end_line) == (2, 3)


def test_cl405_sees_the_whole_context_copied_in_exec_form(tmp_path):
    """CL405 split COPY on blanks, so `COPY [".", "."]` was not a whole-context copy."""
    write_tree(tmp_path, {"requirements.txt": "flask\n", "app.py": "import flask\n", "Dockerfile": (
        'FROM python:3.12-slim\nWORKDIR /app\nCOPY [".", "."]\nRUN pip install --no-cache-dir -r requirements.txt\n'
        'CMD ["python", "app.py"]\n')})
    assert [line.split(": ", 2)[:2] for line in lint_lines(tmp_path, select=("CL405",))] == [
        ["Dockerfile:3:1", "CL405 warning"]]
