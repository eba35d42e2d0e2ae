"""A warm session (what the server keeps between edits) finds exactly what a cold run over the same
buffers finds, edit after edit, including edits whose findings show in another file."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from helpers import REPO

from composelint.assembly.discovery import walk
from composelint.server.session import Session

APP = """services:
  web:
    build: ./app
    command: ["gunicorn", "app:app"]
    environment:
      API_URL: http://api:8000
      TAG: ${TAG}
    ports: ["8000:8000"]
  api:
    image: registry.example/api:${TAG:?set TAG}
    ports: ["8001:8000"]
"""
DOCKERFILE = """FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
ENV PYTHONUNBUFFERED=1
COPY . .
CMD ["gunicorn", "app:app"]
"""


def _project(root: Path) -> Path:
    (root / ".git").mkdir()
    (root / "app").mkdir()
    (root / "compose.yaml").write_text(APP)
    (root / ".env").write_text("TAG=1.0\n")
    (root / "app" / "Dockerfile").write_text(DOCKERFILE)
    (root / "app" / "requirements.txt").write_text("gunicorn==22.0.0\n")
    (root / "app" / "app.py").write_text("app = None\n")
    (root / "deploy.sh").write_text("#!/bin/sh\ndocker compose -f compose.yaml up -d\n")
    return root


def _findings(outcome) -> dict:
    return {path: items for path, items in outcome.by_path.items()}


def _assert_same_as_cold(root: Path, session: Session, buffers: dict) -> dict:
    warm = _findings(session.lint(buffers))
    cold = _findings(Session.open(root).lint(buffers))
    assert warm == cold
    return warm


def _codes(found: dict, path: str) -> list[str]:
    return [diagnostic.code for diagnostic in found.get(path, ())]


def test_edits_across_files_find_what_a_cold_run_finds(tmp_path):
    root = _project(tmp_path)
    session = Session.open(root)
    buffers: dict[str, str] = {}
    first = _assert_same_as_cold(root, session, buffers)
    celery = APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')
    steps = [
        # The compose file starts a program the image lacks (CL204, shown on the compose file); the
        # requirements file the Dockerfile installs gains it, then the Dockerfile stops installing it.
        ("compose.yaml", celery),
        ("app/requirements.txt", "gunicorn==22.0.0\ncelery==5.4.0\n"),
        ("app/Dockerfile", DOCKERFILE.replace("RUN pip", "RUN echo")),
        ("app/Dockerfile", DOCKERFILE),
        # An undefined host, then the service it names added.
        ("compose.yaml", APP.replace("http://api:8000", "http://cache:6379")),
        ("compose.yaml", APP.replace("http://api:8000", "http://cache:6379")
         + "  cache:\n    image: redis:7.2\n"),
        # The environment: TAG unset (the .env buffer emptied), then set again.
        (".env", ""),
        (".env", "TAG=2.0\n"),
        # The automation that deploys the file now exports the variable a `:?` requires.
        ("deploy.sh", "#!/bin/sh\nTAG=3 docker compose -f compose.yaml up -d\n"),
        (".env", "OTHER=1\n"),
        ("deploy.sh", "#!/bin/sh\ndocker compose -f compose.yaml up -d\n"),
        # Broken YAML, then the original text back.
        ("compose.yaml", APP.replace("services:", "services: [", 1)),
        ("compose.yaml", APP),
    ]
    seen = [first]
    for path, text in steps:
        buffers[path] = text
        seen.append(_assert_same_as_cold(root, session, buffers))
    # The sequence moved findings between files (otherwise it would test nothing cross-file).
    assert len({repr(sorted(found.items())) for found in seen}) >= 5
    assert ["CL204" in _codes(found, "compose.yaml") for found in seen[1:5]] == [True, False, True, False]
    assert any("CL103" in _codes(found, "compose.yaml") for found in seen)
    assert any("CL001" in _codes(found, "compose.yaml") for found in seen)
    # The variable set by the automation changes the severity of the `:?` finding (the text of the
    # automation is part of what a kept interpolation depends on).
    severities = {tuple(d.severity for d in found.get("compose.yaml", ()) if d.code == "CL005") for found in seen}
    assert len(severities) >= 2
    # Back to the files on disk: the first findings again.
    buffers.clear()
    assert _assert_same_as_cold(root, session, buffers) == first


def test_the_same_text_again_reuses_the_kept_interpolation(tmp_path):
    root = _project(tmp_path)
    session = Session.open(root)
    session.lint({})
    compose = session.last.project.compose_files["compose.yaml"]
    session.lint({"app/Dockerfile": DOCKERFILE + "# edited\n"})
    again = session.last.project.compose_files["compose.yaml"]
    assert again.root is compose.root  # interpolated and checked once, not per run
    session.lint({"compose.yaml": APP + "\n"})
    assert session.last.project.compose_files["compose.yaml"].root is not compose.root


PROJECTS = sorted({path.parent for pattern in ("compose*.y*ml", "docker-compose*.y*ml")
                   for path in (REPO / "fixtures").rglob(pattern) if "hostile" not in path.parts})


@pytest.mark.parametrize("root", PROJECTS, ids=[str(p.relative_to(REPO / "fixtures")) for p in PROJECTS])
def test_fixture_edit_sequences_match_cold_runs(root):
    session = Session.open(root)
    found = walk(root, session.config.exclude)
    buffers: dict[str, str] = {}
    _assert_same_as_cold(root, session, buffers)
    edits = []
    # Every compose file in turn (an included, extended or layered file changes the merged model
    # of the deployment that pulls it in), then a Dockerfile and the .env.
    for compose in sorted(found.compose):
        text = (root / compose).read_text(encoding="utf-8", errors="surrogateescape")
        edits += [(compose, text.replace("services:", "services:\n  added-by-test:\n    image: x:1", 1)),
                  (compose, text + "\n# edited\n"),
                  (compose, text.replace("image: ", "image: a", 1)),  # same lines: the service alone is parsed
                  (compose, text)]
    if found.dockerfiles:
        dockerfile = sorted(found.dockerfiles)[0]
        original = (root / dockerfile).read_text(encoding="utf-8", errors="surrogateescape")
        edits.append((dockerfile, original + "\nUSER root\n"))
    edits.append((".env", "PORT=1234\nTAG=latest\n"))
    for path, edited in edits:
        buffers[path] = edited
        _assert_same_as_cold(root, session, buffers)


def test_included_files_and_their_environment_reload_the_deployment(tmp_path):
    """A merged model is kept only while every file it pulled in, whether that file exists, and the
    variables of an include's env file are the same."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "compose.yaml").write_text(
        "include:\n  - path: infra/compose.yaml\n    env_file: infra/infra.env\n"
        "services:\n  web:\n    image: nginx:1.27\n    depends_on: [db]\n")
    (tmp_path / "infra" / "infra.env").write_text("DB_TAG=16\n")
    session = Session.open(tmp_path)
    buffers: dict[str, str] = {}
    seen = [_assert_same_as_cold(tmp_path, session, buffers)]
    for path, text in [
        ("infra/compose.yaml", "services:\n  db:\n    image: postgres:${DB_TAG}\n"),  # a new file appears
        ("infra/infra.env", "OTHER=1\n"),  # DB_TAG no longer set
        ("infra/infra.env", "DB_TAG=17\n"),
        ("infra/compose.yaml", "services:\n  db:\n    image: postgres:${DB_TAG}\n    privileged: true\n"),
    ]:
        buffers[path] = text
        seen.append(_assert_same_as_cold(tmp_path, session, buffers))
    assert "CL008" in _codes(seen[0], "compose.yaml") and "CL008" not in _codes(seen[1], "compose.yaml")
    assert "CL005" in _codes(seen[2], "infra/compose.yaml") and "CL005" not in _codes(seen[3], "infra/compose.yaml")
    assert "CL306" in _codes(seen[4], "infra/compose.yaml")


