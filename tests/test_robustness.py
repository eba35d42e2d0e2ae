"""Hostile and broken input: the README's safety promises, one test per case.

1. every input gets diagnostics or a one-line error with a documented exit code, never a traceback or a hang;
2. composelint executes, imports, evaluates and downloads nothing it reads, reads nothing outside the project
   root, and never writes to the files it lints;
3. time and memory stay bounded: over-large input becomes a CL007 finding, with configurable limits.

Each case copies a fixture from fixtures/hostile/ (or generates it, for the large ones) into a fresh repository,
runs the CLI on it and checks the input-family diagnostics (code, file, line, column) and the exit code exactly,
then runs every rule and checks that nothing crashed and that no file changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import CORPUS, FIXTURES, REPO

from composelint.assembly.discovery import walk
from composelint.assembly.project import build_project
from composelint.cli import cli
from composelint.config import Config, Limits, load_config
from composelint.engine import run
from composelint.parsers.interpolation import MAX_ISSUES

HOSTILE = FIXTURES / "hostile"
INPUT_FAMILY = "CL0"  # CL001-CL008: the findings about the input itself
# A subprocess gets this long before the test calls it a hang; generous for a loaded 2-core machine.
HANG_SECONDS = 60


# --------------------------------------------------------------------------- helpers


def make_repo(tmp_path: Path, files: dict[str, Path | str | bytes]) -> Path:
    """A repository under tmp_path/repo: ``{relpath: fixture path | text | bytes}``."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for relpath, content in files.items():
        target = root / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root: type, size, mtime and content (symlinks: target; FIFOs: never opened)."""
    entries = {}
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        # The one place composelint writes: its git-ignored result cache (see composelint/cache.py).
        dirnames[:] = [name for name in dirnames if not (directory == str(root) and name == ".composelint_cache")]
        for name in dirnames + filenames:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(info.st_mode) and info.st_mode & stat.S_IRUSR:
                with open(path, "rb") as handle:
                    content = handle.read()
            else:
                content = None
            entries[os.path.relpath(path, root)] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns, content)
    return entries


@contextlib.contextmanager
def untouched(root: Path):
    """The promise that composelint never writes: no file changes, appears or disappears."""
    before = snapshot(root)
    yield
    after = snapshot(root)
    assert after.keys() == before.keys(), f"entries changed: {sorted(after.keys() ^ before.keys())}"
    changed = [path for path in before if before[path] != after[path]]
    assert not changed, f"files changed by the lint: {changed}"


def invoke(*args: str):
    """The CLI in-process; a Python exception escaping it fails the test."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"composelint raised {result.exception!r}") from result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2)
    if result.exit_code == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result


def invoke_subprocess(*args: str, cwd: Path | None = None, memory_mb: int | None = None,
                      timeout: float = HANG_SECONDS, **kwargs) -> subprocess.CompletedProcess:
    """The CLI in a child process with a timeout (a hang fails instead of blocking the suite)."""

    def limit_memory():
        if memory_mb is not None:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))

    result = subprocess.run([sys.executable, "-m", "composelint", *args], capture_output=True, text=True,
                            timeout=timeout, cwd=cwd or REPO, preexec_fn=limit_memory, **kwargs)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode in (0, 1, 2), result.stderr
    if result.returncode == 2:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result


def findings(output: str, family: str = INPUT_FAMILY) -> set[tuple[str, str, int, int]]:
    report = json.loads(output)
    return {(d["code"], d["path"], d["line"], d["column"]) for d in report["diagnostics"]
            if d["code"].startswith(family)}


def messages(output: str) -> dict[tuple[str, str, int, int], str]:
    return {(d["code"], d["path"], d["line"], d["column"]): d["message"] for d in json.loads(output)["diagnostics"]}


def check_case(root: Path, expected: set[tuple], exit_code: int, *, select: str = INPUT_FAMILY,
               contains: dict[tuple, str] | None = None) -> str:
    """Lint root twice: the input rules (exact findings and exit code), then every rule (no crash)."""
    with untouched(root):
        result = invoke(str(root), "--format", "json", "--select", select)
        family = select if "," not in select else "CL"  # only what was selected is reported anyway
        assert findings(result.stdout, family) == expected, result.stdout
        assert result.exit_code == exit_code
        for key, fragment in (contains or {}).items():
            assert fragment in messages(result.stdout)[key]
        everything = invoke(str(root), "--format", "text", "--color", "never")
        assert everything.exit_code in (0, 1)
        assert "CL000" not in everything.stdout and "internal error" not in everything.stderr, everything.output
    return result.stdout


def lint_model(root: Path, config: Config | None = None, fileset=None):
    config = config if config is not None else load_config(root)
    project = build_project(root, config, fileset=fileset)
    return project, run(project, config, debug=True)


# --------------------------------------------------------------------------- YAML

