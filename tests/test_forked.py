"""The start-command and image rules run in a forked process on large projects: same findings, same cache."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from composelint import engine, forked
from composelint.assembly import reading
from composelint.assembly.project import build_project
from composelint.cache import CACHE_DIR
from composelint.cli import cli
from composelint.config import load_config

from helpers import FIXTURES, forkable, native_threads_set_aside, write_tree  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.skipif(not forkable(), reason="needs os.fork and a second CPU")

SCENARIOS = sorted(path for path in (FIXTURES / "rules").iterdir() if path.is_dir()) + [
    FIXTURES / "incident", FIXTURES / "graph" / "platform", FIXTURES / "dockerfiles"]


def _run(root: Path, fork: bool, observed: list | None = None):
    config = load_config(root)
    project = build_project(root, config)
    if observed is None:
        return engine.run(project, config, fork=fork), project
    with reading.observing() as entries:
        result = engine.run(project, config, fork=fork)
    observed.extend(entries)
    return result, project


@pytest.mark.parametrize("root", SCENARIOS, ids=[str(p.relative_to(FIXTURES)) for p in SCENARIOS])
def test_forked_rules_find_exactly_what_a_single_process_finds(root, monkeypatch):
    together, _ = _run(root, fork=False)
    children = []
    real = forked.ForkedCall
    monkeypatch.setattr(forked, "ForkedCall", lambda function: children.append(real(function)) or children[-1])
    beside, _ = _run(root, fork=True)
    assert len(children) == 1  # the image and start-command rules did run in a child
    assert beside.diagnostics == together.diagnostics
    assert beside.suppressed == together.suppressed


def test_what_the_child_read_counts_as_read_in_the_parent():
    """The result cache's manifest and the suppression pragmas of analysed files depend on it."""
    root = FIXTURES / "incident"
    alone: list = []
    _, project_alone = _run(root, fork=False, observed=alone)
    beside: list = []
    _, project_beside = _run(root, fork=True, observed=beside)
    assert sorted(reading.export_observations(beside)) == sorted(reading.export_observations(alone))
    assert project_beside.facts.read_text == project_alone.facts.read_text
    assert any(path.endswith(".py") for path in project_beside.facts.read_text)  # read by CL407, in the child


def test_shellcheck_runs_from_the_main_process_beside_the_forked_rules(tmp_path, monkeypatch):
    """The main process, done with its own rules, only waits for the child: ShellCheck (CL416) uses that
    core instead of competing with the child's rules for theirs."""
    from composelint.analysis import shellcheck

    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write_tree(root, {"compose.yaml": "services:\n  web:\n    build: .\n",
                      "Dockerfile": "FROM debian:12\nRUN apt-get update && echo $A\nCMD [\"sleep\", \"1\"]\n"})
    together, _ = _run(root, fork=False)
    launched_by = []
    launch = shellcheck._launch
    monkeypatch.setattr(shellcheck, "_launch", lambda project: launched_by.append(os.getpid()) or launch(project))
    children = []
    real = forked.ForkedCall
    monkeypatch.setattr(forked, "ForkedCall", lambda function: children.append(real(function)) or children[-1])
    beside, _ = _run(root, fork=True)
    assert len(children) == 1 and launched_by == [os.getpid()]
    assert beside.diagnostics == together.diagnostics and any(d.code == "CL416" for d in beside.diagnostics)


def test_dockerfile_only_rules_of_the_forked_families_run_in_the_main_process(tmp_path, monkeypatch):
    """They read a Dockerfile's instructions alone, so they cost as much in either process: in the main one
    they balance the two (engine.UNFORKED); the image and start-command rules stay in the child."""
    from composelint.rules import CODES

    assert engine.UNFORKED <= set(CODES) and all(code[2] in engine.FORKED_FAMILIES for code in engine.UNFORKED)
    ran = tmp_path / "ran"
    ran.mkdir()
    real = engine._run_rule

    def run_rule(meta, *args):
        (ran / f"{meta.code}-{os.getpid()}").touch()  # a file: the child's memory dies with it
        return real(meta, *args)

    monkeypatch.setattr(engine, "_run_rule", run_rule)
    root = FIXTURES / "dockerfiles"
    beside, _ = _run(root, fork=True)
    where = dict(name.split("-") for name in os.listdir(ran))
    here = str(os.getpid())
    assert {code for code, pid in where.items() if code in engine.UNFORKED and pid == here} == \
        engine.UNFORKED & set(where)
    assert where["CL204"] != here and where["CL407"] != here and where["CL430"] == here
    together, _ = _run(root, fork=False)
    assert beside.diagnostics == together.diagnostics


@pytest.mark.parametrize("failure", ["exception", "killed"])
def test_a_failing_child_costs_time_not_findings(monkeypatch, failure):
    root = FIXTURES / "incident"
    together, _ = _run(root, fork=False)

    def broken(*args, **kwargs):
        if failure == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError("the child broke")

    monkeypatch.setattr(engine, "_forked_rules", broken)
    beside, _ = _run(root, fork=True)
    assert beside.diagnostics == together.diagnostics and any(d.code.startswith("CL4") for d in beside.diagnostics)


def test_a_refused_fork_costs_time_not_findings(monkeypatch):
    root = FIXTURES / "incident"
    together, _ = _run(root, fork=False)
    open_before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None

    def refuse():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", refuse)
    beside, _ = _run(root, fork=True)
    assert beside.diagnostics == together.diagnostics
    if open_before is not None:
        assert len(os.listdir("/proc/self/fd")) == open_before  # the pipe was closed again