def test_a_replaced_model_is_freed_without_the_cyclic_collector(tmp_path):
    # The server process runs with the collector off (cli.main): a model kept alive by a cycle
    # (a derived fact holding its project) would stay in memory for every run.
    root = _project(tmp_path)
    session = Session.open(root)
    enabled = gc.isenabled()
    gc.disable()
    try:
        session.lint({})
        assert session.last.project.facts.get("probe", lambda project: project, session.last.project)
        replaced = weakref.ref(session.last.project)
        session.lint({"compose.yaml": APP + "\n"})
        assert replaced() is not None  # kept until its replacement's findings are out
        session.settle()
        assert replaced() is None
        # A run that took the facts of the last one over (those that keep their project now keep this
        # one) frees the last one too; without a settle, the next run frees it.
        replaced = weakref.ref(session.last.project)
        session.lint({"compose.yaml": APP + "\n\n"})
        assert session.carried and replaced() is not None
        session.lint({"compose.yaml": APP})
        assert replaced() is None
    finally:
        if enabled:
            gc.enable()


# ---------------------------------------------------------------- facts carried from the last run

def _carried(session: Session, root: Path, buffers: dict) -> tuple[bool, dict]:
    found = _assert_same_as_cold(root, session, buffers)
    return session.carried, found


def test_a_compose_edit_carries_the_image_facts_and_finds_what_a_cold_run_finds(tmp_path):
    root = _project(tmp_path)
    (root / "other").mkdir()
    (root / "other" / "Dockerfile").write_text(DOCKERFILE.replace("gunicorn", "celery"))
    (root / "other" / "requirements.txt").write_text("gunicorn==22.0.0\n")
    (root / "other" / "app.py").write_text("import yaml\n")
    session = Session.open(root)
    buffers: dict[str, str] = {}
    assert _carried(session, root, buffers)[0] is False  # nothing to carry from
    celery = APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')
    steps = [
        # Only the compose file changed, and the builds did not: the image facts are carried, and the
        # program the image lacks shows on the compose file (CL204).
        ("compose.yaml", celery, True, "CL204"),
        ("compose.yaml", APP, True, None),
        # Another context for the build: facts computed again (default_context differs), with the
        # other directory's missing module (CL407) and CMD.
        ("compose.yaml", APP.replace("build: ./app", "build: ./other"), False, "CL407"),
        ("compose.yaml", APP.replace("build: ./app", "build: ./other") + "\n", True, "CL407"),
        # A Dockerfile buffer: parsed again, nothing carried.
        ("other/Dockerfile", DOCKERFILE, False, None),
        # A requirements buffer: read again, nothing carried.
        ("other/requirements.txt", "gunicorn==22.0.0\npyyaml==6.0.2\n", False, None),
        ("compose.yaml", APP.replace("build: ./app", "build: ./other") + "\n\n", True, None),
    ]
    for path, text, carried, code in steps:
        buffers[path] = text
        was_carried, found = _carried(session, root, buffers)
        assert was_carried is carried, (path, text)
        if code is not None:
            assert code in {d.code for items in found.values() for d in items}, (path, code)


