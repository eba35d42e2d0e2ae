"""The result cache (composelint/cache.py): reused only when nothing the run read has changed."""

from __future__ import annotations

import marshal
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import composelint.cache as cache_module
import composelint.assembly.project
from composelint import plain
from composelint.cache import CACHE_DIR, RunCache
from composelint.cli import cli
from composelint.diagnostics import Diagnostic, Position, Related, Severity, Span
from helpers import write_tree

REPO = Path(__file__).resolve().parent.parent

COMPOSE = """\
services:
  web:
    build: ./web
    depends_on: [db]
    environment:
      DB_URL: postgres://db:5432/app
      CACHE_HOST: ${CACHE_HOST:-redis}
  worker:
    image: python:3.12-slim
    command: sh -c "pip install celery && celery -A tasks worker"
  db:
    image: postgres:16
"""
DOCKERFILE = """\
FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "main.py"]
"""


def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write_tree(root, {"compose.yaml": COMPOSE, "web/Dockerfile": DOCKERFILE, "web/requirements.txt": "flask==3.0\n",
                      "web/main.py": "import flask\nimport yaml\n"})
    return root


@pytest.fixture
def builds(monkeypatch):
    """How many times a run modelled the project (a cache hit models nothing; a run over paths counts
    once, however many rounds composelint.scoping takes)."""
    import composelint.scoping

    calls = []
    scoped = []  # the runs over paths under way
    original = composelint.assembly.project.build_project
    original_scoped = composelint.scoping.build_scoped_project

    def counting(*args, **kwargs):
        if not scoped:
            calls.append(args[0])
        return original(*args, **kwargs)

    def counting_scoped(*args, **kwargs):
        calls.append(args[0])
        scoped.append(True)
        try:
            return original_scoped(*args, **kwargs)
        finally:
            scoped.pop()

    monkeypatch.setattr(composelint.assembly.project, "build_project", counting)
    monkeypatch.setattr(composelint.scoping, "build_scoped_project", counting_scoped)
    monkeypatch.delenv("COMPOSELINT_NO_CACHE", raising=False)
    return calls