YAML_CASES = [
    # (fixture, expected input-family findings on compose.yaml as (code, line, column), exit code, message part)
    ("unclosed-flow-sequence", {("CL001", 5, 1)}, 1, "did not find expected ',' or ']'"),
    ("unclosed-quote", {("CL001", 4, 14)}, 1, "invalid YAML"),
    ("bad-indentation", {("CL001", 4, 4)}, 1, "did not find expected key"),
    ("colon-in-plain-value", {("CL001", 4, 35)}, 1, "mapping values are not allowed"),
    ("undefined-alias", {("CL001", 4, 9)}, 1, "undefined alias `*defaults`"),
    ("stray-bracket", {("CL001", 4, 1)}, 1, "invalid YAML"),
    ("invalid-escape", {("CL001", 3, 18)}, 1, "unknown escape character"),
    ("unsupported-directive", {("CL001", 1, 1)}, 1, "incompatible YAML document"),
    ("tabs", {("CL001", 2, 1)}, 1, "cannot start any token"),
    ("empty", {("CL001", 1, 1)}, 1, "the compose file is empty"),
    ("only-comments", {("CL001", 1, 1)}, 1, "only comments"),
    ("top-level-list", {("CL001", 1, 1)}, 1, "must be a mapping, not a list"),
    ("top-level-scalar", {("CL001", 1, 1)}, 1, "not the scalar `just a string`"),
    # The BOM is dropped before parsing: columns are those of the text, so the duplicate is at 4:5.
    ("bom", {("CL004", 4, 5)}, 1, "duplicate key `image`"),
    ("latin1", {("CL001", 5, 16)}, 1, "not UTF-8 text: byte 0xe9"),
    ("binary", {("CL001", 3, 1)}, 1, "binary"),
    # Detected by counting, without building the expansion: at the alias that crosses the limit.
    ("billion-laughs", {("CL007", 6, 46)}, 1, "alias bomb"),
    ("recursive-alias", {("CL001", 4, 13), ("CL002", 4, 13)}, 1, "recursive alias `*web`"),
    ("duplicate-keys", {("CL004", 5, 5)}, 1, "already defined at line 3"),
    # Tags are never constructed: a python tag is text with a warning, like any tag Compose ignores.
    ("python-tags", {("CL002", 3, 12), ("CL002", 4, 14), ("CL002", 5, 17)}, 1, None),
    ("non-string-key", {("CL001", 4, 7), ("CL002", 4, 7)}, 1, "mapping key must be a plain value"),
    ("scalar-keys", set(), 0, None),
    ("huge-integers", {("CL002", 7, 9), ("CL002", 8, 24)}, 1, "not `99999999999999999999999999999999`"),
]


@pytest.mark.parametrize("name, expected, exit_code, fragment", YAML_CASES, ids=[case[0] for case in YAML_CASES])
def test_hostile_compose_yaml(tmp_path, name, expected, exit_code, fragment):
    root = make_repo(tmp_path, {"compose.yaml": HOSTILE / "yaml" / f"{name}.yaml"})
    wanted = {(code, "compose.yaml", line, column) for code, line, column in expected}
    output = check_case(root, wanted, exit_code)
    if fragment:
        assert any(fragment in message for message in messages(output).values()), output


def test_python_tags_construct_nothing(tmp_path, monkeypatch):
    root = make_repo(tmp_path, {"compose.yaml": HOSTILE / "yaml" / "python-tags.yaml"})
    monkeypatch.chdir(root)
    project, result = lint_model(root)
    assert not (root / "composelint-was-here").exists()
    image = project.compose_files["compose.yaml"].root.get("services").get("web").get("image")
    assert image.tag == "!!python/object/apply:os.system"
    assert [item.value for item in image.items] == ["touch composelint-was-here"]  # stays plain data
    warnings = [d.message for d in result.diagnostics if d.code == "CL002" and "means nothing to Compose" in d.message]
    assert len(warnings) == 3