def test_a_compose_edit_takes_over_shellchecks_run_and_a_dockerfile_edit_runs_it_again(tmp_path, monkeypatch):
    from composelint.analysis import shellcheck

    root = _project(tmp_path)
    (root / "app" / "Dockerfile").write_text(DOCKERFILE.replace("ENV PYTHONUNBUFFERED=1", "RUN echo $HOME"))
    spawned = []
    spawn = shellcheck._Run._spawn
    monkeypatch.setattr(shellcheck._Run, "_spawn", lambda run: spawned.append(run) or spawn(run))
    session = Session.open(root)
    found = _assert_same_as_cold(root, session, {})
    assert "CL416" in _codes(found, "app/Dockerfile") and len(spawned) == 2  # this run, and the cold one
    # Only the compose file changed: the RUN scripts are the same, ShellCheck's findings too.
    found = _assert_same_as_cold(root, session, {"compose.yaml": APP + "\n"})
    assert session.carried and len(spawned) == 3 and "CL416" in _codes(found, "app/Dockerfile")
    # The Dockerfile changed: its scripts are checked again, and the finding goes with the script.
    fixed = DOCKERFILE.replace("ENV PYTHONUNBUFFERED=1", 'RUN echo "$HOME"')
    found = _assert_same_as_cold(root, session, {"compose.yaml": APP + "\n", "app/Dockerfile": fixed})
    assert len(spawned) == 5 and "CL416" not in _codes(found, "app/Dockerfile")
    # A run that found no ShellCheck is not taken over: the next one looks again.
    monkeypatch.setattr(shellcheck, "find_binary", lambda: None)
    _assert_same_as_cold(root, session, {"compose.yaml": APP, "app/Dockerfile": DOCKERFILE.replace(
        "ENV PYTHONUNBUFFERED=1", "RUN echo $HOME")})
    monkeypatch.undo()
    monkeypatch.setattr(shellcheck._Run, "_spawn", lambda run: spawned.append(run) or spawn(run))
    found = _assert_same_as_cold(root, session, {"compose.yaml": APP + "\n", "app/Dockerfile": DOCKERFILE.replace(
        "ENV PYTHONUNBUFFERED=1", "RUN echo $HOME")})
    assert session.carried and len(spawned) == 7 and "CL416" in _codes(found, "app/Dockerfile")