def lint(root: Path, *args: str):
    result = CliRunner().invoke(cli, [str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    return result


def entries(root: Path) -> list[Path]:
    return sorted((root / CACHE_DIR).glob("run-*"))


def test_second_run_reuses_the_first_and_prints_the_same_bytes(tmp_path, builds):
    root = repo(tmp_path)
    for output_format in ("text", "concise", "json", "sarif", "github", "gitlab"):
        first = lint(root, "--format", output_format, "--color", "always")
        before = len(builds)
        second = lint(root, "--format", output_format, "--color", "always")
        assert len(builds) == before, f"{output_format}: the second run modelled the project again"
        assert second.output == first.output and second.exit_code == first.exit_code == 1
        uncached = lint(root, "--format", output_format, "--color", "always", "--no-cache")
        assert uncached.output == first.output
    assert "CL201" in first.output and "CL407" in first.output  # findings that read the Dockerfile and main.py


def test_the_cache_folder_ignores_itself_and_is_not_linted(tmp_path, builds):
    root = repo(tmp_path)
    lint(root)
    folder = root / CACHE_DIR
    assert (folder / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert len(entries(root)) == 1
    write_tree(folder, {"compose.yaml": "services: [broken\n"})  # never read: the walk skips the folder
    assert CACHE_DIR not in lint(root, "--format", "concise", "--no-cache").output


def test_git_sees_nothing_new_after_a_run(tmp_path, builds):
    root = tmp_path / "checkout"
    root.mkdir()
    if subprocess.run(["git", "init", "-q", str(root)], capture_output=True).returncode != 0:
        pytest.skip("git is not installed")
    write_tree(root, {"compose.yaml": COMPOSE})
    lint(root)
    assert (root / CACHE_DIR).is_dir()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root,
                            capture_output=True, text=True, check=True)
    assert status.stdout.splitlines() == ["?? compose.yaml"]


@pytest.mark.parametrize("change", [
    "edit compose file", "edit Dockerfile", "edit a file the analysis read", "add a .env", "add a compose file",
    "remove a file", "add a directory", "config", "add an env file beside",
])
def test_any_change_to_an_input_is_a_miss_and_the_findings_follow_it(tmp_path, builds, change):
    root = repo(tmp_path)
    lint(root, "--format", "concise")
    count = len(builds)
    if change == "edit compose file":
        (root / "compose.yaml").write_text(COMPOSE.replace("postgres:16", "postgres"), encoding="utf-8")
    elif change == "edit Dockerfile":
        (root / "web/Dockerfile").write_text(DOCKERFILE.replace("CMD", "USER 1000\nCMD"), encoding="utf-8")
    elif change == "edit a file the analysis read":
        (root / "web/main.py").write_text("import flask\n", encoding="utf-8")
    elif change == "add a .env":
        (root / ".env").write_text("CACHE_HOST=memcached\n", encoding="utf-8")
    elif change == "add a compose file":
        write_tree(root, {"infra/compose.yaml": "services:\n  redis:\n    image: redis\n"})
    elif change == "remove a file":
        (root / "web/requirements.txt").unlink()
    elif change == "add a directory":
        (root / "web" / "static").mkdir()
    elif change == "config":
        (root / ".composelint.yaml").write_text("ignore: [CL301]\n", encoding="utf-8")
    elif change == "add an env file beside":
        (root / "web/.env").write_text("X=1\n", encoding="utf-8")
    second = lint(root, "--format", "concise")
    assert len(builds) == count + 1, "a changed repository must be modelled again"
    fresh = lint(root, "--format", "concise", "--no-cache")
    assert second.output == fresh.output
    third = lint(root, "--format", "concise")
    assert len(builds) == count + 2  # --no-cache modelled once more; the third run hit the new entry
    assert third.output == fresh.output


def test_options_that_change_findings_are_part_of_the_key(tmp_path, builds):
    root = repo(tmp_path)
    everything = lint(root, "--format", "concise").output
    some = lint(root, "--format", "concise", "--select", "CL3").output
    assert some != everything and len(builds) == 2
    assert lint(root, "--format", "concise", "--select", "CL3").output == some and len(builds) == 2
    only = lint(root / "web" / "Dockerfile", "--format", "concise").output
    assert len(builds) == 3 and only != everything
    assert lint(root, "--format", "concise").output == everything and len(builds) == 3
    assert len(entries(root)) == 3


def test_no_cache_flag_and_environment_variable(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    lint(root, "--no-cache")
    assert not (root / CACHE_DIR).exists()
    monkeypatch.setenv("COMPOSELINT_NO_CACHE", "1")
    lint(root)
    assert not (root / CACHE_DIR).exists()
    monkeypatch.setenv("COMPOSELINT_NO_CACHE", "0")
    lint(root)
    assert len(entries(root)) == 1
    monkeypatch.setenv("COMPOSELINT_NO_CACHE", "true")
    count = len(builds)
    lint(root)
    lint(root, "--no-cache")
    assert len(builds) == count + 2  # an existing entry is not used either


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "other version", "wrong key"])
def test_a_damaged_entry_is_ignored_and_replaced(tmp_path, builds, damage):
    root = repo(tmp_path)
    expected = lint(root, "--format", "json").output
    (entry,) = entries(root)
    data = entry.read_bytes()
    if damage == "garbage":
        entry.write_bytes(b"\x00\xff" * 100)
    elif damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "other version":
        stamp = f"composelint-cache {cache_module.FORMAT} ".encode()
        entry.write_bytes(data.replace(stamp, stamp + b"9.9.9-", 1))
    else:
        header, _, payload = data.partition(b"\n")
        stored = marshal.loads(payload)
        stored["key"] = "0" * 64
        entry.write_bytes(header + b"\n" + marshal.dumps(stored))
    count = len(builds)
    assert lint(root, "--format", "json").output == expected
    assert len(builds) == count + 1
    assert lint(root, "--format", "json").output == expected and len(builds) == count + 1  # rewritten, then hit


def test_damaged_findings_are_a_miss_when_a_report_must_be_rendered_from_them(tmp_path, builds):
    root = repo(tmp_path)
    lint(root, "--format", "json")
    (entry,) = entries(root)
    header, _, payload = entry.read_bytes().partition(b"\n")
    stored = marshal.loads(payload)
    stored["findings"] = stored["findings"][: len(stored["findings"]) // 2]
    entry.write_bytes(header + b"\n" + marshal.dumps(stored))
    expected = lint(root, "--format", "concise", "--no-cache").output
    count = len(builds)
    assert lint(root, "--format", "concise").output == expected and len(builds) == count + 1


def test_an_unwritable_project_lints_without_a_cache(tmp_path, builds):
    root = repo(tmp_path)
    (root / CACHE_DIR).write_text("a file where the cache folder would go\n", encoding="utf-8")
    expected = lint(root, "--format", "concise", "--no-cache").output
    assert lint(root, "--format", "concise").output == expected
    assert lint(root, "--format", "concise").output == expected
    assert (root / CACHE_DIR).is_file()


def test_a_read_only_project_lints_without_a_cache(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.mkstemp", refuse)
    expected = lint(root, "--format", "concise", "--no-cache").output
    assert lint(root, "--format", "concise").output == expected
    assert entries(root) == []
    assert not list((root / CACHE_DIR).glob(".tmp-*"))


def test_a_symlinked_cache_folder_is_neither_read_nor_written(tmp_path, builds):
    root = repo(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (root / CACHE_DIR).symlink_to(elsewhere, target_is_directory=True)
    lint(root)
    lint(root)
    assert len(builds) == 2 and list(elsewhere.iterdir()) == []


def test_a_new_composelint_version_or_code_is_a_miss(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    lint(root)
    monkeypatch.setattr(cache_module, "__version__", "99.0.0")
    lint(root)
    assert len(builds) == 2
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "edited")
    lint(root)
    assert len(builds) == 3


def test_code_fingerprint_follows_composelint_files(tmp_path):
    first = cache_module.code_fingerprint()
    assert first == cache_module.code_fingerprint()
    module = Path(cache_module.__file__)
    stat = module.stat()
    try:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert cache_module.code_fingerprint() != first
    finally:
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_use_environment_puts_the_environment_in_the_key(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    monkeypatch.setenv("CACHE_HOST", "memcached")
    first = lint(root, "--format", "concise", "--use-environment").output
    monkeypatch.setenv("CACHE_HOST", "valkey")
    second = lint(root, "--format", "concise", "--use-environment").output
    assert len(builds) == 2
    assert second == lint(root, "--format", "concise", "--use-environment", "--no-cache").output
    assert first != second or "CACHE_HOST" not in first


def test_runs_that_read_standard_input_or_baselines_are_not_cached(tmp_path, builds):
    root = repo(tmp_path)
    result = CliRunner().invoke(cli, [str(root), "--stdin-filename", str(root / "compose.yaml")], input=COMPOSE)
    assert result.exit_code in (0, 1)
    assert entries(root) == []
    baseline = tmp_path / "baseline.json"
    assert CliRunner().invoke(cli, [str(root), "--write-baseline", str(baseline)]).exit_code == 0
    assert CliRunner().invoke(cli, [str(root), "--baseline", str(baseline)]).exit_code == 0
    assert entries(root) == []


def test_findings_survive_the_round_trip_and_nothing_else_can_be_stored():
    span = Span("compose.yaml", Position(3, 5), Position(3, 9))
    diagnostic = Diagnostic("CL201", "runtime-install", Severity.ERROR, "message `x`", span, "help",
                            (Related(Span("Dockerfile", Position(1, 1)), "note"),), "service 'web'",
                            anchor_text="pip install x", sensitive=True, suppression="inline")
    for again in (plain.decode(marshal.loads(marshal.dumps(plain.encode(diagnostic)))),
                  pickle.loads(pickle.dumps(diagnostic, protocol=4))):
        assert again == diagnostic and again.fingerprint() == diagnostic.fingerprint()
        assert again.suppression == "inline" and again.sensitive is True
        assert again.severity is Severity.ERROR and again.sort_key() == diagnostic.sort_key()
    with pytest.raises(TypeError):
        plain.encode(Path("compose.yaml"))
    with pytest.raises(KeyError):
        plain.decode(["os.system", "true"])


def test_store_refuses_a_run_whose_files_changed_while_it_read_them(tmp_path):
    cache = RunCache(tmp_path, "k" * 64)
    from composelint.assembly.reading import ReadResult

    observed = [("read", "compose.yaml", 10, ReadResult("a"), None), ("read", "compose.yaml", 10, ReadResult("b"), None)]

    class Project:
        sources = {"compose.yaml": "b"}

    class Result:
        diagnostics = suppressed = ()

    assert cache.store("digest", observed, Project(), Result()) is False
    assert not (tmp_path / CACHE_DIR).exists()


def test_concurrent_runs_agree_and_leave_a_valid_entry(tmp_path):
    root = repo(tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "COMPOSELINT_NO_CACHE"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "composelint", str(root), "--format", "json"]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
                 for _ in range(4)]
    outputs = {process.communicate(timeout=120)[0] for process in processes}
    assert len(outputs) == 1
    assert len(entries(root)) == 1 and not list((root / CACHE_DIR).glob(".tmp-*"))
    again = subprocess.run(command, capture_output=True, env=env, timeout=120)
    assert again.stdout in outputs


@pytest.fixture
def settled(monkeypatch):
    """The clock two minutes on, for the stamps: every file of the test counts as settled (a real run
    stamps only files last changed over two seconds before it read them)."""
    from composelint.assembly import reading

    real = reading.time.time_ns
    monkeypatch.setattr(reading.time, "time_ns", lambda: real() + 120 * 10**9)


def _counting_reads(monkeypatch) -> list[str]:
    from composelint.assembly import reading

    reads: list[str] = []
    original = reading._read_text

    def counting(root, relpath, *args):
        reads.append(relpath)
        return original(root, relpath, *args)

    monkeypatch.setattr(reading, "_read_text", counting)
    return reads


def test_a_rerun_checks_settled_files_by_their_stamps_and_reads_only_what_it_quotes(tmp_path, builds, settled,
                                                                                       monkeypatch):
    root = repo(tmp_path)
    cold_json = lint(root, "--no-cache", "--format", "json").output
    cold_text = lint(root, "--no-cache", "--format", "text", "--color", "never").output
    lint(root, "--format", "json")  # stores the entry
    reads = _counting_reads(monkeypatch)
    count = len(builds)
    assert lint(root, "--format", "json").output == cold_json
    assert reads == [] and len(builds) == count  # a hit, and not one file read again
    # The same entry serves the text report, which quotes lines: only the files it quotes are read.
    assert lint(root, "--format", "text", "--color", "never").output == cold_text
    assert len(builds) == count and 0 < len(reads) < 4 and set(reads) <= {"compose.yaml", "web/Dockerfile"}


def test_a_file_rewritten_to_its_old_size_and_modification_time_is_read_again(tmp_path, builds, settled):
    # Tools that keep the modification time (cp -p, rsync -t, an editor restoring it) must not hide
    # an edit: the status-change time, which no tool sets back, is part of the stamp.
    root = repo(tmp_path)
    lint(root, "--format", "json")
    dockerfile = root / "web" / "Dockerfile"
    before = os.stat(dockerfile)
    time.sleep(0.05)  # past the file system's timestamp tick
    dockerfile.write_text(DOCKERFILE.replace("main.py", "main.sh"))  # the same size
    os.utime(dockerfile, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(dockerfile).st_size == before.st_size
    count = len(builds)
    assert lint(root, "--format", "json").output == lint(root, "--no-cache", "--format", "json").output
    assert len(builds) == count + 2  # the stamp did not match: the content was compared, and differed


def test_files_changed_just_before_the_run_are_not_stamped(tmp_path):
    # Within the clock tick of a file's last change, another change may keep every stamp field: such
    # a file is read and compared next time, never trusted by its stamp.
    root = repo(tmp_path)
    lint(root, "--format", "json")
    (entry,) = entries(root)
    stored = marshal.loads(entry.read_bytes().partition(b"\n")[2])
    reads = [item for item in stored["observed"] if item[0] == "read"]
    assert reads and all(item[-1] is None for item in reads)


def test_a_rerun_prints_the_report_it_kept_without_decoding_a_finding(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    first = lint(root, "--format", "concise")
    decoded = []
    original = cache_module.decode
    monkeypatch.setattr(cache_module, "decode", lambda value: decoded.append(value) or original(value))
    second = lint(root, "--format", "concise")
    assert len(builds) == 1 and second.output == first.output and second.exit_code == first.exit_code == 1
    assert decoded == []  # the kept text, printed as it is
    # Another report from the same entry is rendered from its findings, as before.
    other = lint(root, "--format", "json")
    assert len(builds) == 1 and decoded and other.output == lint(root, "--format", "json", "--no-cache").output


@pytest.mark.parametrize("fail_on, code", [("error", 0), ("warning", 1), ("info", 1), ("never", 0)])
def test_a_hit_that_prints_a_kept_report_exits_as_the_run_did(tmp_path, builds, fail_on, code):
    root = repo(tmp_path)  # CL301 and CL303 are warnings
    args = ("--format", "concise", "--select", "CL301,CL303", "--fail-on", fail_on)
    first, second = lint(root, *args), lint(root, *args)
    assert len(builds) == 1 and first.exit_code == second.exit_code == code and "CL301" in second.output


@pytest.mark.parametrize("variant", ["current directory", "color", "quiet", "show suppressed", "statistics",
                                     "unsafe fixes", "path base", "format"])
def test_a_kept_report_is_printed_only_for_the_same_view(tmp_path, builds, monkeypatch, variant):
    # Each variant prints different text from the same findings: a report kept for one view must not
    # stand in for another (checking.report_key), and every one of them is still a cache hit.
    root = repo(tmp_path)
    write_tree(root, {
        "compose.yaml": COMPOSE.replace("worker\"", "worker\"  # composelint: ignore[CL201] -- vendored"),
        "web/Dockerfile": DOCKERFILE.replace("COPY . .", "ADD main.py .\nCOPY . ."),  # an unsafe fix (CL419)
    })
    monkeypatch.chdir(tmp_path)
    base = ["--format", "json" if variant == "path base" else "text"]
    changed = {"current directory": [], "color": ["--color", "always"], "quiet": ["--quiet"],
               "show suppressed": ["--show-suppressed"], "statistics": ["--statistics"],
               "unsafe fixes": ["--unsafe-fixes"], "path base": ["--path-base", str(tmp_path)],
               "format": ["--format", "concise"]}[variant]
    kept = lint(root, *base).output
    if variant == "current directory":
        monkeypatch.chdir(root / "web")
    expected = lint(root, *base, *changed, "--no-cache").output
    assert expected != kept
    assert lint(root, *base, *changed).output == expected and len(builds) == 2  # a hit: built by --no-cache only
    assert lint(root, *base, *changed).output == expected  # and once more, kept or not


def _counting_config_parses(monkeypatch) -> list[str]:
    import composelint.config

    parses: list[str] = []
    original = composelint.config._parse_yaml
    monkeypatch.setattr(composelint.config, "_parse_yaml",
                        lambda text, display: parses.append(display) or original(text, display))
    return parses


def test_a_configuration_parsed_and_checked_before_is_not_parsed_again(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    write_tree(root, {".composelint.yaml": "ignore: [CL301]\nknown-hosts: [redis]\n"})
    parses = _counting_config_parses(monkeypatch)
    first = lint(root, "--format", "concise").output
    assert parses == [".composelint.yaml"] and "CL301" not in first and "CL103" not in first
    assert lint(root, "--format", "concise").output == first and parses == [".composelint.yaml"]
    # A different code is a different parse: kept data stands only for the code that checked it.
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another composelint")
    assert lint(root, "--format", "concise").output == first and len(parses) == 2
    monkeypatch.undo()
    # An edit of the same size is a new text: parsed, and its findings follow it.
    parses = _counting_config_parses(monkeypatch)
    (root / ".composelint.yaml").write_text("ignore: [CL303]\nknown-hosts: [redis]\n")
    edited = lint(root, "--format", "concise").output
    assert parses == [".composelint.yaml"] and "CL301" in edited and "CL303" not in edited
    assert edited == lint(root, "--format", "concise", "--no-cache").output


def test_a_configuration_is_kept_only_once_it_passed_every_check(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    write_tree(root, {".composelint.yaml": "fail-on: sometimes\n"})
    for _ in range(2):
        result = CliRunner().invoke(cli, [str(root)])
        assert result.exit_code == 2 and ".composelint.yaml:1:10: `fail-on`" in result.output
    assert not list((root / CACHE_DIR).glob("config-*"))


def test_a_kept_root_configuration_used_as_a_nested_one_is_located_as_when_parsed(tmp_path, builds):
    # The kept data passed the root's checks, not a nested configuration's: the message still points
    # at the line of the key, as a fresh parse does.
    root = repo(tmp_path)
    text = "ignore: [CL301]\nknown-hosts: [redis]\n"
    write_tree(root, {".composelint.yaml": text})
    lint(root)
    write_tree(root, {"web/.composelint.yaml": text})
    cached, fresh = (CliRunner().invoke(cli, [str(root), *flags]) for flags in ([], ["--no-cache"]))
    assert cached.exit_code == fresh.exit_code == 2
    assert cached.output == fresh.output and "web/.composelint.yaml:2:1: `known-hosts`" in cached.output


def test_no_cache_neither_reads_nor_keeps_a_parsed_configuration(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    write_tree(root, {".composelint.yaml": "ignore: [CL301]\n"})
    lint(root, "--no-cache")
    assert not (root / CACHE_DIR).exists()
    lint(root)
    assert len(list((root / CACHE_DIR).glob("config-*"))) == 1
    parses = _counting_config_parses(monkeypatch)
    lint(root, "--no-cache")
    assert parses == [".composelint.yaml"]


def test_the_replays_stamp_check_agrees_with_still_as_read(tmp_path, settled):
    # The cache checks a thousand files through StampCheck (each directory resolved once); it must
    # answer as still_as_read does, file by file, symlinks and odd paths included.
    from composelint.assembly import reading

    root = tmp_path / "repo"
    outside = tmp_path / "outside"
    write_tree(root, {"a.yaml": "a\n", "sub/b.yaml": "b\n", "sub/deep/c.yaml": "c\n", "moved/d.yaml": "d\n"})
    write_tree(outside, {"e.yaml": "e\n"})
    (root / "link.yaml").symlink_to(outside / "e.yaml")
    (root / "inner.yaml").symlink_to(root / "sub" / "b.yaml")
    stamps = {relpath: reading._read_text(root, relpath, 1000, None)[1]
              for relpath in ("a.yaml", "sub/b.yaml", "sub/deep/c.yaml", "moved/d.yaml", "inner.yaml")}
    stamps["link.yaml"] = reading.stamp_of(os.stat(outside / "e.yaml"))  # never read: it leads outside
    assert all(stamps.values())
    (root / "moved").rename(outside / "moved")  # the same file (inode, times), now reached through a link
    (root / "moved").symlink_to(outside / "moved")
    (root / "sub" / "deep" / "c.yaml").write_text("C\n")
    asked = [*stamps.items(), ("sub/../a.yaml", stamps["a.yaml"]), ("sub/./b.yaml", stamps["sub/b.yaml"]),
             ("missing.yaml", stamps["a.yaml"]), ("sub//b.yaml", stamps["sub/b.yaml"])]
    check = reading.StampCheck(root, {})
    assert [check(relpath, stamp) for relpath, stamp in asked] == \
        [reading.still_as_read(root, relpath, stamp, {}) for relpath, stamp in asked] == \
        [True, True, False, False, True, False, True, True, False, True]


def test_a_run_whose_reader_went_away_still_keeps_its_entry(tmp_path):
    # `composelint | head`: the report cannot be written, but the findings stand, and the next run reuses them.
    root = repo(tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "COMPOSELINT_NO_CACHE"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    process = subprocess.Popen([sys.executable, "-m", "composelint", str(root), "--format", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    process.stdout.close()  # long before the report is written
    assert process.wait(timeout=120) == 141
    assert len(entries(root)) == 1


def _kept_reports(root: Path) -> list:
    (entry,) = entries(root)
    return marshal.loads(entry.read_bytes().partition(b"\n")[2])["reports"]


def test_a_report_rendered_on_a_hit_is_kept_beside_the_others(tmp_path, builds, monkeypatch):
    root = repo(tmp_path)
    decoded = []
    original = cache_module.decode
    monkeypatch.setattr(cache_module, "decode", lambda value: decoded.append(value) or original(value))
    views = [("--format", "concise"), ("--format", "json"), ("--format", "github"), ("--format", "gitlab"),
             ("--format", "text", "--color", "never")]
    outputs = [lint(root, *view).output for view in views]  # the first stores, the others hit and render
    assert len(builds) == 1 and len(decoded) > 0 and len(_kept_reports(root)) == cache_module.MAX_REPORTS
    decoded.clear()
    for view, output in list(zip(views, outputs))[1:]:
        assert lint(root, *view).output == output
    assert decoded == [] and len(builds) == 1  # the four most recent reports: printed as kept
    assert lint(root, *views[0]).output == outputs[0] and decoded  # the oldest was dropped: rendered again
    assert [lint(root, *view, "--no-cache").output for view in views] == outputs


def test_a_report_quoting_a_text_changed_after_the_replay_is_not_kept(tmp_path, builds, settled, monkeypatch):
    root = repo(tmp_path)
    lint(root, "--format", "json")  # quotes no text: the text report below reads the files it quotes
    original = cache_module._replay

    def replay_then_edit(*args):
        replayed = original(*args)
        (root / "web" / "Dockerfile").write_text(DOCKERFILE.replace("slim", "SLIM"))
        return replayed

    monkeypatch.setattr(cache_module, "_replay", replay_then_edit)
    lint(root, "--format", "text", "--color", "never")
    assert len(builds) == 1 and len(_kept_reports(root)) == 1  # the json report only


@pytest.mark.parametrize("damage", ["garbage", "truncated", "another text"])
def test_a_damaged_parsed_configuration_is_parsed_again(tmp_path, builds, monkeypatch, damage):
    root = repo(tmp_path)
    write_tree(root, {".composelint.yaml": "ignore: [CL301]\n"})
    expected = lint(root, "--format", "concise").output
    (kept,) = (root / CACHE_DIR).glob("config-*")
    data = kept.read_bytes()
    if damage == "garbage":
        kept.write_bytes(b"\x00\xff" * 50)
    elif damage == "truncated":
        kept.write_bytes(data[: len(data) // 2])
    else:  # the same name for another text (a digest collision): its data must not stand for this one
        header, _, payload = data.partition(b"\n")
        stored = marshal.loads(payload)
        stored["text"], stored["data"] = "ignore: [CL303]\n", {"ignore": ["CL303"]}
        kept.write_bytes(header + b"\n" + marshal.dumps(stored))
    parses = _counting_config_parses(monkeypatch)
    assert lint(root, "--format", "concise").output == expected and parses == [".composelint.yaml"]