def test_only_a_file_that_writes_a_tag_is_searched_for_one(tmp_path, monkeypatch):
    from composelint.assembly import compose_files

    searched = []
    real = compose_files._unknown_tags
    monkeypatch.setattr(compose_files, "_unknown_tags", lambda root: searched.append(root.span.path) or real(root))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27  # not a tag: !x\n")
    (tmp_path / "b" / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n    labels: !custom {a: b}\n")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    project = build_project(tmp_path, Config())
    assert sorted(searched) == ["a/compose.yaml", "b/compose.yaml"]
    assert [(p.code, p.span.path) for p in project.problems if "means nothing to Compose" in p.message] == [
        ("CL002", "b/compose.yaml")]


def test_reset_and_override_tags_are_supported(tmp_path):
    root = make_repo(tmp_path, {"compose.yaml": HOSTILE / "yaml" / "reset-override-base.yaml",
                                "compose.override.yaml": HOSTILE / "yaml" / "reset-override.yaml"})
    check_case(root, set(), 0)
    project, _ = lint_model(root)
    (deployment,) = project.deployments
    web = deployment.services["web"]
    assert web.get("ports") is None or not getattr(web.get("ports"), "items", ())  # `!reset []` removed them
    assert web.command.argv == ("nginx", "-g", "daemon off;")  # `!override` replaced, not appended


@pytest.mark.parametrize("text", [
    "services: " + "[" * 10_000 + "]" * 10_000 + "\n",
    "services: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
    "x: " + "&a [" * 10_000 + "]" * 10_000 + "\n",
    "".join(" " * i + f"k{i}:\n" for i in range(150)) + " " * 150 + "v\n",
], ids=["flow-sequences", "flow-mappings", "anchored", "block"])
def test_deep_nesting_is_a_limit_not_a_recursion_error(tmp_path, text):
    root = make_repo(tmp_path, {"compose.yaml": text})
    start = time.process_time()  # CPU time: other work on the machine does not count
    output = check_case(root, _deep_expected(text), 1)
    assert "nesting deeper than 100 levels" in output
    assert time.process_time() - start < 20


def _deep_expected(text: str) -> set[tuple]:
    from composelint.parsers.yaml_loader import load_yaml

    (problem,) = load_yaml(text, "compose.yaml").problems
    assert problem.kind == "limit"
    return {("CL007", "compose.yaml", problem.span.line, problem.span.column)}


# --------------------------------------------------------------------------- compose semantics


def copy_tree(tmp_path: Path, name: str) -> Path:
    source = HOSTILE / "compose" / name
    return make_repo(tmp_path, {str(path.relative_to(source)): path for path in source.rglob("*") if path.is_file()})


def test_include_cycle(tmp_path):
    root = copy_tree(tmp_path, "include-cycle")
    with untouched(root):
        result = invoke(str(root), "--format", "json", "--select", "CL0")
    found = findings(result.stdout)
    # Reported at one include line or at both; nothing else.
    assert found and found <= {("CL008", "compose.yaml", 2, 5), ("CL008", "other/compose.yaml", 2, 5)}, found
    assert all("include cycle" in messages(result.stdout)[key] for key in found)
    assert result.exit_code == 1
    check_case(root, found, 1)


def test_extends_cycle(tmp_path):
    root = copy_tree(tmp_path, "extends-cycle")
    check_case(root, {("CL008", "compose.yaml", 10, 7)}, 1,
               contains={("CL008", "compose.yaml", 10, 7): "`a` -> `b` -> `c` -> `a`"})


def test_extends_cycle_across_files(tmp_path):
    root = copy_tree(tmp_path, "extends-file-cycle")
    check_case(root, {("CL008", "base.yaml", 4, 7)}, 1, contains={("CL008", "base.yaml", 4, 7): "`extends` cycle"})


ESCAPES = {
    # (line, column) in fixtures/hostile/compose/escapes/compose.yaml -> what is written there
    (2, 5): "include ../../etc/passwd",
    (3, 5): "include /etc/hosts",
    (8, 9): "env_file ../../etc/passwd",
    (9, 9): "env_file /etc/shadow",
    (12, 16): "build.context ../../..",
    (15, 12): "build /usr/src",
    (18, 13): "extends.file ../outside/compose.yaml",
}


def _outside_sentinel(tmp_path: Path) -> None:
    """Files the escaping paths name, outside the repository: linting must never open them."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "compose.yaml").write_text("services:\n  base:\n    image: x\n    image: y\n")
    (tmp_path / "Dockerfile").write_text("FROM\n")


def test_paths_that_escape_the_root_are_reported_not_read(tmp_path):
    root = copy_tree(tmp_path, "escapes")
    _outside_sentinel(tmp_path)
    expected = {("CL008", "compose.yaml", line, column) for line, column in ESCAPES}
    output = check_case(root, expected, 1)
    for key, message in messages(output).items():
        if key[0] == "CL008":
            assert "outside the project root" in message
    project, _ = lint_model(root)
    assert all(not path.startswith("..") and not path.startswith("/") for path in project.sources)


def test_build_context_outside_the_root_is_reported(tmp_path):
    root = copy_tree(tmp_path, "escapes")
    result = invoke(str(root), "--format", "json", "--select", "CL0,CL305")
    found = findings(result.stdout, "CL")
    assert {("CL008", "compose.yaml", 12, 16), ("CL008", "compose.yaml", 15, 12)} <= found, result.stdout


def test_self_dependency(tmp_path):
    root = copy_tree(tmp_path, "self-dependency")
    check_case(root, {("CL104", "compose.yaml", 5, 9)}, 1, select="CL0,CL104",
               contains={("CL104", "compose.yaml", 5, 9): "depends on itself"})


def test_interpolation_edge_cases(tmp_path):
    root = copy_tree(tmp_path, "interpolation")
    # `5$` at the end of a string is a literal `$` in Compose; `$$HOME` is an escaped one.
    check_case(root, {("CL005", "compose.yaml", 6, 15), ("CL005", "compose.yaml", 7, 19)}, 1,
               contains={("CL005", "compose.yaml", 6, 15): "not closed on this line",
                         ("CL005", "compose.yaml", 7, 19): "the variable name is empty"})


@pytest.mark.parametrize("depth", [10_000])
def test_interpolation_bomb_is_linear(tmp_path, depth):
    nested = "${A:-" * depth + "x" + "}" * depth
    unterminated = "${A:-" * depth + "x"
    root = make_repo(tmp_path, {"compose.yaml": f"services:\n  web:\n    image: nginx:1.27\n    environment:\n"
                                                f"      DEEP: \"{nested}\"\n      OPEN: \"{unterminated}\"\n"})
    start = time.process_time()  # CPU time: other work on the machine does not count
    with untouched(root):
        result = invoke(str(root), "--format", "json", "--select", "CL0")
    assert time.process_time() - start < 20
    found = findings(result.stdout)
    # Every unclosed `${` of OPEN is reported (at most MAX_ISSUES), all on its line; DEEP is valid.
    assert ("CL005", "compose.yaml", 6, 14) in found and result.exit_code == 1
    assert {(code, line) for code, _path, line, _column in found} == {("CL005", 6)}
    assert len(found) <= MAX_ISSUES
    assert "has no closing `}` on this line" in result.stdout
    project, _ = lint_model(root)
    environment = project.compose_files["compose.yaml"].services["web"].environment
    assert environment["DEEP"].value == "x"


# --------------------------------------------------------------------------- Dockerfiles

DOCKERFILE_CASES = [
    ("garbage", {("CL003", 1, 1), ("CL003", 2, 1), ("CL003", 3, 1)}, 1, "unknown instruction `}}}{{`"),
    ("only-comments", {("CL003", 1, 1)}, 1, "no `FROM` instruction"),
    ("no-from", {("CL003", 1, 1)}, 1, "comes before the first `FROM`"),
    ("unterminated-heredoc", {("CL003", 2, 5)}, 1, "unterminated heredoc"),
    # BuildKit ends an instruction whose continuation runs into the end of the file: valid.
    ("continuation-at-eof", set(), 0, None),
    ("wrong-escape", {("CL003", 1, 10)}, 1, "invalid escape directive `x`"),
    ("nul-bytes", {("CL003", 2, 10)}, 1, "binary"),
]


@pytest.mark.parametrize("name, expected, exit_code, fragment", DOCKERFILE_CASES,
                         ids=[case[0] for case in DOCKERFILE_CASES])
def test_hostile_dockerfiles(tmp_path, name, expected, exit_code, fragment):
    root = make_repo(tmp_path, {"Dockerfile": HOSTILE / "dockerfile" / f"{name}.Dockerfile"})
    output = check_case(root, {(code, "Dockerfile", line, column) for code, line, column in expected}, exit_code)
    if fragment:
        assert any(fragment in message for message in messages(output).values()), output


def test_continuation_at_end_of_file_keeps_the_instruction(tmp_path):
    root = make_repo(tmp_path, {"Dockerfile": HOSTILE / "dockerfile" / "continuation-at-eof.Dockerfile"})
    project, _ = lint_model(root)
    run_step = project.dockerfiles["Dockerfile"].instructions[-1]
    assert run_step.keyword == "RUN" and "curl" in run_step.arguments


def test_dockerfile_of_100000_instructions(tmp_path):
    """100,000 one-line instructions: the parser and the input rules stay linear."""
    text = "FROM alpine:3.20\n" + "".join(f"RUN echo {i}\n" for i in range(100_000))
    root = make_repo(tmp_path, {"Dockerfile": text})
    start = time.process_time()  # CPU time: other work on the machine does not count
    with untouched(root):
        result = invoke(str(root), "--format", "json", "--select", "CL0")
    assert findings(result.stdout) == set() and result.exit_code == 0
    assert time.process_time() - start < 60


def test_dockerfile_of_100000_lines(tmp_path):
    """100,000 lines in long continuation chains, through every rule."""
    chain = "RUN apt-get update && apt-get install -y \\\n" + "".join(
        f"    package-{i} \\\n" for i in range(98)) + "    && rm -rf /var/lib/apt/lists/*\n"
    text = "FROM debian:12\n" + chain * 1000
    assert text.count("\n") == 100_001
    root = make_repo(tmp_path, {"Dockerfile": text})
    start = time.process_time()  # CPU time: other work on the machine does not count
    check_case(root, set(), 0)
    assert time.process_time() - start < 60


def test_dockerfile_with_a_1mb_line(tmp_path):
    root = make_repo(tmp_path, {"Dockerfile": "FROM alpine:3.20\nRUN echo " + "a" * (1 << 20) + "\n"
                                              "ENV " + "A=b " * 100_000 + "\n"})
    start = time.process_time()  # CPU time: other work on the machine does not count
    check_case(root, set(), 0)
    assert time.process_time() - start < 30


# --------------------------------------------------------------------------- limits (promise 3)


def _bytes_over(limit: int) -> bytes:
    line = b"# " + b"x" * 97 + b"\n"
    return b"services:\n  web:\n    image: nginx:1.27\n" + line * (limit // len(line) + 1)


def test_a_50mb_compose_file_is_refused_without_reading_it(tmp_path):
    root = make_repo(tmp_path, {"compose.yaml": _bytes_over(50 << 20)})
    result = invoke_subprocess(str(root), "--format", "json", "--select", "CL0", memory_mb=512, timeout=HANG_SECONDS)
    assert findings(result.stdout) == {("CL007", "compose.yaml", 1, 1)}
    assert "over the 10,485,760-byte limit" in result.stdout and result.returncode == 1


@pytest.mark.parametrize("fixture, generated", [
    ("billion-laughs.yaml", None),
    (None, "services: " + "[" * 10_000 + "]" * 10_000 + "\n"),
    (None, "services:\n  web:\n    image: nginx:1.27\n    environment:\n      A: \""
           + "${A:-" * 10_000 + "x" + "}" * 10_000 + "\"\n"),
], ids=["alias-bomb", "deep-nesting", "interpolation-bomb"])
def test_hostile_yaml_stays_within_512mb(tmp_path, fixture, generated):
    content = HOSTILE / "yaml" / fixture if fixture else generated
    root = make_repo(tmp_path, {"compose.yaml": content})
    result = invoke_subprocess(str(root), "--format", "concise", memory_mb=512)
    assert result.returncode in (0, 1)


LIMIT_CASES = [
    ({"max-file-size": 1024}, "compose.yaml", "over the 1,024-byte limit"),
    ({"yaml-nodes": 100}, "compose.yaml", "more than 100 nodes"),
    ({"yaml-depth": 10}, "compose.yaml", "nesting deeper than 10 levels"),
    ({"dockerfile-lines": 100}, "Dockerfile", "over the 100-line limit"),
]


@pytest.mark.parametrize("limits, path, fragment", LIMIT_CASES, ids=[next(iter(c[0])) for c in LIMIT_CASES])
def test_limits_are_configurable(tmp_path, limits, path, fragment):
    config = "limits:\n" + "".join(f"  {key}: {value}\n" for key, value in limits.items())
    # Over each minimum the schema allows, under every default: 1,200 bytes, ~200 nodes, 12 levels, 150 lines.
    labels = "".join(f"      label-{i}: value-{i}\n" for i in range(40))
    nested = "".join("  " * (level + 3) + f"n{level}:\n" for level in range(10)) + "  " * 13 + "leaf\n"
    root = make_repo(tmp_path, {".composelint.yaml": config,
                                "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    labels:\n" + labels
                                                + "    x-nested:\n" + nested,
                                "Dockerfile": "FROM alpine:3.20\n" + "RUN true\n" * 150})
    result = invoke(str(root), "--format", "json", "--select", "CL0")
    found = findings(result.stdout)
    assert {code for code, *_ in found} == {"CL007"} and result.exit_code == 1
    assert any(key[1] == path and fragment in message for key, message in messages(result.stdout).items()), found


def test_default_limits_pass_the_corpus_comfortably():
    """Every real file stays under a tenth of each default limit."""
    if not CORPUS.is_dir():
        pytest.skip(f"the real-world corpus is not present at {CORPUS}")
    from composelint.parsers.yaml_loader import YamlLimits, load_yaml

    defaults = Limits()
    tenth = YamlLimits(defaults.yaml_nodes // 10, defaults.yaml_depth // 10)
    checked = 0
    for path in sorted(CORPUS.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        name = path.name
        if name.endswith((".yml", ".yaml")):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert path.stat().st_size < defaults.max_file_size // 10
            problems = [p for p in load_yaml(text, name, tenth).problems if p.kind == "limit"]
            assert not problems, (path, problems)
            checked += 1
        elif name.startswith("Dockerfile") or name.endswith(".Dockerfile"):
            assert path.stat().st_size < defaults.max_file_size // 10
            assert path.read_bytes().count(b"\n") < defaults.dockerfile_lines // 10
            checked += 1
    assert checked > 20


# --------------------------------------------------------------------------- file system


def test_permission_denied(tmp_path):
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip("root reads 0o000 files: test_permission_denied_as_root_without_capabilities and _simulated cover this case")
    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n", "Dockerfile": "FROM x\n"})
    (root / "compose.yaml").chmod(0)
    (root / "Dockerfile").chmod(0)
    try:
        check_case(root, {("CL006", "compose.yaml", 1, 1), ("CL006", "Dockerfile", 1, 1)}, 1)
    finally:
        (root / "compose.yaml").chmod(0o644)
        (root / "Dockerfile").chmod(0o644)


def test_permission_denied_simulated(tmp_path, monkeypatch):
    """EACCES from open(2), whoever runs the suite (root included)."""
    import composelint.assembly.discovery as discovery

    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n", "Dockerfile": "FROM x\n"})
    real_open = os.open

    def denying_open(path, flags, *args, **kwargs):
        if str(path).startswith(str(root)) and os.path.basename(str(path)) in ("compose.yaml", "Dockerfile"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(discovery.os, "open", denying_open)
    output = check_case(root, {("CL006", "compose.yaml", 1, 1), ("CL006", "Dockerfile", 1, 1)}, 1)
    assert "permission denied" in output


def test_permission_denied_as_root_without_capabilities(tmp_path):
    """As root, drop the capabilities that bypass file permissions: real EACCES from the kernel."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("only root has capabilities to drop; test_permission_denied covers other users")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n",
                                "Dockerfile": "FROM x\n"})
    (root / "compose.yaml").chmod(0)
    (root / "Dockerfile").chmod(0)
    command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m", "composelint",
               str(root), "--format", "json", "--select", "CL0"]
    with untouched(root):
        result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_SECONDS, cwd=REPO)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert findings(result.stdout) == {("CL006", "compose.yaml", 1, 1), ("CL006", "Dockerfile", 1, 1)}
    assert "permission denied" in result.stdout and result.returncode == 1


