"""The second process of the language server (composelint/server/beside.py): the image and
start-command rules run there, and every run finds what a cold run over the same buffers finds,
whether that process answers, is busy, or dies."""

from __future__ import annotations

import time

import pytest
from test_incremental import APP, DOCKERFILE, _assert_same_as_cold, _codes, _project

from composelint.server import beside as beside_module
from composelint.server.session import Session

pytestmark = pytest.mark.skipif(not beside_module.available(), reason="needs POSIX and two CPUs")


@pytest.fixture
def warm(tmp_path):
    """A project and a session whose first run started the other process (then closed)."""
    root = _project(tmp_path)
    session = Session.open(root)
    session.beside_min_subjects = 0  # the fixture is small: use the process anyway
    session.lint({})  # starts the process, which builds its first model: this run does not wait for it
    assert session.beside.used == 0
    try:
        yield root, session
    finally:
        session.close()


def _settle(session: Session) -> None:
    """Wait until the process answered every run (the first one builds its model while a run goes on)."""
    deadline = time.monotonic() + 60
    while not session.beside.idle():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_the_other_process_runs_the_image_rules_and_finds_what_a_cold_run_finds(warm):
    root, session = warm
    _settle(session)
    buffers: dict[str, str] = {}
    celery = APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')
    steps = [
        ("compose.yaml", celery, "CL204"),  # the image lacks the program: found beside, shown here
        ("app/Dockerfile", DOCKERFILE.replace("WORKDIR /app\n", ""), "CL401"),
        ("app/Dockerfile", DOCKERFILE, None),
        ("compose.yaml", APP.replace("build: ./app", "build: ./missing"), "CL305"),
        ("compose.yaml", APP, None),
    ]
    for path, text, code in steps:
        buffers[path] = text
        used = session.beside.used
        found = _assert_same_as_cold(root, session, buffers)
        assert session.beside.used == used + 1, (path, code)
        if code is not None:
            assert code in {d.code for items in found.values() for d in items}, code
        _settle(session)


def test_what_changed_on_disk_and_in_the_configuration_reaches_the_other_process(warm):
    root, session = warm
    _settle(session)
    buffers = {"compose.yaml": APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')}
    assert "CL204" in _codes(_assert_same_as_cold(root, session, buffers), "compose.yaml")
    _settle(session)
    (root / "app" / "requirements.txt").write_text("gunicorn==22.0.0\ncelery==5.4.0\n")
    session.file_changed("app/requirements.txt")
    used = session.beside.used
    assert "CL204" not in _codes(_assert_same_as_cold(root, session, buffers), "compose.yaml")
    assert session.beside.used == used + 1
    _settle(session)
    (root / ".composelint.yaml").write_text("ignore: [CL401]\n")
    session.reload_config()
    buffers["app/Dockerfile"] = DOCKERFILE.replace("WORKDIR /app\n", "")
    assert "CL401" not in _codes(_assert_same_as_cold(root, session, buffers), "app/Dockerfile")


def test_a_dead_process_leaves_the_rules_to_the_server(warm):
    root, session = warm
    _settle(session)
    session.beside.process.kill()
    session.beside.process.wait()
    buffers = {"compose.yaml": APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')}
    assert "CL204" in _codes(_assert_same_as_cold(root, session, buffers), "compose.yaml")
    buffers["compose.yaml"] = APP
    _assert_same_as_cold(root, session, buffers)
    assert session.beside is False  # not started again


def test_the_server_uses_a_second_process_from_the_cli_forks_size_on(tmp_path):
    pytest.importorskip("pygls", reason="the `lsp` extra (pygls) is not installed")
    from composelint.engine import FORK_MIN_SUBJECTS
    from composelint.server.app import ComposelintServer

    root = _project(tmp_path)
    server = ComposelintServer()
    try:
        state, relpath = server.state_for((root / "compose.yaml").as_uri())
        assert relpath == "compose.yaml" and state.session.beside_min_subjects == FORK_MIN_SUBJECTS
        state.session.lint({})
        assert state.session.beside is None  # 2 services and a Dockerfile: one process
        assert Session.open(root).beside_min_subjects is None  # a session of its own never starts one
    finally:
        server.executor.shutdown(wait=True)


def test_the_server_runs_no_image_or_start_command_rule_itself_when_the_process_answers(warm, monkeypatch):
    # All of families 2 and 4 run there, the cheap image rules the CLI keeps out of its fork included
    # (engine.UNFORKED: balanced for the CLI at 10,000 services; the server has more to do alone).
    import composelint.engine as engine

    root, session = warm
    _settle(session)
    here, run_rule = [], engine._run_rule
    monkeypatch.setattr(engine, "_run_rule", lambda meta, *args: here.append(meta.code) or run_rule(meta, *args))
    session.lint({"compose.yaml": APP + "\n"})
    assert session.beside.used == 1
    assert here and not [code for code in here if code[2] in beside_module.RULES and code != "CL416"]
    assert engine.UNFORKED and "CL101" in here
    # The service rules it runs as well (each service alone) do not run here either; the others do.
    assert {"CL301", "CL302", "CL307"} <= beside_module.RULES and not {"CL301", "CL302", "CL307"} & set(here)
    assert {"CL303", "CL308"} <= set(here)
