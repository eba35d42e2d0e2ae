"""CL416: ShellCheck without its binary, and hadolint's SC codes reaching it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import lint_lines, write_tree

from composelint import forked
from composelint.analysis import shellcheck


def test_without_the_binary_one_info_finding_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shellcheck, "find_binary", lambda: None)
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN echo $A\nRUN echo $B\n"})
    assert lint_lines(tmp_path, ("CL416",)) == [
        "Dockerfile:2:1: CL416 info: the RUN scripts were not checked with ShellCheck: ShellCheck is not installed "
        "(`pip install 'composelint[shellcheck]'`)"]


def test_no_script_no_finding_even_without_the_binary(tmp_path, monkeypatch):
    monkeypatch.setattr(shellcheck, "find_binary", lambda: None)
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN [\"echo\", \"$A\"]\n"})
    assert lint_lines(tmp_path, ("CL416",)) == []


def test_hadolint_sc_pragma_and_config_reach_only_their_code(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\n# hadolint ignore=SC2016\nRUN echo $A '$B'\n"
                                        "RUN echo `date`\n",
                          ".hadolint.yaml": "ignored: [SC2006]\n"})
    assert lint_lines(tmp_path, ("CL416", "CL009")) == [  # SC2016 and SC2006 suppressed, not SC2046
        "Dockerfile:3:10: CL416 warning: SC2086: Double quote to prevent globbing and word splitting",
        "Dockerfile:4:10: CL416 warning: SC2046: Quote this to prevent word splitting"]


def test_installing_shellcheck_changes_the_result_cache_key(tmp_path, monkeypatch):
    from composelint.cache import RunCache
    from composelint.config import Config

    monkeypatch.setattr(shellcheck, "find_binary", lambda: None)
    without = RunCache.for_run(tmp_path, Config(), {}).key
    monkeypatch.setattr(shellcheck, "find_binary", lambda: str(tmp_path / "shellcheck"))
    assert RunCache.for_run(tmp_path, Config(), {}).key != without


@pytest.mark.parametrize("in_memory", [True, False])
def test_the_script_copies_are_removed(tmp_path, monkeypatch, in_memory):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))  # the system's temporary directory
    monkeypatch.setattr(shellcheck, "MEMORY_DIRECTORY", str(scratch) if in_memory else str(tmp_path / "none"))
    made = []
    make = shellcheck._private_directory
    monkeypatch.setattr(shellcheck, "_private_directory", lambda: made.append(make()) or made[-1])
    project = write_tree(tmp_path / "p", {"Dockerfile": "FROM debian:12\nRUN echo $A\n"})
    assert lint_lines(project, ("CL416",)) == [
        "Dockerfile:2:10: CL416 warning: SC2086: Double quote to prevent globbing and word splitting"]
    assert len(made) == 1 and made[0].startswith(str(scratch) + "/composelint-shellcheck-")
    assert list(scratch.iterdir()) == []


def test_the_scripts_are_copied_to_memory_where_the_system_has_it(monkeypatch):
    """Creating the 47 copies of the awesome-compose corpus on a virtual machine's disk took ~24 ms, in
    /dev/shm ~1 ms."""
    import os

    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK):
        assert shellcheck._memory_directory() == "/dev/shm"
    monkeypatch.setattr(shellcheck, "MEMORY_DIRECTORY", "/nonexistent/shm")
    assert shellcheck._memory_directory() is None


def _started(monkeypatch, record=lambda argv: "shellcheck") -> list:
    """What each ShellCheck process started is given (``record`` of its command line), in order."""
    started, start = [], shellcheck._start
    monkeypatch.setattr(shellcheck, "_start", lambda argv, *args: started.append(record(argv)) or start(argv, *args))
    return started


SC2086 = "CL416 warning: SC2086: Double quote to prevent globbing and word splitting"


def test_snippets_shared_among_parallel_processes_give_the_same_findings(tmp_path, monkeypatch):
    started = _started(monkeypatch, lambda argv: len(argv[4:]))  # the scripts it checks
    monkeypatch.setattr(shellcheck, "PER_PROCESS", 1)
    monkeypatch.setattr(forked, "cpus", lambda: 2)
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN echo $A\nRUN echo $B\nRUN echo $C\n"})
    expected = [f"Dockerfile:{line}:10: {SC2086}" for line in (2, 3, 4)]
    assert lint_lines(tmp_path, ("CL416",)) == expected
    assert started == [2, 1]  # as many processes as may run at once, the scripts shared out
    started.clear()
    monkeypatch.setattr(shellcheck, "BATCH", 1)  # one script a process: the third starts when one ends
    assert lint_lines(tmp_path, ("CL416",)) == expected
    assert started == [1, 1, 1]


def test_shellcheck_starts_before_the_rules_so_it_runs_while_they_do(tmp_path, monkeypatch):
    from composelint import engine

    events = _started(monkeypatch)
    run_rule = engine._run_rule
    monkeypatch.setattr(engine, "_run_rule", lambda meta, *args: events.append(meta.code) or run_rule(meta, *args))
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN echo $A\n"})
    assert len(lint_lines(tmp_path, ("CL415", "CL416"))) == 1
    assert events == ["shellcheck", "CL415", "CL416"]


def test_shellcheck_starts_before_the_other_rules_modules_load(tmp_path, monkeypatch):
    """Importing the other rules takes ~15 ms on the awesome-compose corpus: ShellCheck runs meanwhile."""
    from composelint import engine

    events = _started(monkeypatch)
    load = engine.load
    monkeypatch.setattr(engine, "load", lambda code: events.append(code) or load(code))
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN echo $A\n"})
    assert len(lint_lines(tmp_path, ("CL415", "CL416"))) == 1
    assert events[:3] == ["CL416", "shellcheck", "CL415"]


def test_a_shellcheck_over_its_time_is_stopped_and_reported_once(tmp_path, monkeypatch):
    import tempfile

    slow = tmp_path / "bin" / "shellcheck"
    slow.parent.mkdir()
    slow.write_text("#!/bin/sh\nexec sleep 30\n")
    slow.chmod(0o755)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(shellcheck, "find_binary", lambda: str(slow))
    monkeypatch.setattr(shellcheck, "TIMEOUT", 0.3)
    project = write_tree(tmp_path / "p", {"Dockerfile": "FROM debian:12\nRUN echo $A\n"})
    assert lint_lines(project, ("CL416",)) == [
        "Dockerfile:2:1: CL416 info: the RUN scripts were not checked with ShellCheck: ShellCheck took over 0.3 s"]
    assert list(scratch.iterdir()) == []


def _fake_shellcheck(tmp_path, monkeypatch, script: str | None) -> Path:
    """A project with one RUN script, checked by ``script`` (a shell script) as ShellCheck; ``None``: a file that
    is executable but no program."""
    fake = tmp_path / "bin" / "shellcheck"
    fake.parent.mkdir()
    fake.write_text("" if script is None else f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    monkeypatch.setattr(shellcheck, "find_binary", lambda: str(fake))
    return write_tree(tmp_path / "p", {"Dockerfile": "FROM debian:12\nRUN echo $A\n"})


def test_a_shellcheck_that_fails_is_reported_with_what_it_wrote_to_standard_error(tmp_path, monkeypatch):
    project = _fake_shellcheck(tmp_path, monkeypatch, "echo not json; echo 'shellcheck: out of memory' >&2")
    assert lint_lines(project, ("CL416",)) == [
        "Dockerfile:2:1: CL416 info: the RUN scripts were not checked with ShellCheck: ShellCheck failed: "
        "shellcheck: out of memory"]


def test_a_shellcheck_that_cannot_start_is_reported(tmp_path, monkeypatch):
    project = _fake_shellcheck(tmp_path, monkeypatch, None)
    [line] = lint_lines(project, ("CL416",))
    assert line.startswith("Dockerfile:2:1: CL416 info: the RUN scripts were not checked with ShellCheck: "
                           "ShellCheck could not start: ")


def test_a_shellcheck_writing_more_than_a_pipe_holds_is_read_whole(tmp_path, monkeypatch):
    """Its output (one JSON document, 200 KiB here) and errors are read while it runs, whatever their size."""
    project = _fake_shellcheck(tmp_path, monkeypatch, "head -c 200000 /dev/zero | tr '\\0' ' ' >&2\n"
                               "printf '{\"comments\": []'; head -c 200000 /dev/zero | tr '\\0' ' '; printf '}'")
    assert lint_lines(project, ("CL416",)) == []


def test_a_shellcheck_process_ended_and_killed_again_signals_nothing(tmp_path):
    import time

    process = shellcheck._start(["/bin/sh", "-c", "echo '{}'; echo done >&2"], str(tmp_path / "errors"), str(tmp_path))
    assert process.output(time.monotonic() + 60) == (b"{}\n", b"done\n")
    process.kill()  # reaped already: no signal at all (os.kill(0, ...) would end the whole process group)
    process.kill()


def test_the_scripts_directory_is_sysconfigs_without_importing_it():
    import sysconfig

    assert shellcheck._scripts_directory() == sysconfig.get_path("scripts")


def test_a_script_written_the_same_in_several_places_is_checked_once_and_reported_at_each(tmp_path, monkeypatch):
    started = _started(monkeypatch, lambda argv: len(argv[4:]))
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN echo $A\nFROM debian:12\nRUN echo $A\n",
                          "api/Dockerfile": "FROM debian:12\nRUN  echo $A\nRUN echo $A\n"})
    assert lint_lines(tmp_path, ("CL416",)) == [f"Dockerfile:2:10: {SC2086}", f"Dockerfile:4:10: {SC2086}",
                                                 f"api/Dockerfile:2:11: {SC2086}", f"api/Dockerfile:3:10: {SC2086}"]
    assert started == [1]  # one copy of `echo $A`, whatever the spacing before it


def _check(root, *args) -> list[str]:
    """`composelint check` on ``root`` as a user runs it (the path that starts ShellCheck early)."""
    from click.testing import CliRunner

    from composelint.cli import cli

    result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "concise", "-q", str(root), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.output.splitlines()


EARLY_TREE = {
    "compose.yaml": "services:\n  web:\n    build:\n      context: .\n      dockerfile: build/web.txt\n"
                    "  api:\n    build: api\n",
    "build/web.txt": "FROM debian:12\nRUN echo $A\nRUN echo $LATE\n",  # a Dockerfile by the compose file's say only
    "api/Dockerfile": "FROM debian:12\nRUN echo $A\nRUN echo `date`\n",
}


def test_the_command_starts_shellcheck_before_the_compose_files_load(tmp_path, monkeypatch):
    """On the awesome-compose corpus the model build takes ~68 ms after the Dockerfiles are parsed, and the
    second core is idle meanwhile: ShellCheck's ~40 ms run there instead of beside the rules."""
    from composelint.assembly import project

    events = _started(monkeypatch)
    load = project.load_compose_file
    monkeypatch.setattr(project, "load_compose_file", lambda loader, path, *args: events.append(path)
                        or load(loader, path, *args))
    root = write_tree(tmp_path / "repo", {**EARLY_TREE, ".git/HEAD": ""})
    lines = _check(root, "--select", "CL416")
    assert events == ["shellcheck", "compose.yaml", "shellcheck"]  # the compose file's own Dockerfile comes later
    assert lines == [f"api/Dockerfile:2:10: {SC2086}", "api/Dockerfile:3:10: CL416 warning: SC2006: Use $(...) notation "
                     "instead of legacy backticks `...`",
                     "api/Dockerfile:3:10: CL416 warning: SC2046: Quote this to prevent word splitting",
                     f"build/web.txt:2:10: {SC2086}", f"build/web.txt:3:10: {SC2086}"]