def test_file_vanishes_between_discovery_and_reading(tmp_path):
    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    build: .\n",
                                "Dockerfile": "FROM x\n", "sub/compose.yaml": "services: {}\n"})
    config = load_config(root)
    found = walk(root, config.exclude)
    (root / "Dockerfile").unlink()
    (root / "sub" / "compose.yaml").unlink()
    project, result = lint_model(root, config, fileset=found)
    lines = {(d.code, d.span.path, d.span.line) for d in result.diagnostics if d.code == "CL006"}
    assert lines == {("CL006", "Dockerfile", 1), ("CL006", "sub/compose.yaml", 1)}
    assert all("removed while composelint ran" in d.message for d in result.diagnostics if d.code == "CL006")


def test_symlink_loops(tmp_path):
    root = make_repo(tmp_path, {"app/compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})
    (root / "app" / "loop").symlink_to("..")  # a directory loop: never followed
    (root / "self").symlink_to("self")  # a link to itself
    (root / "compose.yaml").symlink_to("docker-compose.yml")  # two links naming each other
    (root / "docker-compose.yml").symlink_to("compose.yaml")
    start = time.process_time()  # CPU time: other work on the machine does not count
    output = check_case(root, {("CL006", "compose.yaml", 1, 1), ("CL006", "docker-compose.yml", 1, 1)}, 1)
    assert "symbolic links" in output.lower() or "loop" in output.lower()
    assert time.process_time() - start < 30


def test_symlink_out_of_the_root(tmp_path):
    _outside_sentinel(tmp_path)
    root = make_repo(tmp_path, {})
    (root / "compose.yaml").symlink_to(tmp_path / "outside" / "compose.yaml")
    (root / "Dockerfile").symlink_to("../Dockerfile")
    (root / "etc").symlink_to("/etc")  # a directory link out of the root: never followed
    output = check_case(root, {("CL006", "compose.yaml", 1, 1), ("CL006", "Dockerfile", 1, 1)}, 1)
    assert "outside the project root" in output
    assert "CL004" not in output and "image: y" not in output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_fifos_do_not_block(tmp_path):
    root = make_repo(tmp_path, {"api/compose.yaml": "services:\n  api:\n    build: .\n    env_file: [app.env]\n"})
    for name in ("Dockerfile", "compose.yaml", ".env", "api/Dockerfile", "api/.dockerignore", "api/app.env",
                 "api/requirements.txt"):
        os.mkfifo(root / name)
    with untouched(root):
        result = invoke_subprocess(str(root), "--format", "json", "--select", "CL0", timeout=HANG_SECONDS)
    found = findings(result.stdout)
    assert {("CL006", "Dockerfile", 1, 1), ("CL006", "compose.yaml", 1, 1), ("CL006", "api/Dockerfile", 1, 1)} <= found
    assert {code for code, *_ in found} <= {"CL006", "CL008"}
    assert "not a regular file" in result.stdout and result.returncode == 1


@pytest.mark.parametrize("directory", ["my project", "ünïcødé ✓", "new\nline", "tab\there", "-dash"])
def test_unusual_path_names(tmp_path, directory):
    body = "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n"
    root = make_repo(tmp_path, {f"{directory}/compose.yaml": body, f"{directory}/Dockerfile": "FROM x\nBOGUS y\n"})
    check_case(root, {("CL004", f"{directory}/compose.yaml", 4, 5), ("CL003", f"{directory}/Dockerfile", 2, 1)}, 1)
    for output_format in ("concise", "github"):
        result = invoke(str(root), "--format", output_format, "--select", "CL0")
        assert len(result.stdout.splitlines()) == 2, result.stdout  # one line per finding, whatever the path
    sarif = json.loads(invoke(str(root), "--format", "sarif", "--select", "CL0").stdout)
    assert len(sarif["runs"][0]["results"]) == 2


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that accepts any bytes in names")
def test_undecodable_file_names(tmp_path):
    root = make_repo(tmp_path, {})
    directory = os.path.join(os.fsencode(root), b"bad\xffname")
    os.mkdir(directory)
    with open(os.path.join(directory, b"compose.yaml"), "w") as handle:
        handle.write("services:\n  web:\n    image: x\n    image: y\n")
    with untouched(root):
        for output_format in ("text", "concise", "json", "sarif", "github", "gitlab"):
            result = invoke(str(root), "--format", output_format, "--select", "CL0")
            assert result.exit_code == 1 and "CL004" in result.stdout, result.output


def test_a_file_argument_with_odd_characters(tmp_path):
    root = make_repo(tmp_path, {"a b/compose.yaml": "services:\n  web:\n    image: x\n    image: y\n"})
    result = invoke(str(root / "a b" / "compose.yaml"), "--format", "json", "--select", "CL0")
    assert findings(result.stdout) == {("CL004", "a b/compose.yaml", 4, 5)}


# --------------------------------------------------------------------------- .env

COMPOSE_USING_ENV = "services:\n  web:\n    image: nginx:${TAG:-1.27}\n"


def test_malformed_dotenv_lines(tmp_path):
    root = make_repo(tmp_path, {".env": HOSTILE / "env" / "malformed.env", "compose.yaml": COMPOSE_USING_ENV})
    check_case(root, {("CL005", ".env", 2, 1), ("CL005", ".env", 3, 1), ("CL005", ".env", 4, 1)}, 1,
               contains={("CL005", ".env", 2, 1): "`BAD KEY` contains a space"})


def test_unterminated_dotenv_quotes(tmp_path):
    root = make_repo(tmp_path, {".env": HOSTILE / "env" / "unterminated-quotes.env", "compose.yaml": COMPOSE_USING_ENV})
    check_case(root, {("CL005", ".env", 1, 3), ("CL005", ".env", 3, 3)}, 1,
               contains={("CL005", ".env", 1, 3): "double-quoted value is not closed"})


def test_dotenv_with_1mb_values(tmp_path):
    big = "v" * (1 << 20)
    root = make_repo(tmp_path, {".env": f"A={big}\nB=\"{big}\"\nC='{big}'\nD=${{A}}\n",
                                "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    command: echo ${D}\n"})
    start = time.process_time()  # CPU time: other work on the machine does not count
    check_case(root, set(), 0)
    assert time.process_time() - start < 30
    project, _ = lint_model(root)
    assert project.dotenv["D"] == big


# --------------------------------------------------------------------------- configuration

CONFIG_CASES = [
    ("unknown-key.composelint.yaml", ".composelint.yaml", "limits.max-files"),
    ("wrong-type.composelint.yaml", ".composelint.yaml", "fail-on"),
    ("bad-yaml.composelint.yaml", ".composelint.yaml", ".composelint.yaml:"),
    ("bad-rule-option.composelint.yaml", ".composelint.yaml", "CL999"),
    ("pyproject-invalid.toml", "pyproject.toml", "limits.yaml-depth"),
    ("pyproject-broken.toml", "pyproject.toml", "invalid TOML"),
    # A key holding a line break is escaped: the error stays on one line.
    ("newline-key.composelint.yaml", ".composelint.yaml", "unknown key `limits.max-\\nfiles`"),
]


@pytest.mark.parametrize("fixture, name, fragment", CONFIG_CASES, ids=[case[0] for case in CONFIG_CASES])
def test_invalid_configuration_exits_2_naming_the_key(tmp_path, fixture, name, fragment):
    root = make_repo(tmp_path, {name: HOSTILE / "config" / fixture,
                                "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})
    with untouched(root):
        result = invoke(str(root))
    assert result.exit_code == 2
    assert result.stderr.startswith("composelint: error: invalid configuration: ")
    assert fragment in result.stderr, result.stderr
    assert result.stdout == ""


def test_invalid_configuration_given_with_config_flag(tmp_path):
    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})
    for content in (b"\xff\xfe\x00garbage", b"- just\n- a list\n", b"limits: {max-file-size: -5}\n"):
        config = tmp_path / "config.yaml"
        config.write_bytes(content)
        result = invoke(str(root), "--config", str(config))
        assert result.exit_code == 2 and "invalid configuration" in result.stderr, result.stderr
    os.mkfifo(tmp_path / "fifo.yaml")
    result = invoke_subprocess(str(root), "--config", str(tmp_path / "fifo.yaml"), timeout=HANG_SECONDS)
    assert result.returncode == 2


# --------------------------------------------------------------------------- promise 2: nothing runs, nothing leaves

_EVENTS: list[tuple[str, tuple]] | None = None
_WATCHED = ("open", "os.listdir", "os.scandir", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn",
            "os.spawn", "os.fork", "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request",
            "http.client.connect", "ctypes.dlopen", "os.remove", "os.rename", "os.truncate", "os.chmod", "os.utime",
            "os.mkdir", "shutil.rmtree", "os.symlink", "os.link")


def _audit(event: str, args: tuple) -> None:
    if _EVENTS is not None and event in _WATCHED:
        _EVENTS.append((event, args))


_HOOKED = False


@contextlib.contextmanager
def recorded_events():
    """Audit events (PEP 578) raised in this process while the block runs."""
    global _EVENTS, _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True
    _EVENTS = []
    try:
        yield _EVENTS
    finally:
        events, _EVENTS = _EVENTS, None
        del events


def _in_shellcheck_directory(value) -> bool:
    from composelint.analysis.shellcheck import _memory_directory

    if not isinstance(value, (str, bytes, os.PathLike)):
        return False
    path = os.path.realpath(os.fsdecode(value))
    # In memory (/dev/shm) where the system has it, else in the system's temporary directory.
    temporary = os.path.realpath(_memory_directory() or tempfile.gettempdir())
    return path.startswith(temporary + os.sep) and \
        path[len(temporary) + 1:].split(os.sep, 1)[0].startswith("composelint-shellcheck-")


def _shellcheck_event(event: str, args) -> bool:
    """ShellCheck started on script copies (CL416), or the copies written, read and removed."""
    from composelint.analysis.shellcheck import find_binary

    if event == "subprocess.Popen":
        executable, argv, cwd, env = args
        return (executable == find_binary() and env == {} and _in_shellcheck_directory(cwd)
                and all(_in_shellcheck_directory(arg) for arg in argv[1:] if not arg.startswith("--")))
    if event == "os.posix_spawn":  # how it starts where the system has posix_spawn (no working directory)
        executable, argv, env = args
        return (os.fsdecode(executable) == find_binary() and env == {}
                and all(_in_shellcheck_directory(arg) for arg in argv[1:] if not arg.startswith("--")))
    if event in ("os.fork", "os.exec"):
        return False  # Popen's own mechanism is recorded under subprocess.Popen, checked above
    return bool(args) and _in_shellcheck_directory(args[0]) and event in {
        "open", "os.mkdir", "os.remove", "os.rmdir"}


def _all_hostile_trees(tmp_path: Path) -> list[Path]:
    roots = []
    for index, (name, *_rest) in enumerate(YAML_CASES):
        roots.append(make_repo(tmp_path / f"y{index}", {"compose.yaml": HOSTILE / "yaml" / f"{name}.yaml"}))
    for index, (name, *_rest) in enumerate(DOCKERFILE_CASES):
        roots.append(make_repo(tmp_path / f"d{index}", {"Dockerfile": HOSTILE / "dockerfile" / f"{name}.Dockerfile"}))
    for name in ("escapes", "include-cycle", "extends-file-cycle"):
        roots.append(copy_tree(tmp_path / name, name))
    return roots


def test_nothing_is_executed_downloaded_written_or_read_outside_the_root(tmp_path, monkeypatch):
    _outside_sentinel(tmp_path)
    roots = _all_hostile_trees(tmp_path)
    lint_model(roots[0])  # import everything first: module imports open files too
    for root in roots:
        monkeypatch.chdir(root)
        with untouched(root), recorded_events() as events:
            lint_model(root)
            for output_format in ("text", "json", "sarif"):
                assert invoke(str(root), "--format", output_format).exit_code in (0, 1)
        # The one exception (README, Safety promises): ShellCheck parses copies of the RUN scripts that
        # composelint writes to a private temporary directory, with an empty environment.
        events = [(event, args) for event, args in events if not _shellcheck_event(event, args)]
        names = {event for event, _ in events}
        assert not names & {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                            "socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request",
                            "http.client.connect", "ctypes.dlopen"}, names
        # The only writes allowed: the result cache, inside the root (composelint/cache.py).
        cache_dir = os.path.realpath(root / ".composelint_cache")

        def in_cache(value) -> bool:
            if not isinstance(value, (str, bytes, os.PathLike)):
                return False
            path = os.path.realpath(os.fsdecode(value))
            return path == cache_dir or path.startswith(cache_dir + os.sep)

        writes = {event for event, args in events
                  if event in {"os.remove", "os.rename", "os.truncate", "os.chmod", "os.utime", "os.mkdir",
                               "shutil.rmtree", "os.symlink", "os.link"}
                  and not (args and in_cache(args[0]) and (event != "os.rename" or in_cache(args[1])))}
        assert not writes, writes
        for event, args in events:
            if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)) and in_cache(args[0]):
                continue
            if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
                path = os.path.realpath(os.fsdecode(args[0]))
                mode, flags = args[1], args[2]
                writes = (mode and any(c in str(mode) for c in "wax+")) or (
                    isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
                if path.startswith(str(tmp_path)):
                    assert path.startswith(str(root) + os.sep), f"read outside the root: {path}"
                    assert not writes, f"opened for writing: {path}"
                assert not path.startswith(("/etc/passwd", "/etc/shadow", "/etc/hosts")), path
            elif event in ("os.listdir", "os.scandir") and args and args[0] is not None:
                path = os.path.realpath(os.fsdecode(args[0]))
                if path.startswith(str(tmp_path)):
                    assert path == str(root) or path.startswith(str(root) + os.sep), f"listed outside: {path}"


def test_output_is_identical_across_processes(tmp_path):
    """Same findings in the same order whatever the hash seed: sets and dicts must not leak their order."""
    files: dict[str, Path] = {}
    for name, *_rest in YAML_CASES:
        files[f"yaml/{name}/compose.yaml"] = HOSTILE / "yaml" / f"{name}.yaml"
    for name, *_rest in DOCKERFILE_CASES:
        files[f"dockerfile/{name}/Dockerfile"] = HOSTILE / "dockerfile" / f"{name}.Dockerfile"
    for tree in sorted((HOSTILE / "compose").iterdir()):
        for path in tree.rglob("*"):
            if path.is_file():
                files[f"compose/{tree.name}/{path.relative_to(tree)}"] = path
    root = make_repo(tmp_path, files)
    outputs = set()
    for seed in ("1", "2"):
        result = invoke_subprocess(str(root), "--format", "json", env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.returncode == 1
        outputs.add(result.stdout)
    assert len(outputs) == 1


# --------------------------------------------------------------------------- the CLI never shows a traceback


def test_internal_errors_are_one_line(tmp_path, monkeypatch):
    """A bug outside the rules (here: a failing reporter) is exit 2 with one line, not a traceback."""
    from composelint import reporters

    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})

    def broken(*args, **kwargs):
        raise RuntimeError("reporter exploded")

    monkeypatch.setattr(reporters, "render", broken)
    result = invoke(str(root))
    assert result.exit_code == 2
    assert result.stderr.strip() == ("composelint: error: internal error: RuntimeError: reporter exploded "
                                     "(rerun with --debug for details)")


