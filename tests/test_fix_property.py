"""Property: on generated compose files (comments, anchors and merge keys, CRLF, a BOM, trailing blanks,
no final newline, flow mappings), `--fix` changes only the bytes of its edits and the result parses
to the same document but for the fixed fields.

The oracle is independent of composelint/textedits.py: it works on the file's lines as written. The
fixes it expects are CL010's (the `version:` line goes) and CL205's (an `init: true` line comes after
a block service's key), both safe.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composelint.config import Config, with_overrides
from composelint.fixing import fix_project
from composelint.parsers.yaml_loader import load_yaml
from composelint.yamltree import plain

CONFIG = with_overrides(Config(), select=("CL010", "CL205"))
_LINE = re.compile("[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
INIT_COMMAND = 'sh -c "python a.py & python b.py"'
SERVICE_INDENTS = ("  ", "    ")


@st.composite
def compose_files(draw) -> tuple[str, bool, set[str]]:
    """The raw text, whether it has a `version:` line, and the block services that need init."""
    comment = st.sampled_from(["", "  # note", "   #: x"])
    blank = st.sampled_from(["", "  ", "\t"])  # trailing whitespace, kept as it is
    lines = []
    if draw(st.booleans()):
        lines.append("# the stack" + draw(blank))
    version = draw(st.booleans())
    if version:
        lines.append("version: " + draw(st.sampled_from(['"3.8"', "'3'", "2.4", "3"])) + draw(comment))
    anchor = draw(st.booleans())
    if anchor:
        lines += ["x-common: &common", "  restart: unless-stopped" + draw(comment), ""]
    lines.append("services:" + draw(comment))
    need_init = set()
    for index in range(draw(st.integers(1, 3))):
        name = f"svc{index}"
        init = draw(st.booleans())
        command = INIT_COMMAND if init else "python app.py"
        if draw(st.booleans()):
            lines.append(f"  {name}: {{image: \"python:3.12-slim\", command: '{command}'}}")
            continue
        if init:
            need_init.add(name)
        indent = "  " + draw(st.sampled_from(SERVICE_INDENTS))
        lines.append(f"  {name}:" + draw(comment))
        if anchor and draw(st.booleans()):
            lines.append(f"{indent}<<: *common")
        if draw(st.booleans()):
            lines.append(f"{indent}# its image")
        lines.append(f"{indent}image: python:3.12-slim" + draw(blank))
        lines.append(f"{indent}command: {command}" + draw(comment))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return ("\ufeff" if draw(st.booleans()) else "") + text, version, need_init


def _lines(text: str) -> list[str]:
    return _LINE.findall(text)


@settings(max_examples=40, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(compose_files())
def test_fix_touches_only_its_edits_and_the_file_still_parses(generated):
    raw, has_version, need_init = generated
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / ".git").mkdir()
        (root / "compose.yaml").write_bytes(raw.encode())
        outcome = fix_project(root, CONFIG)
    assert not outcome.abandoned
    changed = {item.path: item for item in outcome.changed}
    if not has_version and not need_init:
        assert not changed
        return
    fixed = changed["compose.yaml"].fixed.decode()
    assert fixed.startswith("\ufeff") == raw.startswith("\ufeff")
    before, after = _lines(raw.removeprefix("\ufeff")), _lines(fixed.removeprefix("\ufeff"))
    # Outside the edits every line is byte for byte the same: drop the version line from the original
    # and the inserted init lines from the result, and what is left is identical.
    kept = [line for line in before if not line.startswith("version:")]
    assert len(kept) == len(before) - has_version
    inserted = [line for line in after if line.strip() == "init: true"]
    assert len(inserted) == len(need_init)
    newline = "\r\n" if "\r\n" in raw else "\n"
    assert all(line.endswith(newline) for line in inserted)
    assert [line for line in after if line.strip() != "init: true"] == kept
    # Each init line sits right after its service's key, indented like the service's other keys.
    for position, line in enumerate(after):
        if line.strip() == "init: true":
            key = after[position - 1]
            assert re.match(r"  svc[0-9]:", key)
            sibling = next(other for other in after[position + 1:] if other.strip() and "#" not in other.split(":")[0])
            assert line[:len(line) - len(line.lstrip())] == sibling[:len(sibling) - len(sibling.lstrip())]
    # The result parses, to the same document but for the fixed fields.
    original = plain(load_yaml(raw.removeprefix("\ufeff").replace("\r\n", "\n"), "compose.yaml").root)
    result = load_yaml(fixed.removeprefix("\ufeff").replace("\r\n", "\n"), "compose.yaml")
    assert not result.problems
    expected = {key: value for key, value in original.items() if key != "version"}
    for name in need_init:
        expected["services"][name] = {"init": True, **expected["services"][name]}
    assert plain(result.root) == expected
    # And nothing is left to fix.
    assert not [d for d in outcome.result.diagnostics if d.fix is not None]


# --------------------------------------------------------------------------- Dockerfiles

DOCKERFILE_CONFIG = with_overrides(Config(), select=("CL402", "CL409", "CL419", "CL420", "CL422", "CL431", "CL432"))
# A line a fix rewrites -> the line it becomes (the oracle: written by hand, not by composelint).
FIXED_LINES = {
    "RUN apk add curl": "RUN apk add --no-cache curl",
    "RUN pip install flask": "RUN pip install --no-cache-dir flask",
    "RUN apt-get install --no-install-recommends jq && rm -rf /var/lib/apt/lists/*":
        "RUN apt-get install -y --no-install-recommends jq && rm -rf /var/lib/apt/lists/*",
    "RUN apt-get update && apt-get install -y --no-install-recommends make":
        "RUN apt-get update && apt-get install -y --no-install-recommends make && rm -rf /var/lib/apt/lists/*",
    "ENV APP_HOME /srv/app": "ENV APP_HOME=/srv/app",
    "LABEL team platform group": 'LABEL team="platform group"',
    "MAINTAINER Jane Doe <jane@example.com>": 'LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"',
    "ADD app.py /app/": "COPY app.py /app/",
}
# Lines no fix touches (some with a finding that has no fix: the words are inside an `sh -c` string).
KEPT_LINES = ("# a comment", "RUN echo hi", "COPY . /app/", "RUN sh -c 'apk add jq'", "ENV MODE=prod",
              "RUN apt-get update; apt-get install -y vim;")


@st.composite
def dockerfiles(draw) -> tuple[str, str]:
    """The raw text, and the text the fixes must give (every other byte the same)."""
    body = draw(st.lists(st.sampled_from(sorted(FIXED_LINES) + list(KEPT_LINES)), min_size=1, max_size=8))
    blank = st.sampled_from(["", "  ", "\t"])
    lines, fixed = ["FROM python:3.12-slim", "WORKDIR /app"], ["FROM python:3.12-slim", "WORKDIR /app"]
    for line in body:
        if line in FIXED_LINES:
            lines.append(line)
            fixed.append(FIXED_LINES[line])
        else:
            tail = draw(blank)  # trailing blanks stay as they are
            lines.append(line + tail)
            fixed.append(line + tail)
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    end = newline if draw(st.booleans()) else ""
    bom = "\ufeff" if draw(st.booleans()) else ""
    return bom + newline.join(lines) + end, bom + newline.join(fixed) + end


@settings(max_examples=30, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(dockerfiles())
def test_dockerfile_fixes_touch_only_their_edits_and_the_file_still_parses(generated):
    raw, expected = generated
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / ".git").mkdir()
        (root / "Dockerfile").write_bytes(raw.encode())
        outcome = fix_project(root, DOCKERFILE_CONFIG, unsafe=True)
    assert not outcome.abandoned
    changed = {item.path: item.fixed for item in outcome.changed}
    assert changed.get("Dockerfile", raw.encode()) == expected.encode()
    assert not [problem for problem in outcome.project.problems if problem.span.path == "Dockerfile"]
    assert not [d for d in outcome.result.diagnostics if d.fix is not None]
