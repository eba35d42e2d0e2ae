"""The server's watch of the disk (composelint/server/watch.py): a file checked once under a watch is not
stamped again until the kernel reports a change; anything the watch cannot vouch for is checked by stamp,
and every warm run finds what a cold run finds."""

from __future__ import annotations

import os
import sys

import pytest

from composelint.server import watch
from composelint.server.session import Session

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or watch.Journal.open("/tmp") is None,
                                reason="the watch needs Linux inotify on a local file system")

COMPOSE = """services:
  web:
    build: ./app
    command: ["celery", "worker"]
"""
DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n" \
             "COPY . .\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    import composelint.assembly.reading as reading

    monkeypatch.setattr(reading, "_SETTLED_NS", 0)  # stamps at once, instead of two seconds after a write
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "compose.yaml").write_text(COMPOSE)
    (root / "app" / "Dockerfile").write_text(DOCKERFILE)
    (root / "app" / "requirements.txt").write_text("gunicorn==22.0.0\n")
    (root / "app" / "main.py").write_text("import celery\n")
    return root


@pytest.fixture
def stamped(monkeypatch):
    """The relpaths whose stamp a build checks, in order."""
    import composelint.assembly.reading as reading

    checked: list[str] = []
    check = reading.StampCheck.__call__
    monkeypatch.setattr(reading.StampCheck, "__call__",
                        lambda self, relpath, stamp: checked.append(relpath) or check(self, relpath, stamp))
    return checked


def _same_as_cold(session: Session, root, buffers: dict) -> dict:
    warm = session.lint(buffers).by_path
    assert warm == Session.open(root).lint(buffers).by_path
    return warm


def _codes(found: dict, path: str) -> set[str]:
    return {diagnostic.code for diagnostic in found.get(path, ())}


def _warm(session: Session, root, stamped: list) -> None:
    """Runs until every file read is trusted: the second checks the stamps under the watch."""
    _same_as_cold(session, root, {"compose.yaml": COMPOSE})
    _same_as_cold(session, root, {"compose.yaml": COMPOSE + "\n"})
    stamped.clear()
    _same_as_cold(session, root, {"compose.yaml": COMPOSE})
    assert stamped == []  # nothing changed on disk: no file was stamped again


def test_files_checked_under_the_watch_are_not_stamped_again_until_one_changes(project, stamped):
    session = Session.open(project)
    assert "CL204" in _codes(session.lint({}).by_path, "compose.yaml") and session.journal
    _warm(session, project, stamped)
    # Rewritten on disk, no editor event: the kernel's is enough, and only that file is checked again.
    (project / "app" / "requirements.txt").write_text("gunicorn==22.0.0\ncelery==5.4.0\n")
    found = _same_as_cold(session, project, {"compose.yaml": COMPOSE + "\n"})
    assert "CL204" not in _codes(found, "compose.yaml") and stamped == ["app/requirements.txt"]
    assert session.carried is False
    stamped.clear()
    _same_as_cold(session, project, {"compose.yaml": COMPOSE})
    assert stamped == []
    session.close()


def test_a_file_the_watch_cannot_vouch_for_is_stamped_every_run(project, stamped):
    # A second hard link: a write through it is an event of another directory.
    os.link(project / "app" / "requirements.txt", project / "requirements-copy.txt")
    session = Session.open(project)
    _same_as_cold(session, project, {"compose.yaml": COMPOSE})
    _same_as_cold(session, project, {"compose.yaml": COMPOSE + "\n"})
    stamped.clear()
    found = _same_as_cold(session, project, {"compose.yaml": COMPOSE})
    assert stamped == ["app/requirements.txt"] and "CL204" in _codes(found, "compose.yaml")
    with open(project / "requirements-copy.txt", "a") as stream:
        stream.write("celery==5.4.0\n")
    found = _same_as_cold(session, project, {"compose.yaml": COMPOSE + "\n"})
    assert "CL204" not in _codes(found, "compose.yaml")
    session.close()


def test_a_directory_moved_away_and_replaced_untrusts_everything(project, stamped):
    session = Session.open(project)
    _warm(session, project, stamped)
    (project / "app").rename(project / "old-app")
    (project / "app").mkdir()
    for name in ("Dockerfile", "main.py"):
        (project / "app" / name).write_bytes((project / "old-app" / name).read_bytes())
    (project / "app" / "requirements.txt").write_text("gunicorn==22.0.0\ncelery==5.4.0\n")
    session.files_changed()  # what an editor reports of a directory; the walk is redone
    found = _same_as_cold(session, project, {"compose.yaml": COMPOSE + "\n"})
    assert "CL204" not in _codes(found, "compose.yaml")
    assert "app/requirements.txt" not in stamped  # read again: the old one's stamp was not kept
    session.close()