def test_a_crashing_rule_is_isolated(tmp_path, monkeypatch):
    from composelint.rules import cl002_compose_schema

    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: x\n    image: y\n"})
    meta = cl002_compose_schema.check.meta

    def explode(project, options):
        raise KeyError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(cl002_compose_schema.check, "meta", dataclasses.replace(meta, check=explode))
    result = invoke(str(root), "--format", "concise", "--select", "CL0")
    assert result.exit_code == 1
    assert "CL000 error: rule CL002 (compose-schema) failed: KeyError" in result.stdout
    assert "CL004" in result.stdout  # the other rules still ran


def test_interrupt_is_one_line(tmp_path, monkeypatch):
    """Ctrl-C during a lint: exit 130 and one line, not a traceback nor click's exit 1 ("findings")."""
    import composelint.engine

    root = make_repo(tmp_path, {"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(composelint.engine, "run", interrupted)
    result = CliRunner().invoke(cli, [str(root)])
    assert result.exit_code == 130
    assert result.stderr == "composelint: interrupted\n"
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- scripts/corpus_limits.py


def test_corpus_limits_script_passes_hostile_projects_under_the_caps(tmp_path):
    projects = tmp_path / "projects"
    make_repo(projects / "bomb", {"compose.yaml": HOSTILE / "yaml" / "billion-laughs.yaml"})
    shutil.copytree(HOSTILE / "compose" / "escapes", projects / "escapes")
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "corpus_limits.py"), str(projects)],
                            capture_output=True, text=True, timeout=HANG_SECONDS * 3)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("0 failed (1 s CPU per file + 1 s start-up, 512 MB cap)")
    assert "CL007:1" in result.stdout and "CL008:7" in result.stdout