@pytest.mark.parametrize("event", [True, False], ids=["watched-file event", "no event"])
def test_a_file_changed_on_disk_is_read_again(tmp_path, event):
    # Not every client sends workspace/didChangeWatchedFiles (or watches every file): without the
    # event, the carry compares what the last run read with the disk instead of trusting it.
    root = _project(tmp_path)
    compose = APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')
    session = Session.open(root)
    buffers = {"compose.yaml": compose}
    assert "CL204" in _codes(_assert_same_as_cold(root, session, buffers), "compose.yaml")
    (root / "app" / "requirements.txt").write_text("gunicorn==22.0.0\ncelery==5.4.0\n")
    if event:
        session.file_changed("app/requirements.txt")
    buffers["compose.yaml"] = compose + "\n"
    carried, found = _carried(session, root, buffers)
    assert carried is False and "CL204" not in _codes(found, "compose.yaml")
    buffers["compose.yaml"] = compose
    assert _carried(session, root, buffers)[0] is True


def test_a_pragma_in_a_file_the_last_run_read_stops_the_carry(tmp_path):
    # The carried reads join this run's, and the pragmas of the files read are indexed: a read the
    # last run made for a reason this run lacks (today none is known under the same builds: the
    # guard is for the analyses to come) must not bring a pragma in.
    root = _project(tmp_path)
    session = Session.open(root)
    session.lint({})
    session.lint({"compose.yaml": APP + "\n"})
    assert session.carried
    session.last.project.facts.read_text["app/vendored.py"] = "import yaml  # composelint: ignore[CL407] -- vendored\n"
    session.lint({"compose.yaml": APP})
    assert not session.carried
    session.lint({"compose.yaml": APP + "\n"})
    assert session.carried


def test_a_compose_edit_that_leaves_a_service_undefined_in_another_file(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "app" / "requirements.txt").write_text("gunicorn==22.0.0\n")
    (tmp_path / "app" / "app.py").write_text("app = None\n")
    base = "services:\n  db:\n    image: postgres:16\n  web:\n    build: ./app\n"
    override = "services:\n  web:\n    depends_on: [db]\n    environment:\n      DB: postgres://db:5432/x\n"
    (tmp_path / "compose.yaml").write_text(base)
    (tmp_path / "compose.override.yaml").write_text(override)
    session = Session.open(tmp_path)
    buffers: dict[str, str] = {}
    first = _assert_same_as_cold(tmp_path, session, buffers)
    buffers["compose.yaml"] = base.replace("  db:\n    image: postgres:16\n", "")
    carried, found = _carried(session, tmp_path, buffers)
    assert carried is True
    assert found != first and "compose.override.yaml" in found  # the override now names no service
    buffers.clear()
    assert _carried(session, tmp_path, buffers) == (True, first)