def test_started_early_or_not_the_findings_are_the_same(tmp_path, monkeypatch):
    from composelint import engine

    root = write_tree(tmp_path / "repo", {**EARLY_TREE, ".git/HEAD": ""})
    early = _check(root)
    started = _started(monkeypatch, lambda argv: argv[4:])
    assert _check(root) == early
    assert [len(files) for files in started] == [2, 1]  # then only `echo $LATE`: `echo $A` was checked
    monkeypatch.setattr(engine, "early_start", lambda config: None)
    assert _check(root) == early and any("CL416" in line for line in early)


def test_nothing_starts_early_when_cl416_does_not_run(tmp_path, monkeypatch):
    started = _started(monkeypatch)
    root = write_tree(tmp_path / "repo", {**EARLY_TREE, ".git/HEAD": ""})
    assert not any("CL416" in line for line in _check(root, "--ignore", "CL416"))
    assert started == []


def test_a_build_that_fails_after_the_early_start_leaves_no_script_copy(tmp_path, monkeypatch):
    import tempfile

    from composelint.assembly import project

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(shellcheck, "MEMORY_DIRECTORY", str(scratch))
    started = _started(monkeypatch)

    def broken(*args):
        raise RuntimeError("the build broke")

    monkeypatch.setattr(project, "load_compose_file", broken)
    root = write_tree(tmp_path / "repo", {**EARLY_TREE, ".git/HEAD": ""})
    from click.testing import CliRunner

    from composelint.cli import cli

    result = CliRunner().invoke(cli, ["check", "--no-cache", str(root)])
    assert result.exit_code == 2 and started == ["shellcheck"]  # an internal error, reported
    assert list(scratch.iterdir()) == []