def test_the_root_reached_another_way_untrusts_everything(tmp_path, project, stamped):
    above = tmp_path / "above"
    above.mkdir()
    root = project.rename(above / "repo")
    session = Session.open(root)
    _warm(session, root, stamped)
    journal = session.journal
    above.rename(tmp_path / "elsewhere")  # a directory above the root: no event in the root
    (tmp_path / "elsewhere").rename(above)
    assert journal.drain() == set()  # the same directory again
    above.rename(tmp_path / "elsewhere")
    root.mkdir(parents=True)  # the root's path leads to another directory
    assert journal.drain() is None and not journal.covers("compose.yaml", ())
    session.close()
    journal = watch.Journal.open(root)
    journal.watch(())
    root.rename(tmp_path / "moved")  # the root itself moved
    assert journal.drain() is None
    journal.close()


def test_no_journal_on_a_shared_file_system(project, monkeypatch):
    monkeypatch.setattr(watch, "file_system", lambda path: "nfs")
    assert watch.Journal.open(project) is None
    session = Session.open(project)
    assert session.lint({}) is not None and session.journal is False and session.parsed.journal is None


def _event(wd: int, mask: int, name: str = "") -> bytes:
    data = name.encode() + b"\0" * (16 - len(name) % 16) if name else b""
    return watch._EVENT.pack(wd, mask, 0, len(data)) + data


def test_events_name_the_files_and_anything_unclear_is_everything(project):
    journal = watch.Journal.open(project)
    journal.watch({"app"})
    read, write = os.pipe()
    os.set_blocking(read, False)
    os.close(journal._fd)
    journal._fd = read  # events as the kernel writes them
    app = journal._by_directory["app"]
    root = journal._by_directory[""]
    os.write(write, _event(app, watch._MODIFY, "requirements.txt") + _event(root, watch._CLOSE_WRITE, "compose.yaml"))
    assert journal.drain() == {"app/requirements.txt", "compose.yaml"}
    assert journal.drain() == set()
    for mask in (watch._Q_OVERFLOW, watch._CREATE | watch._ISDIR, watch._MOVE_SELF):
        os.write(write, _event(app if mask == watch._MOVE_SELF else root, mask, "x"))
        assert journal.drain() is None, hex(mask)
    assert "app" not in journal._by_directory  # a moved directory is no longer watched under its old name
    os.write(write, _event(999, watch._MODIFY, "x"))  # a watch it does not know
    assert journal.drain() is None
    os.close(write)
    journal.close()
    assert journal.drain() is None and not journal.covers("compose.yaml", ())


def test_file_system_reads_the_longest_mount_point(tmp_path, monkeypatch):
    mounts = tmp_path / "mountinfo"
    mounts.write_text("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                      "40 22 0:50 / /mnt/c rw - 9p drvfs rw\n"
                      "41 22 0:51 / /mnt/my\\040share rw - nfs4 server:/x rw\n")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda path, *args, **kwargs: real_open(
        mounts if path == "/proc/self/mountinfo" else path, *args, **kwargs))
    assert watch.file_system("/home/me/project") == "ext4"
    assert watch.file_system("/mnt/c/Users/me/project") == "9p"
    assert watch.file_system("/mnt/c") == "9p"
    assert watch.file_system("/mnt/cc/project") == "ext4"
    assert watch.file_system("/mnt/my share/project") == "nfs4"


def test_a_process_watches_at_most_its_share_of_the_users_watches(project, monkeypatch, stamped):
    monkeypatch.setattr(watch, "watch_budget", lambda: 1)
    session = Session.open(project)
    _same_as_cold(session, project, {"compose.yaml": COMPOSE})
    assert list(session.journal._by_directory) == [""]  # the root alone: app/ is checked by stamp
    _same_as_cold(session, project, {"compose.yaml": COMPOSE + "\n"})
    stamped.clear()
    _same_as_cold(session, project, {"compose.yaml": COMPOSE})
    assert stamped == ["app/Dockerfile", "app/requirements.txt", "app/main.py"]
    assert 0 < watch.watch_budget() < 10 ** 7
    session.close()