# --------------------------------------------------------------------------- standard input (--stdin-filename)

STDIN_CASES = [
    (b"services:\n  web:\n    image: caf\xe9\n", ("CL001", "compose.yaml", 3, 15), "byte 0xe9 cannot be decoded"),
    (b"services:\x00\n", ("CL001", "compose.yaml", 1, 10), "binary"),
    (b"services: {}\n" + b"#" * 2048, ("CL007", "compose.yaml", 1, 1), "over the 1,024-byte limit"),
]


@pytest.mark.parametrize("data, expected, fragment", STDIN_CASES, ids=["latin1", "nul", "over-limit"])
def test_hostile_standard_input(tmp_path, data, expected, fragment):
    root = make_repo(tmp_path, {".composelint.yaml": "limits:\n  max-file-size: 1024\n",
                                "compose.yaml": "services:\n  web:\n    image: nginx:1.27\n"})
    with untouched(root):
        result = CliRunner().invoke(cli, ["--stdin-filename", str(root / "compose.yaml"), "--format", "json",
                                          "--select", "CL0"], input=data)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert findings(result.stdout) == {expected} and result.exit_code == 1
    assert fragment in result.stdout


_LONG_NUMBER = "1" * 5000  # over int()'s 4,300-digit limit


@pytest.mark.parametrize("files, expected", [
    ({"compose.yaml": 'services:\n  a:\n    image: nginx:1.27\n    ports: ["²:80"]\n'},
     {("CL002", "compose.yaml", 4, 13)}),
    ({"compose.yaml": f'services:\n  a:\n    image: nginx:1.27\n    ports: ["{_LONG_NUMBER}:80"]\n'},
     {("CL002", "compose.yaml", 4, 13)}),
    ({"compose.yaml": 'services:\n  a:\n    image: nginx:1.27\n    restart: "on-failure:²"\n'},
     {("CL002", "compose.yaml", 4, 14)}),
    ({"compose.yaml": f"services:\n  a:\n    image: nginx:1.27\n    restart: on-failure:{_LONG_NUMBER}\n"
                      f"    environment:\n      DB_HOST: db:{_LONG_NUMBER}\n      X_HOST: db:²\n"}, set()),
    ({"Dockerfile": f"FROM python:{_LONG_NUMBER}\nUSER 1000\n"}, set()),
    ({"Dockerfile": f"FROM alpine:3.20 AS one\nFROM alpine:3.20\nCOPY --from={_LONG_NUMBER} /x /y\n"
                    "COPY --from=² /x /z\nUSER 1000\n"}, set()),
], ids=["superscript-port", "long-port", "superscript-restart", "long-restart-and-host-ports",
        "long-version-tag", "stage-index-from"])
def test_numbers_int_refuses_are_input_not_internal_errors(tmp_path, files, expected):
    """`str.isdigit()` accepts `²`, and int() refuses over 4,300 digits: both once ended rules with CL000."""
    root = make_repo(tmp_path, files)
    result = invoke(str(root), "--format", "json", "--no-cache")  # every rule: any of them may read the number
    found = {(item["code"], item["path"], item["line"], item["column"])
             for item in json.loads(result.output)["diagnostics"]}
    assert not any(code == "CL000" for code, *_ in found), found
    assert {item for item in found if item[0].startswith("CL0")} == expected