def test_host_references_are_kept_for_the_services_an_edit_did_not_touch(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    environment:\n      API: http://api:8000\n")
    other = "services:\n  job:\n    image: busybox:1.36\n    command: [\"wget\", \"http://cache:6379\"]\n"
    (tmp_path / "b" / "compose.yaml").write_text(other)
    session = Session.open(tmp_path)
    buffers: dict[str, str] = {}
    _assert_same_as_cold(tmp_path, session, buffers)
    kept = {entry[0][0].get("image").value: entry[1] for entry in
            session.last.project.facts.table("kept:graph.host_references").values()}
    assert [ref.host for ref in kept["busybox:1.36"]] == ["cache"]
    # The other file's service (its node, environment and command) is reused; the edited one is not.
    buffers["a/compose.yaml"] = "services:\n  web:\n    image: nginx:1.27\n    environment:\n      API: http://db:5432\n"
    found = _assert_same_as_cold(tmp_path, session, buffers)
    again = {entry[0][0].get("image").value: entry[1] for entry in
             session.last.project.facts.table("kept:graph.host_references").values()}
    assert again["busybox:1.36"] is kept["busybox:1.36"] and again["nginx:1.27"] is not kept["nginx:1.27"]
    assert [ref.host for ref in again["nginx:1.27"]] == ["db"] and "CL103" in _codes(found, "a/compose.yaml")
    # The command changes: computed again (a new node), the undefined host follows.
    buffers["b/compose.yaml"] = other.replace("cache:6379", "api:8000")
    found = _assert_same_as_cold(tmp_path, session, buffers)
    assert "api" in str(found.get("b/compose.yaml", ()))


def test_services_an_edit_did_not_touch_stay_the_same_linked_objects(tmp_path):
    (tmp_path / ".git").mkdir()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "compose.yaml").write_text(f"services:\n  {name}:\n    build: .\n")
        (tmp_path / name / "Dockerfile").write_text(f'FROM python:3.12-slim\nCMD ["python", "{name}.py"]\n')
        (tmp_path / name / f"{name}.py").write_text("")
    session = Session.open(tmp_path)
    buffers: dict[str, str] = {}
    _assert_same_as_cold(tmp_path, session, buffers)

    def services() -> dict:
        return {service.name: service for deployment in session.last.project.linted_deployments()
                for service in deployment.services.values()}

    before = services()
    buffers["a/compose.yaml"] = "services:\n  a:\n    build: .\n    init: true\n"
    _assert_same_as_cold(tmp_path, session, buffers)
    after = services()
    assert after["b"] is before["b"] and after["a"] is not before["a"]
    # Its Dockerfile parsed again: linked again, to the new start command (CL203: the file is missing).
    buffers["b/Dockerfile"] = 'FROM python:3.12-slim\nCMD ["python", "missing.py"]\n'
    found = _assert_same_as_cold(tmp_path, session, buffers)
    assert services()["b"] is not after["b"] and services()["b"].effective_start.cmd.words[-1].text == "missing.py"
    assert "CL203" in {d.code for items in found.values() for d in items}


def test_settled_files_are_checked_by_their_stamp_and_a_changed_one_is_read(tmp_path, monkeypatch):
    # Files whose stamp (inode, size, times) is the one they had when read are not read again by the
    # build or the carry's check; a file rewritten on disk with no watched-file event is read again.
    import composelint.assembly.reading as reading

    monkeypatch.setattr(reading, "_SETTLED_NS", 0)  # stamps at once, instead of two seconds after a write
    read, original = [], reading._read_text
    monkeypatch.setattr(reading, "_read_text", lambda root, relpath, *args: read.append(relpath) or original(
        root, relpath, *args))
    root = _project(tmp_path)
    compose = APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')
    session = Session.open(root)
    buffers = {"compose.yaml": compose}
    session.lint(buffers)
    buffers["compose.yaml"] = compose + "\n"
    session.lint(buffers)  # the first carry reads what the analysis read, stamped from now on
    read.clear()
    buffers["compose.yaml"] = compose
    assert "CL204" in _codes(_findings(session.lint(buffers)), "compose.yaml") and session.carried
    assert read == []
    (root / "app" / "requirements.txt").write_text("gunicorn==22.0.0\ncelery==5.4.0\n")
    buffers["compose.yaml"] = compose + "\n"
    carried, found = _carried(session, root, buffers)
    assert carried is False and "CL204" not in _codes(found, "compose.yaml")


def test_a_deployed_file_of_an_unknown_environment_is_interpolated_once_per_edit(tmp_path, monkeypatch):
    # No .env is committed (the environment is unknown), and a script deploys the file: its own
    # directory's environment and the deployment's differ only by the automation, which interpolation
    # asks only in a known environment (for a required variable it may export). One interpolation.
    import composelint.assembly.compose_files as compose_files

    root = _project(tmp_path)
    (root / ".env").unlink()
    interpolated, original = [], compose_files.interpolate_root
    monkeypatch.setattr(compose_files, "interpolate_root", lambda loader, raw, environment, *args: (
        interpolated.append(environment.automation), original(loader, raw, environment, *args))[1])
    session = Session.open(root)
    buffers: dict[str, str] = {}
    for text in (APP, APP.replace("${TAG}", "${TAG:?set TAG}"), APP + "\n", APP.replace("${TAG}", "${OTHER}")):
        buffers["compose.yaml"] = text
        interpolated.clear()
        warm = session.lint(buffers)
        assert len(interpolated) == 1, interpolated
        assert _findings(warm) == _findings(Session.open(root).lint(buffers))
    assert "CL005" in _codes(_findings(warm), "compose.yaml")


