"""SourceText: one line index for every reader (parsers, fingerprints, baselines, the text reporter)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composelint.sourcetext import SourceLines, SourceText
from tests.helpers import write_tree

buildkit = pytest.importorskip("dockerfile", reason="BuildKit's parser (test extra) is not installed")


def test_lines_break_at_newline_only():
    source = SourceText("a\r\nb\rc\nd\x0ce\u2028f\n")
    assert source.lines == ["a", "b\rc", "d\x0ce\u2028f", ""]
    assert source.line(2) == "b\rc" and source.line(5) is None and source.line(0) is None
    assert source.position(0) == (1, 1) and source.position(3) == (2, 1) and source.position(5) == (2, 3)
    assert source.position(10_000) == (4, 1)  # clamped to the end


def test_crlf_is_one_break_for_buildkit_and_for_the_index():
    text = "FROM alpine:3.20\r\n\r\nRUN echo a \\\r\n  && echo b\r\nCMD [\"sh\"]\r\n"
    source = SourceText(text)
    for command in buildkit.parse_string(text):
        assert source.line(command.start_line).split()[0] == command.cmd.upper()
    assert source.line(3) == "RUN echo a \\"


def test_model_lines_are_libyamls(tmp_path):
    """A lone CR and CRLF break lines for libyaml (so for Compose) and for the index the model is numbered by."""
    import yaml

    raw = "services:\r  web:\r\n    image: nginx\r    ports: [80]\n"
    node = yaml.compose(raw, Loader=yaml.SafeLoader)
    ports_key = node.value[0][1].value[0][1].value[1][0]
    write_tree(tmp_path, {"compose.yaml": raw.encode()})
    from composelint.assembly.project import build_project
    from composelint.config import load_config

    project = build_project(tmp_path, load_config(tmp_path))
    source = SourceText(project.sources["compose.yaml"])
    assert source.line(ports_key.start_mark.line + 1) == "    ports: [80]"
    (service,) = project.compose_files["compose.yaml"].services.values()
    assert service.get("ports").span.start.line == ports_key.start_mark.line + 1


def test_a_reader_that_fails_has_no_lines():
    def read(path):
        raise OSError(path)

    assert SourceLines(read).line("x", 1) is None
    assert SourceLines({"x": "one\ntwo"}).line("x", 2) == "two"


# The .env and interpolation parsers kept their own newline lists for "where does this line end" (two
# more line indexes); they ask SourceText now.

@given(text=st.text(alphabet="ab\n\r", max_size=30), offset=st.integers(min_value=-2, max_value=35))
def test_line_end_is_the_next_break_at_or_after_the_offset(text, offset):
    found = text.find("\n", max(offset, 0))
    assert SourceText(text).line_end(offset) == (found if found >= 0 else len(text))


def test_dotenv_positions_skip_a_bom_on_the_first_line_only():
    from composelint.parsers.dotenv import parse_dotenv

    entries = parse_dotenv("\ufeffA=1\n B=2\n").entries
    assert [(entry.key, entry.line, entry.column) for entry in entries] == [("A", 1, 1), ("B", 2, 2)]
