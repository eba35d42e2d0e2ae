#!/usr/bin/env python3
"""Fuzz composelint with random and mutated compose YAML, Dockerfiles, ``.env`` files and configs.

This module is both the harness the test suite uses (``tests/test_fuzz.py`` imports its
strategies and oracles, with a few hundred derandomized examples) and a long campaign for
maintainers::

    python scripts/fuzz.py --minutes 60                  # all targets, round robin
    python scripts/fuzz.py --minutes 5 --target project  # one target
    python scripts/fuzz.py --replay fuzz-crashes/project-KeyError-*.json

An *oracle* runs one input through composelint and raises when a promise is broken:
any exception other than the project's own diagnostics, a position outside its file,
output that differs between two identical runs, a parser's last-resort "could not parse"
fallback (a swallowed crash), an input that takes longer than ``--timeout`` seconds, or
memory beyond ``--memory`` MB. The campaign catches what the oracles raise, groups the
crashes by signature (exception type and innermost composelint frame), keeps the smallest
input of each in ``--out`` as JSON, and prints how many inputs it tried. Each saved crash
becomes a regression test in tests/test_robustness.py once fixed.

Nothing here needs a network or Docker; the inputs live in memory, except the ``disk``
target which writes raw bytes into a temporary directory.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import re
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from composelint.assembly.discovery import FileSet  # noqa: E402
from composelint.assembly.project import build_project  # noqa: E402
from composelint.config import Config, ConfigError, load_config  # noqa: E402
from composelint.engine import run  # noqa: E402
from composelint.parsers.dockerfile import parse_dockerfile  # noqa: E402
from composelint.parsers.dotenv import parse_dotenv  # noqa: E402
from composelint.parsers.interpolation import interpolate  # noqa: E402
from composelint.parsers.yaml_loader import YamlLimits, load_yaml  # noqa: E402

FORMATS = ("text", "concise", "json", "sarif", "github", "gitlab")


class BrokenPromise(AssertionError):
    """An oracle's verdict: the input broke one of the README's safety promises."""

    def __init__(self, kind: str, detail: str):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind


# --------------------------------------------------------------------------- seeds


def _read_seed_files(patterns: tuple[str, ...], roots: list[Path], limit: int = 50_000) -> list[str]:
    texts = []
    for root in roots:
        if not root.is_dir():
            continue
        for pattern in patterns:
            for path in sorted(root.rglob(pattern)):
                if path.is_file() and not path.is_symlink() and path.stat().st_size <= limit:
                    try:
                        texts.append(path.read_text(encoding="utf-8"))
                    except (OSError, UnicodeDecodeError):
                        continue
    return sorted(set(texts))


BUILTIN_COMPOSE = (
    "services:\n  web:\n    image: nginx:1.27\n    ports: ['8080:80']\n",
    "services:\n  agent:\n    build: .\n"
    "    entrypoint: sh -c \"pip install -r requirements.txt && python /app/main.py\"\n"
    "    depends_on: [db, agent]\n    env_file: [.env, ../../etc/passwd]\n  db:\n    image: postgres:16\n"
    "    healthcheck:\n      test: [CMD, pg_isready]\n",
    "x-base: &base\n  restart: always\n  environment:\n    A: ${A:-1}\nservices:\n  a:\n    <<: *base\n"
    "    image: a\n  b:\n    <<: [*base]\n    image: b\n    command: !reset null\n    ports: !override ['1:1']\n",
    "include:\n  - compose.yaml\n  - path: ../outside.yaml\nservices:\n  s:\n    extends:\n"
    "      file: /etc/passwd\n"
    "      service: s\n    build:\n      context: ../..\n      dockerfile: Dockerfile\n",
    "version: '3.8'\nservices:\n  w:\n    image: \"${REGISTRY}/w:${TAG:?tag required}\"\n"
    "    command: [\"$\", \"${\"]\n",
)
BUILTIN_DOCKERFILES = (
    "FROM python:3.12-slim AS base\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    "COPY . .\nCMD [\"python\", \"main.py\"]\n",
    "# syntax=docker/dockerfile:1\n# escape=`\nFROM mcr.microsoft.com/windows AS w\nRUN dir `\n  c:\\\n",
    "FROM alpine\nRUN <<EOF\nset -e\napk add curl\nEOF\nCOPY <<-EOT /etc/x\n\tdata\n\tEOT\nENTRYPOINT [\"sh\"]\n",
    "ARG BASE=ubuntu\nFROM ${BASE:-debian} AS b\nENV A=1 B=\"2 3\"\nONBUILD RUN x\n"
    "HEALTHCHECK --interval=5s CMD curl -f x\n",
)
BUILTIN_DOTENV = (
    "A=1\nexport B='two'\nC=\"three\\nlines\"\nD=${A:-x}\n# comment\nE: yaml style\nF\n",
    "URL=http://x#not-a-comment\nG=value # comment\nH=\"multi\nline\"\n",
)


def seeds(include_corpus: bool = False) -> dict[str, list[str]]:
    """Starting texts for mutation: built-in samples, repository fixtures, and optionally the corpus."""
    roots = [REPO / "fixtures"]
    if include_corpus:
        roots.append(REPO.parent / "shared" / "corpus")
    compose = _read_seed_files(("*compose*.y*ml",), roots)
    dockerfiles = _read_seed_files(("Dockerfile*", "*.Dockerfile"), roots)
    dotenv = _read_seed_files((".env", "*.env"), roots)
    return {
        "compose": sorted(set(BUILTIN_COMPOSE) | set(compose)),
        "dockerfile": sorted(set(BUILTIN_DOCKERFILES) | set(dockerfiles)),
        "dotenv": sorted(set(BUILTIN_DOTENV) | set(dotenv)),
    }


# --------------------------------------------------------------------------- strategies

YAML_TOKENS = (
    ":", ": ", "- ", "-", "&a ", "*a", "&b ", "*b", "<<: *a\n", "<<: [*a, *b]\n", "!!python/object:os.system ",
    "!!python/object/apply:os.system [id]", "!Ref ", "!reset ", "!override ", "!!binary ", "!!int ", "!!str ",
    "${", "$", "${A:-${A:-x}}", "$$", "}", "{", "[", "]", ",", "'", '"', "\n", "\n  ", "\t", "\ufeff", "\x00",
    "? ", "|\n", ">-\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "---\n", "...\n", "#", " #", "\r\n", "\\",
    "99999999999999999999999999999999", "0o777", "0x1F", ".inf", "~", "null", "yes", "\u2028", "\U0001F600",
    "services:", "image:", "build: .", "depends_on:", "extends:", "include:", "env_file:", "command:",
)
DOCKERFILE_TOKENS = (
    "\\\n", "`\n", "\n", " ", "\t", "<<EOF", "<<-EOF", "<<'EOF'", "EOF\n", "#", "# escape=`\n", "# escape=x\n",
    "# syntax=docker/dockerfile:1\n", "FROM ", "RUN ", "CMD ", "ENTRYPOINT ", "COPY ", "ADD ", "ENV ", "ARG ",
    "ONBUILD ", "HEALTHCHECK ", "SHELL ", "WORKDIR ", "USER ", "EXPOSE ", "LABEL ", "--from=", "--mount=type=cache,",
    "--chown=", "[", "]", '"', "'", "${", "$", "}", ":-", "=", "\x00", "\ufeff", "\r\n", "AS ", "scratch",
)
DOTENV_TOKENS = (
    "=", ":", "\n", "export ", "'", '"', "\\", "\\n", "\\0", "${", "$", "}", ":-", "#", " #", "\t", "\ufeff",
    "\r\n", "\x85", "\u2028", "KEY", "A", "_", "[", "]", ".", "-", "\x00",
)

SCALARS = (
    "", "~", "null", "yes", "no", "on", "true", "8080:80", "0o17", "0x1f", "1e400", "-.inf", ".nan", "1_000",
    "9" * 60, "${A}", "${A:-default}", "${A:?required}", "$", "${", "${A", "${A:-${B:-${C}}}", "$$", "$1", "${-}",
    "sh -c \"pip install x && python /app/main.py\"", "uvicorn app:app --reload", "'unterminated", "a\tb",
    "..", "../../etc/passwd", "/etc/passwd", "~/x", "https://github.com/a/b.git", "./Dockerfile", ".env",
    "\u00e9\u00e8", "\U0001F600", "a\nb", "x" * 300,
)
KEYS = (
    "services", "volumes", "networks", "secrets", "configs", "include", "name", "version", "x-common", "image",
    "build", "context", "dockerfile", "dockerfile_inline", "target", "args", "command", "entrypoint",
    "environment", "env_file", "depends_on", "condition", "required", "extends", "service", "file", "ports",
    "healthcheck", "test", "deploy", "resources", "limits", "memory", "profiles", "restart", "init", "path",
    "<<", "1", "true", "null", "", "~", "key with space", "\u00e9",
)
TAGS = ("!reset", "!override", "!Ref", "!!python/object:os.system", "!!str", "!!int", "!!map", "!custom", "!")


def _scalar_values():
    return st.one_of(
        st.sampled_from(SCALARS),
        st.text(max_size=20),
        st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
        st.booleans(),
        st.none(),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def _trees():
    keys = st.one_of(st.sampled_from(KEYS), st.text(min_size=0, max_size=8))
    return st.recursive(
        _scalar_values(),
        lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
        max_leaves=25,
    )


def _service_specs():
    names = st.sampled_from(("web", "db", "agent", "api", "a", "b", "s"))
    value = st.one_of(_trees(), st.sampled_from(SCALARS))
    service = st.dictionaries(st.sampled_from(KEYS[9:40]), value, max_size=6)
    return st.dictionaries(names, service, max_size=4)


@st.composite
def compose_trees(draw):
    top = draw(st.dictionaries(st.sampled_from(KEYS[:9]), _trees(), max_size=3))
    if draw(st.booleans()):
        top["services"] = draw(_service_specs())
    return top


class _Emitter:
    """Writes a tree as YAML with random styles, anchors, aliases, merge keys and tags (not always valid)."""

    def __init__(self, rnd: random.Random):
        self.rnd = rnd
        self.anchors: list[str] = []

    def chance(self, probability: float) -> bool:
        # Hypothesis's randoms lean towards 0.0: a rare event must need a *high* draw, or it is not rare.
        return self.rnd.random() >= 1 - probability

    def scalar(self, value) -> str:
        rnd = self.rnd
        if value is None:
            return rnd.choice(("null", "~", ""))
        if isinstance(value, bool):
            return rnd.choice(("true", "false", "True", "yes")) if value else rnd.choice(("false", "no", "FALSE"))
        if isinstance(value, (int, float)):
            text = repr(value)
            return text if rnd.random() < 0.8 else json.dumps(text)
        text = str(value)
        choice = rnd.random()
        if choice < 0.45:
            return text  # plain, even where that is invalid: that is fuzzing
        if choice < 0.7:
            return "'" + text.replace("'", "''") + "'"
        if choice < 0.95:
            return json.dumps(text, ensure_ascii=rnd.random() < 0.5)
        return "|\n  " + text.replace("\n", "\n  ")

    def props(self) -> str:
        rnd = self.rnd
        parts = []
        if self.chance(0.08):
            parts.append(rnd.choice(TAGS))
        if self.chance(0.15):
            name = f"a{len(self.anchors)}"
            self.anchors.append(name)
            parts.append("&" + name)
        return " ".join(parts)

    def alias(self) -> str | None:
        if self.anchors and self.chance(0.12):
            return "*" + self.rnd.choice(self.anchors)
        if self.chance(0.005):
            return "*undefined"
        return None

    def flow(self, value) -> str:
        alias = self.alias()
        if alias:
            return alias
        if isinstance(value, dict):
            return "{" + ", ".join(f"{self.scalar(k)}: {self.flow(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "[" + ", ".join(self.flow(v) for v in value) + "]"
        return self.scalar(value)

    def block(self, value, indent: int) -> tuple[str, list[str]]:
        """(head, nested lines): the head follows `key:` or `- `; with no nested lines it is the whole value."""
        rnd = self.rnd
        alias = self.alias()
        if alias:
            return alias, []
        props = self.props()
        pad = " " * indent
        if isinstance(value, dict) and value and not self.chance(0.15):
            lines = []
            for key, item in value.items():
                head, nested = self.block(item, indent + rnd.choice((2, 2, 4, 1)))
                key_text = self.scalar(key)
                if self.chance(0.02):
                    key_text = "? " + key_text + "\n" + pad
                lines.append(f"{pad}{key_text}:{' ' + head if head else ''}")
                lines.extend(nested)
            if self.anchors and self.chance(0.1):
                lines.insert(rnd.randrange(len(lines) + 1), f"{pad}<<: *{rnd.choice(self.anchors)}")
            return props, lines
        if isinstance(value, list) and value and not self.chance(0.15):
            lines = []
            for item in value:
                head, nested = self.block(item, indent + 2)
                lines.append(f"{pad}-{' ' + head if head else ''}")
                lines.extend(nested)
            return props, lines
        text = self.flow(value) if isinstance(value, (dict, list)) else self.scalar(value)
        return (f"{props} {text}" if props else text), []


@st.composite
def emitted_compose(draw):
    tree = draw(compose_trees())
    rnd = draw(st.randoms(use_true_random=False))
    emitter = _Emitter(rnd)
    head, lines = emitter.block(tree, 0)
    text = "\n".join(([head] if head else []) + lines)
    return text + ("\n" if rnd.random() < 0.9 else "")


@st.composite
def alias_bombs(draw):
    """Nested anchors whose expansion multiplies: usually a few thousand nodes, sometimes a bomb."""
    depth = draw(st.integers(1, 12))
    width = draw(st.integers(1, 10))
    lines = ["x-l0: &l0 [lol, lol]"]
    for level in range(1, depth):
        lines.append(f"x-l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    lines.append(f"services:\n  bomb:\n    image: x\n    command: *l{depth - 1}")
    return "\n".join(lines) + "\n"


@st.composite
def deep_nesting(draw):
    depth = draw(st.integers(1, 400))
    style = draw(st.sampled_from(("flow-seq", "flow-map", "block")))
    if style == "flow-seq":
        return "services: " + "[" * depth + "]" * depth + "\n"
    if style == "flow-map":
        return "services: " + "{a: " * depth + "1" + "}" * depth + "\n"
    return "".join(" " * i + f"k{i}:\n" for i in range(depth)) + " " * depth + "v\n"


@st.composite
def mutated(draw, corpus: list[str], tokens: tuple[str, ...]):
    text = draw(st.sampled_from(corpus))
    operations = draw(st.lists(
        st.tuples(st.sampled_from(("insert", "delete", "duplicate", "replace", "swap-lines", "indent")),
                  st.floats(0, 1), st.floats(0, 1), st.sampled_from(tokens)),
        min_size=1, max_size=8))
    for operation, where, extent, token in operations:
        position = int(where * len(text))
        span = int(extent * min(40, len(text) - position))
        if operation == "insert":
            text = text[:position] + token + text[position:]
        elif operation == "delete":
            text = text[:position] + text[position + span:]
        elif operation == "duplicate":
            text = text[:position] + text[position:position + span] * 2 + text[position + span:]
        elif operation == "replace":
            text = text[:position] + token + text[position + span:]
        elif operation == "swap-lines":
            lines = text.split("\n")
            if len(lines) > 1:
                i, j = int(where * (len(lines) - 1)), int(extent * (len(lines) - 1))
                lines[i], lines[j] = lines[j], lines[i]
                text = "\n".join(lines)
        else:
            lines = text.split("\n")
            i = int(where * (len(lines) - 1)) if len(lines) > 1 else 0
            lines[i] = (" " * int(extent * 6) + "\t" * (extent > 0.9)) + lines[i].lstrip()
            text = "\n".join(lines)
    return text


def _token_text(tokens: tuple[str, ...], max_size: int = 40):
    return st.lists(st.one_of(st.sampled_from(tokens), st.text(max_size=3)), max_size=max_size).map("".join)


def compose_texts(corpus: dict[str, list[str]]):
    return st.one_of(
        emitted_compose(),
        mutated(corpus["compose"], YAML_TOKENS),
        _token_text(YAML_TOKENS),
        alias_bombs(),
        deep_nesting(),
    )


DOCKERFILE_LINES = (
    "FROM python:3.12-slim", "FROM ${BASE:-alpine} AS build", "FROM build", "FROM --platform=$BUILDPLATFORM x AS y",
    "FROM scratch", "RUN pip install -r requirements.txt", "RUN <<EOF", "RUN <<-'EOT' bash", "EOF", "EOT",
    "RUN apt-get update && \\", "    apt-get install -y curl", "CMD [\"python\", \"main.py\"]", "CMD python main.py",
    "CMD [\"unterminated", "ENTRYPOINT [\"sh\", \"-c\"]", "COPY --from=build /a /b", "COPY <<EOF /x", "ADD . .",
    "ENV A=1 B=\"2 3\" C", "ENV A 1", "ARG X=${Y:-z}", "ARG", "WORKDIR /app", "USER 1000:1000", "EXPOSE 80/tcp",
    "LABEL a=b", "HEALTHCHECK --interval=5s CMD curl -f http://localhost/", "HEALTHCHECK NONE",
    "SHELL [\"/bin/bash\", \"-c\"]", "ONBUILD RUN make", "ONBUILD ONBUILD RUN x", "STOPSIGNAL SIGTERM",
    "MAINTAINER x", "VOLUME [\"/data\"]", "# escape=`", "# escape=\\", "# escape=x", "# syntax=docker/dockerfile:1",
    "# check=skip=all", "# comment", "", "   ", "\\", "`", "garbage line here", "RUN --mount=type=cache,target=/x x",
    "COPY --chmod=755 --link a b", "RUN echo ${A:?msg} ${B/x/y} ${C%%.*}", "\x00", "\ufeffFROM x",
)
DOTENV_LINES = (
    "A=1", "export B=two", "C='single'", "D=\"double ${A}\"", "E=${A:-x}", "F=${", "G=\"unterminated", "H='open",
    "# comment", "I: yaml", "J", "=value", "K L=1", "M=a # comment", "N=a#b", "O=\"multi", "line\"", "P=\\0777",
    "Q=\"\\t\\n\\$\"", "R=${R:-${R:-${R}}}", "S=$", "T=${A:?required}", "", "  ", "\tU=1", "V=1\r",
)


def _line_texts(lines: tuple[str, ...], max_lines: int, corpus: list[str], tokens: tuple[str, ...]):
    """Known lines mixed with random ones, mutated corpus files, or token soup."""
    return st.one_of(
        st.lists(st.one_of(st.sampled_from(lines), st.text(max_size=30)), max_size=max_lines).map("\n".join),
        mutated(corpus, tokens),
        _token_text(tokens),
    )


def dockerfile_texts(corpus: dict[str, list[str]]):
    return _line_texts(DOCKERFILE_LINES, 25, corpus["dockerfile"], DOCKERFILE_TOKENS)


def dotenv_texts(corpus: dict[str, list[str]]):
    return _line_texts(DOTENV_LINES, 20, corpus["dotenv"], DOTENV_TOKENS)


def interpolation_texts():
    alphabet = st.sampled_from(("$", "{", "}", ":", "-", "?", "+", "A", "b", "_", "1", " ", "\n", "'", '"', "\\",
                                "${", "${A", ":-", "$$", "\u017f", "\u212a", "é"))
    nested = st.integers(0, 300).map(lambda n: "${A:-" * n + "x" + "}" * n)
    return st.one_of(st.lists(alphabet, max_size=60).map("".join), nested, st.text(max_size=40))


@st.composite
def projects(draw, corpus: dict[str, list[str]]):
    """A small repository: compose file (+ maybe override and include), Dockerfile, .env."""
    files = {"compose.yaml": draw(compose_texts(corpus))}
    if draw(st.booleans()):
        files["Dockerfile"] = draw(dockerfile_texts(corpus))
    if draw(st.booleans()):
        files[".env"] = draw(dotenv_texts(corpus))
    if draw(st.integers(0, 4)) == 0:
        files["compose.override.yaml"] = draw(compose_texts(corpus))
    if draw(st.integers(0, 4)) == 0:
        files["sub/docker-compose.yml"] = draw(compose_texts(corpus))
    if draw(st.integers(0, 4)) == 0:
        files["sub/Dockerfile.dev"] = draw(dockerfile_texts(corpus))
    return files


BYTE_TOKENS = (b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\x00", b"\r", b"\r\n", b"\xc3", b"\xe2\x80", b"\x85",
               b"\xed\xa0\x80", b"\x1b[31m")


@st.composite
def byte_projects(draw, corpus: dict[str, list[str]]):
    """Like projects(), as raw bytes with encoding damage (BOMs, invalid UTF-8, NUL, CR)."""
    files = draw(projects(corpus))
    result = {}
    for path, text in files.items():
        data = text.encode("utf-8", "surrogatepass")
        for where, token in draw(st.lists(st.tuples(st.floats(0, 1), st.sampled_from(BYTE_TOKENS)), max_size=3)):
            position = int(where * len(data))
            data = data[:position] + token + data[position:]
        result[path] = data
    return result


CONFIG_KEYS = ("select", "extend-select", "ignore", "severity", "fail-on", "exclude", "per-file-ignores", "env",
               "rules", "limits", "deployments", "max-file-size", "yaml-nodes", "yaml-depth", "dockerfile-lines",
               "CL001", "CL005", "files", "profiles", "unknown")


def config_texts(corpus: dict[str, list[str]]):
    keys = st.sampled_from(CONFIG_KEYS)
    values = st.recursive(_scalar_values(), lambda c: st.one_of(st.lists(c, max_size=3),
                                                                  st.dictionaries(keys, c, max_size=3)),
                          max_leaves=10)
    tree = st.dictionaries(keys, values, max_size=5)
    return st.one_of(
        st.tuples(tree, st.randoms(use_true_random=False)).map(
            lambda pair: "\n".join(_Emitter(pair[1]).block(pair[0], 0)[1]) + "\n"),
        _token_text(YAML_TOKENS + CONFIG_KEYS),
    )


def strategies(corpus: dict[str, list[str]]) -> dict[str, st.SearchStrategy]:
    return {
        "yaml": compose_texts(corpus),
        "dockerfile": dockerfile_texts(corpus),
        "dotenv": dotenv_texts(corpus),
        "interpolation": interpolation_texts(),
        "project": projects(corpus),
        "disk": byte_projects(corpus),
        "config": config_texts(corpus),
    }


# --------------------------------------------------------------------------- oracles


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _check_position(what: str, lines: list[str], line: int, column: int) -> None:
    if not (1 <= line <= len(lines)):
        raise BrokenPromise("position", f"{what}: line {line} outside 1..{len(lines)}")
    width = len(lines[line - 1]) + 1
    if not (1 <= column <= width):
        raise BrokenPromise("position", f"{what}: column {column} outside 1..{width} on line {line}")


def check_span(what: str, span, sources) -> None:
    text = sources.get(span.path)
    if text is None:
        if span.start.line < 1 or span.start.column < 1:
            raise BrokenPromise("position", f"{what}: {span} is not 1-based")
        return
    lines = _lines(text)
    _check_position(what, lines, span.start.line, span.start.column)
    if span.end is not None:
        _check_position(what + " (end)", lines, span.end.line, span.end.column)
        if span.end < span.start:
            raise BrokenPromise("position", f"{what}: end {span.end} before start {span.start}")


def check_yaml(text: str) -> None:
    document = load_yaml(text, "compose.yaml", YamlLimits())
    sources = {"compose.yaml": text}
    for problem in document.problems:
        check_span(f"YAML problem {problem.message!r}", problem.span, sources)


def check_dockerfile(text: str) -> None:
    dockerfile = parse_dockerfile(text, "Dockerfile")
    sources = {"Dockerfile": text}
    for problem in dockerfile.problems:
        if "could not parse this Dockerfile" in problem.message:
            raise BrokenPromise("swallowed", problem.message)
        check_span(f"Dockerfile problem {problem.message!r}", problem.span, sources)
    for instruction in dockerfile.instructions:
        check_span(f"instruction {instruction.keyword}", instruction.span, sources)
        if instruction.arguments_span is not None:
            check_span(f"arguments of {instruction.keyword}", instruction.arguments_span, sources)
        for flag in instruction.flags:
            check_span(f"flag --{flag.name}", flag.span, sources)
    for stage in dockerfile.stages:
        check_span(f"base image of stage {stage.index}", stage.base.span, sources)


def check_dotenv(text: str) -> None:
    parsed = parse_dotenv(text, lambda name: None)
    lines = _lines(text)
    for problem in parsed.problems + parsed.warnings:
        _check_position(f".env problem {problem.message!r}", lines, problem.line, problem.column)
    for entry in parsed.entries:
        _check_position(f".env entry {entry.key!r}", lines, entry.line, entry.column)


def check_interpolation(text: str) -> None:
    result, issues = interpolate(text, lambda name: {"A": "a", "SET": "x", "EMPTY": ""}.get(name))
    if not isinstance(result, str):
        raise BrokenPromise("type", f"interpolate returned {type(result).__name__}")
    for issue in issues:
        if not (0 <= issue.start <= issue.end <= len(text)):
            raise BrokenPromise("position", f"interpolation issue at {issue.start}..{issue.end} of {len(text)}")


def _render_all(result, project) -> dict[str, str]:
    from composelint import __version__, reporters

    context = reporters.RenderContext(rules=result.rules, sources=project.sources, root=str(project.root),
                                      version=__version__)
    return {name: reporters.render(name, list(result.diagnostics), context) for name in FORMATS}


def _lint_once(root: Path, config: Config, overrides: dict[str, str] | None, fileset: Callable[[], FileSet] | None):
    project = build_project(root, config, overrides, fileset() if fileset else None)
    result = run(project, config, debug=True)
    for diagnostic in result.diagnostics:
        if diagnostic.code == "CL000" or "could not parse this Dockerfile" in diagnostic.message:
            raise BrokenPromise("swallowed", diagnostic.message)
        check_span(f"{diagnostic.code} {diagnostic.message[:80]!r}", diagnostic.span, project.sources)
        for related in diagnostic.related:
            check_span(f"{diagnostic.code} related note", related.span, project.sources)
    return project, result


def check_pipeline(root: Path, config: Config, overrides=None, fileset=None) -> list[str]:
    """Lint twice; both runs must agree; every format must render. Returns the concise lines."""
    project, result = _lint_once(root, config, overrides, fileset)
    first = _render_all(result, project)
    project2, result2 = _lint_once(root, config, overrides, fileset)
    second = _render_all(result2, project2)
    for name in FORMATS:
        if first[name] != second[name]:
            raise BrokenPromise("nondeterministic", f"{name} output differs between two runs")
    return first["concise"].splitlines()


_EMPTY_ROOT: Path | None = None


def _empty_root() -> Path:
    global _EMPTY_ROOT
    if _EMPTY_ROOT is None or not _EMPTY_ROOT.is_dir():
        _EMPTY_ROOT = Path(tempfile.mkdtemp(prefix="composelint-fuzz-root-"))
    return _EMPTY_ROOT


def check_project(files: dict[str, str]) -> None:
    """The whole pipeline on an in-memory repository (the files are never written)."""
    root = _empty_root()

    def fileset() -> FileSet:
        found = FileSet(root)
        for path in files:
            name = path.rsplit("/", 1)[-1]
            found.all_files.add(path)
            if "/" in path:
                found.directories.add(path.rsplit("/", 1)[0])
            if name.startswith(("compose", "docker-compose")):
                found.compose.append(path)
            elif name.startswith("Dockerfile"):
                found.dockerfiles.append(path)
        return found

    check_pipeline(root, Config(), dict(files), fileset)


def check_disk(files: dict[str, bytes]) -> None:
    """The whole pipeline on raw bytes written into a temporary repository; the files must stay unchanged."""
    with tempfile.TemporaryDirectory(prefix="composelint-fuzz-") as directory:
        root = Path(directory)
        for path, data in files.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(data)
        check_pipeline(root, Config())
        for path, data in files.items():
            if (root / path).read_bytes() != data:
                raise BrokenPromise("wrote", f"{path} changed during the lint")


def check_config(text: str) -> None:
    with tempfile.TemporaryDirectory(prefix="composelint-fuzz-config-") as directory:
        root = Path(directory)
        (root / ".composelint.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            config = load_config(root)
        except ConfigError:
            # What the user sees: exit code 2 and one line on standard error.
            from click.testing import CliRunner

            from composelint.cli import cli

            result = CliRunner().invoke(cli, [str(root)])
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                raise result.exception
            lines = result.stderr.strip().splitlines()
            if result.exit_code != 2 or len(lines) != 1 or "invalid configuration" not in lines[0]:
                raise BrokenPromise("config-error", f"exit {result.exit_code}, not one line: {result.stderr!r}")
            return
        (root / "compose.yaml").write_text(BUILTIN_COMPOSE[1], encoding="utf-8")
        check_pipeline(root, config)


ORACLES: dict[str, Callable] = {
    "yaml": check_yaml,
    "dockerfile": check_dockerfile,
    "dotenv": check_dotenv,
    "interpolation": check_interpolation,
    "project": check_project,
    "disk": check_disk,
    "config": check_config,
}


# --------------------------------------------------------------------------- campaign


class _Timeout(BaseException):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _signature(target: str, error: BaseException) -> str:
    if isinstance(error, BrokenPromise):
        # "position: CL003 'unknown instruction `x`: …' (end): column 7 …"
        #   -> "position-CL003-unknown-instruction-Docker-refuses-end"
        detail = re.sub(r"`[^`]*`?|(?<!CL)\d+", "", str(error).split(":", 1)[-1])
        detail = re.sub(r"[^A-Za-z0-9 ()-]+", " ", detail)
        words = detail.split()
        tail = "-end" if "(end)" in str(error) else ""
        return f"{target}-{error.kind}-{'-'.join(words[:5])}{tail}"
    if isinstance(error, _Timeout):
        return f"{target}-hang"
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if "/composelint/" in frame.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "outside"
    return f"{target}-{type(error).__name__}-{where}"


def _size(value) -> int:
    if isinstance(value, dict):
        return sum(len(v) for v in value.values())
    return len(value)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return {"bytes-hex": value.hex()}
    return value


def _from_jsonable(value):
    if isinstance(value, dict) and set(value) == {"bytes-hex"}:
        return bytes.fromhex(value["bytes-hex"])
    if isinstance(value, dict):
        return {k: _from_jsonable(v) for k, v in value.items()}
    return value


class Campaign:
    def __init__(self, out: Path, timeout: float, targets: list[str], corpus: dict[str, list[str]]):
        self.out = out
        self.timeout = timeout
        self.targets = targets
        self.strategies = strategies(corpus)
        self.tried: dict[str, int] = {name: 0 for name in targets}
        self.crashes: dict[str, dict] = {}
        out.mkdir(parents=True, exist_ok=True)
        for path in out.glob("*.json"):  # resume: keep what earlier runs found
            try:
                data = json.loads(path.read_text())
                self.crashes[data["signature"]] = data
            except (OSError, ValueError, KeyError):
                continue
        self.known = set(self.crashes)

    def record(self, target: str, value, error: BaseException) -> None:
        signature = _signature(target, error)
        size = _size(value)
        known = self.crashes.get(signature)
        if known is not None and known["size"] <= size:
            known["count"] = known.get("count", 1) + 1
            return
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        entry = {"signature": signature, "target": target, "size": size, "error": f"{type(error).__name__}: {error}",
                 "traceback": text[-4000:], "input": _jsonable(value),
                 "count": (known or {}).get("count", 0) + 1}
        self.crashes[signature] = entry
        name = hashlib.sha1(signature.encode()).hexdigest()[:10]
        (self.out / f"{target}-{name}.json").write_text(json.dumps(entry, indent=1, ensure_ascii=True))
        if known is None:
            print(f"[fuzz] NEW crash {signature}: {entry['error'][:200]}", flush=True)

    def batch(self, target: str, examples: int, seed: int) -> None:
        oracle = ORACLES[target]

        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @hypothesis_seed(seed)
        @given(self.strategies[target])
        def one(value):
            self.tried[target] += 1
            try:
                with _time_limit(self.timeout):
                    oracle(value)
            except (Exception, _Timeout) as error:  # noqa: BLE001 - the campaign records every failure
                self.record(target, value, error)

        one()

    def run(self, seconds: float, batch: int, seed: int) -> None:
        """Round robin over the targets; each gets about ``batch`` seconds per round, so the fast
        parsers see far more inputs than the whole-pipeline targets."""
        deadline = time.monotonic() + seconds
        rnd = random.Random(seed)
        last_report = time.monotonic()
        per_example = {target: None for target in self.targets}  # seconds, measured
        while time.monotonic() < deadline:
            for target in self.targets:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                slice_seconds = min(batch, remaining)
                cost = per_example[target]
                examples = 10 if cost is None else max(5, min(20_000, int(slice_seconds / max(cost, 1e-5))))
                tried, started = self.tried[target], time.monotonic()
                self.batch(target, examples, rnd.randrange(2 ** 32))
                done = self.tried[target] - tried
                if done:
                    per_example[target] = (time.monotonic() - started) / done
            if time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                self.report(final=False)
        self.report(final=True)

    def report(self, final: bool) -> None:
        total = sum(self.tried.values())
        per = ", ".join(f"{name} {count}" for name, count in self.tried.items())
        new = sorted(set(self.crashes) - self.known)
        print(f"[fuzz] {'done' if final else 'progress'}: {total} inputs tried ({per}); "
              f"{len(new)} new crash signatures, {len(self.crashes)} on file in {self.out}", flush=True)
        if final:
            for signature in sorted(self.crashes):
                entry = self.crashes[signature]
                print(f"  {signature}  x{entry.get('count', 1)}  smallest {entry['size']} chars: "
                      f"{entry['error'][:120]}")


def replay(paths: list[Path], timeout: float) -> int:
    failures = 0
    for path in paths:
        entry = json.loads(path.read_text())
        value = _from_jsonable(entry["input"])
        try:
            with _time_limit(timeout):
                ORACLES[entry["target"]](value)
        except (Exception, _Timeout) as error:  # noqa: BLE001
            failures += 1
            print(f"{path}: STILL FAILS: {type(error).__name__}: {error}")
            traceback.print_exc()
        else:
            print(f"{path}: fixed")
    return 1 if failures else 0


def _limit_memory(megabytes: int) -> None:
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        print("[fuzz] could not cap memory on this platform", file=sys.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long to fuzz (default 60)")
    parser.add_argument("--target", action="append", choices=sorted(ORACLES),
                        help="fuzz only this target (repeatable; default: all)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-crashes"), help="where crashes are saved")
    parser.add_argument("--batch", type=float, default=20.0, help="seconds per target before rotating")
    parser.add_argument("--seed", type=int, default=None, help="seed of the campaign (default: random)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds one input may take (a hang)")
    parser.add_argument("--memory", type=int, default=2048, help="address-space cap in MB (0: none)")
    parser.add_argument("--no-corpus", action="store_true", help="do not seed from ../shared/corpus")
    parser.add_argument("--replay", nargs="+", type=Path, help="re-run saved crashes instead of fuzzing")
    args = parser.parse_args(argv)
    if args.memory:
        _limit_memory(args.memory)
    if args.replay:
        return replay(args.replay, args.timeout)
    seed = args.seed if args.seed is not None else random.randrange(2 ** 32)
    targets = args.target or list(ORACLES)
    corpus = seeds(include_corpus=not args.no_corpus)
    print(f"[fuzz] seed {seed}; targets {', '.join(targets)}; {sum(map(len, corpus.values()))} seed files; "
          f"{args.minutes} minutes", flush=True)
    campaign = Campaign(args.out, args.timeout, targets, corpus)
    try:
        campaign.run(args.minutes * 60, args.batch, seed)
    except KeyboardInterrupt:
        campaign.report(final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