def test_edits_inside_services_parse_those_alone_and_find_what_a_cold_run_finds(tmp_path):
    root = _project(tmp_path)
    anchored = "x-common: &common\n  restart: on-failure\n" + APP.replace(
        "    build: ./app", "    <<: *common\n    build: ./app").replace(
        "    image: registry", "    <<: *common\n    image: registry")
    session = Session.open(root)
    buffers = {"compose.yaml": anchored}
    seen = [_assert_same_as_cold(root, session, buffers)]

    def raw_services():
        return session.parsed._yaml["compose.yaml"][2].root.get("services")

    # Each edit keeps the lines and stays inside one service: the other service's nodes are kept.
    # Its findings move: an undefined host (CL103), a program the image lacks (CL204, shown on the
    # compose file), a build context that does not exist (the Dockerfile is built by no service).
    steps = [("web", "http://api:8000", "http://cache:800"),
             ("web", 'command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]'),
             ("web", "build: ./app", "build: ./gone"),
             ("api", "api:${TAG:?set TAG}", "api:latest"),
             ("api", 'ports: ["8001:8000"]', 'ports: "8001:8000"')]  # not a list: the schema (CL002)
    def interpolated_services():
        return session.last.project.compose_files["compose.yaml"].root.get("services")

    text = anchored
    for edited, old, new in steps:
        before, interpolated = raw_services(), interpolated_services()
        built = session.last.project.compose_files["compose.yaml"].services
        text = text.replace(old, new)
        assert text.count("\n") == anchored.count("\n")
        buffers["compose.yaml"] = text
        seen.append(_assert_same_as_cold(root, session, buffers))
        after = raw_services()
        kept = "api" if edited == "web" else "web"
        assert after.entries[kept] is before.entries[kept] and after.entries[edited] is not before.entries[edited]
        # ... and not interpolated again (no anchored node holds a variable).
        assert interpolated_services().get(kept) is interpolated.get(kept)
        assert session.last.project.compose_files["compose.yaml"].services[kept] is built[kept]  # nor built again
    assert "CL103" in _codes(seen[1], "compose.yaml") and "CL204" in _codes(seen[2], "compose.yaml")
    assert seen[3].get("app/Dockerfile") != seen[2].get("app/Dockerfile")
    assert "CL002" in _codes(seen[5], "compose.yaml") and "CL002" not in _codes(seen[4], "compose.yaml")
    assert len({repr(sorted(found.items())) for found in seen}) == len(seen)


def test_a_file_swapped_for_a_link_out_of_the_root_is_not_read_through(tmp_path, monkeypatch):
    # The stamp of each file read is checked with its directory resolved once per build: a file the
    # analysis read, replaced by a symlink that leads out of the root to that very file (the same
    # inode and times), with no watched-file event, is seen as such, as a cold run sees it.
    import composelint.assembly.reading as reading

    monkeypatch.setattr(reading, "_SETTLED_NS", 0)
    (tmp_path / "repo").mkdir()
    root = _project(tmp_path / "repo")
    outside = tmp_path / "outside"
    outside.mkdir()
    compose = APP.replace('command: ["gunicorn", "app:app"]', 'command: ["celery", "worker"]')
    (root / "app" / "requirements.txt").write_text("gunicorn==22.0.0\ncelery==5.4.0\n")
    session = Session.open(root)
    buffers = {"compose.yaml": compose}
    session.lint(buffers)
    buffers["compose.yaml"] = compose + "\n"
    before = _assert_same_as_cold(root, session, buffers)
    assert "CL204" not in _codes(before, "compose.yaml") and session.carried
    (root / "app" / "requirements.txt").rename(outside / "requirements.txt")
    (root / "app" / "requirements.txt").symlink_to(outside / "requirements.txt")
    buffers["compose.yaml"] = compose + "\n\n"
    _assert_same_as_cold(root, session, buffers)
    assert session.carried is False  # the read the carried facts rest on does not hold any more
    buffers["compose.yaml"] = compose
    _assert_same_as_cold(root, session, buffers)
    assert session.carried is True  # and from then on, what the last run found of the link does