def test_the_copies_directory_is_new_and_private(tmp_path, monkeypatch):
    monkeypatch.setattr(shellcheck, "MEMORY_DIRECTORY", str(tmp_path))
    first, second = shellcheck._private_directory(), shellcheck._private_directory()
    assert first != second and os.path.dirname(first) == str(tmp_path)
    assert os.path.basename(first).startswith("composelint-shellcheck-")
    assert os.stat(first).st_mode & 0o777 == 0o700  # as tempfile.mkdtemp's: no other user reads the scripts


def test_an_early_start_that_fails_is_not_the_builds_failure(tmp_path, monkeypatch):
    make, calls = shellcheck._private_directory, []

    def first_fails():
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return make()

    monkeypatch.setattr(shellcheck, "_private_directory", first_fails)
    root = write_tree(tmp_path / "repo", {**EARLY_TREE, ".git/HEAD": ""})
    assert _check(root, "--select", "CL416")[:1] == [f"api/Dockerfile:2:10: {SC2086}"]  # the rule's own start
    assert len(calls) == 2


def test_many_dockerfiles_start_shellcheck_with_the_rules_not_early(tmp_path, monkeypatch):
    from composelint.assembly import project

    monkeypatch.setattr(shellcheck, "EARLY_MAX_DOCKERFILES", 0)  # the walk finds one in EARLY_TREE
    events = _started(monkeypatch)
    load = project.load_compose_file
    monkeypatch.setattr(project, "load_compose_file", lambda loader, path, *args: events.append(path)
                        or load(loader, path, *args))
    root = write_tree(tmp_path / "repo", {**EARLY_TREE, ".git/HEAD": ""})
    assert len(_check(root, "--select", "CL416")) == 5
    assert events == ["compose.yaml", "shellcheck"]