def test_small_projects_are_not_forked(monkeypatch):
    calls = []
    monkeypatch.setattr(forked, "ForkedCall", lambda *a: calls.append(a))
    config = load_config(FIXTURES / "incident")
    project = build_project(FIXTURES / "incident", config)
    assert engine.subjects(project) < engine.FORK_MIN_SUBJECTS
    engine.run(project, config)
    engine.run(project, config, debug=True, fork=None)
    assert calls == []


def test_the_cache_sees_files_only_the_child_read(tmp_path, monkeypatch):
    """Editing a Python file that only CL407 (in the child) read must invalidate the cached run."""
    monkeypatch.setattr(engine, "FORK_MIN_SUBJECTS", 0)
    monkeypatch.delenv("COMPOSELINT_NO_CACHE", raising=False)
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    write_tree(root, {
        "compose.yaml": "services:\n  web:\n    build: ./web\n  db:\n    image: postgres:16\n",
        "web/Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
                          "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"main.py\"]\n",
        "web/requirements.txt": "flask==3.0\n",
        "web/main.py": "import flask\nimport yaml\n",
    })
    runner = CliRunner()
    first = runner.invoke(cli, [str(root), "--format", "concise"])
    assert "CL407" in first.output and "`yaml`" in first.output
    assert list((root / CACHE_DIR).glob("run-*"))
    (root / "web/main.py").write_text("import flask\n", encoding="utf-8")
    second = runner.invoke(cli, [str(root), "--format", "concise"])
    assert "CL407" not in second.output
    assert second.output == runner.invoke(cli, [str(root), "--format", "concise", "--no-cache"]).output


@pytest.mark.parametrize("value, forks", [("1", False), ("yes", False), ("0", True), ("", True)])
def test_composelint_no_fork_keeps_the_cli_in_one_process(tmp_path, monkeypatch, value, forks):
    monkeypatch.setattr(engine, "FORK_MIN_SUBJECTS", 0)
    monkeypatch.setenv("COMPOSELINT_NO_FORK", value)
    monkeypatch.setenv("COMPOSELINT_NO_CACHE", "1")
    children = []
    real = forked.ForkedCall
    monkeypatch.setattr(forked, "ForkedCall", lambda function: children.append(real(function)) or children[-1])
    result = CliRunner().invoke(cli, [str(FIXTURES / "incident"), "--format", "concise"])
    assert result.exit_code == 1 and " CL401 " in result.output
    assert len(children) == (1 if forks else 0)


def test_no_fork_while_other_threads_run():
    import threading

    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert forked.available() is False
    finally:
        release.set()
        worker.join()
    assert forked.available() is True


def test_no_fork_while_native_threads_run(monkeypatch):
    # Threads started outside `threading` (a C extension's, a Go runtime's) count too.
    monkeypatch.setattr(forked, "_os_threads", lambda: 3)
    assert forked.available() is False
    monkeypatch.setattr(forked, "_os_threads", lambda: 1)
    assert forked.available() is True


def test_native_threads_are_counted_by_the_os():
    assert forked._os_threads() >= 1


def test_while_the_child_works_the_parent_imports_what_comes_after_the_rules(monkeypatch):
    # The decoder of the child's findings, the suppressions, CL009 and the caller's reporter load before
    # the parent waits for the child, not after (the closing steps are the critical path's last part).
    events = []
    real = forked.ForkedCall

    class Call(real):
        def result(self):
            events.append("wait")
            return super().result()

    monkeypatch.setattr(forked, "ForkedCall", Call)
    real_load = engine.load

    def load(code):
        if code == engine.UNUSED_SUPPRESSION:
            events.append(code)
        return real_load(code)

    monkeypatch.setattr(engine, "load", load)
    root = FIXTURES / "incident"
    config = load_config(root)
    project = build_project(root, config)
    result = engine.run(project, config, fork=True, waiting=lambda: events.append("reporter"))
    assert events[:3] == [engine.UNUSED_SUPPRESSION, "reporter", "wait"]
    assert result.diagnostics == engine.run(project, config, fork=False,
                                            waiting=lambda: events.append("reporter")).diagnostics
    assert events.count("reporter") == 1  # one process: nothing to wait for


def test_the_schema_check_waits_until_the_forked_rules_have_their_model(tmp_path, monkeypatch):
    """The forked rules read no parse problem: the build leaves each compose file's schema check as
    interpolated (~6 ms of the awesome-compose corpus's build) to the main process, which runs it once the
    child has its copy of the model (build_project's ``later``, engine.run's ``finish``): same findings."""
    from composelint.assembly import project as assembly

    root = write_tree(tmp_path, {"compose.yaml": "services:\n  web:\n    build: .\n    restart_policy: always\n",
                                 "Dockerfile": "FROM debian:12\nRUN apt-get install curl\nCMD [\"sleep\", \"1\"]\n"})
    config = load_config(root)
    expected = engine.run(build_project(root, config), config, fork=False)
    assert any(d.code == "CL002" for d in expected.diagnostics) and any(d.code == "CL409" for d in expected.diagnostics)
    events = []
    check = assembly.report_env_problems
    monkeypatch.setattr(assembly, "report_env_problems", lambda loader: events.append("schema") or check(loader))
    real = forked.ForkedCall
    monkeypatch.setattr(forked, "ForkedCall", lambda function: events.append("fork") or real(function))
    for fork, order in ((True, ["fork", "schema"]), (False, ["schema"])):
        events.clear()
        later = []
        project = build_project(root, config, later=later)
        assert events == [] and not any(problem.code == "CL002" for problem in project.problems)
        result = engine.run(project, config, fork=fork, finish=later[0])
        assert events == order
        assert result.diagnostics == expected.diagnostics
