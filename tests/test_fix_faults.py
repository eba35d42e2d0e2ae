"""Writing fixed files (composelint/safewrite.py): each fault leaves every file old or new, never
half-written, no temporary file behind, and ends the run with one clear line and exit code 2."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest
from test_fix import lint

from composelint import safewrite

DOCKERFILE = "FROM python:3.12-slim\nWORKDIR /app\nRUN pip install flask\nUSER nobody\nCMD [\"flask\", \"run\"]\n"
FIXED = DOCKERFILE.replace("install", "install --no-cache-dir")


def _project(tmp_path: Path, count: int = 1) -> Path:
    root = tmp_path / "p"
    root.mkdir()
    (root / ".git").mkdir()
    for index in range(count):
        directory = root / f"svc{index}"
        directory.mkdir()
        (directory / "Dockerfile").write_text(DOCKERFILE)
    return root


def _texts(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): path.read_text() for path in sorted(root.rglob("*"))
            if path.is_file() and ".git" not in path.parts}


def _no_temporary_files(root: Path) -> None:
    assert not [path for path in root.rglob("*") if path.name.endswith(safewrite.TEMP_SUFFIX)]


def _fails(done, *words: str) -> None:
    assert done.exit_code == 2, done.output
    message = [line for line in done.output.splitlines() if line.startswith("composelint: error:")]
    assert len(message) == 1, done.output
    for word in words:
        assert word in message[0]
    assert "Traceback" not in done.output


def test_a_fixed_file_keeps_its_mode(tmp_path):
    root = _project(tmp_path)
    path = root / "svc0" / "Dockerfile"
    path.chmod(0o640)
    assert lint(root, "--select", "CL402", "--fix").exit_code == 0
    assert path.read_text() == FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    _no_temporary_files(root)


def test_a_read_only_file_is_refused(tmp_path):
    # The write bit is what the user said, whoever runs composelint (root could write it anyway).
    root = _project(tmp_path, 2)
    (root / "svc1" / "Dockerfile").chmod(0o444)
    _fails(lint(root, "--select", "CL402", "--fix"), "svc1/Dockerfile", "read-only", "no file was changed")
    assert _texts(root) == {"svc0/Dockerfile": DOCKERFILE, "svc1/Dockerfile": DOCKERFILE}
    _no_temporary_files(root)


def test_a_file_changed_between_read_and_write_is_refused(tmp_path, monkeypatch):
    from composelint import fixing

    root = _project(tmp_path)
    path = root / "svc0" / "Dockerfile"
    real = fixing.fix_project

    def edited_meanwhile(*args, **kwargs):
        outcome = real(*args, **kwargs)
        path.write_text(DOCKERFILE + "# saved in the editor meanwhile\n")
        return outcome

    monkeypatch.setattr(fixing, "fix_project", edited_meanwhile)
    _fails(lint(root, "--select", "CL402", "--fix"), "svc0/Dockerfile", "changed on disk")
    assert path.read_text() == DOCKERFILE + "# saved in the editor meanwhile\n"
    _no_temporary_files(root)


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text(DOCKERFILE)
    root = tmp_path / "p"
    root.mkdir()
    (root / "Dockerfile").symlink_to(outside / "Dockerfile")
    with pytest.raises(safewrite.WriteError, match="outside the project root"):
        safewrite.write_all(str(root), [safewrite.Change("Dockerfile", safewrite.digest(DOCKERFILE.encode()),
                                                         FIXED.encode())])
    assert (outside / "Dockerfile").read_text() == DOCKERFILE
    # composelint does not read it either, so `--fix` has nothing to write there
    (root / ".git").mkdir()
    lint(root, "--select", "CL402", "--fix")
    assert (outside / "Dockerfile").read_text() == DOCKERFILE


def test_a_symlink_inside_the_root_writes_its_target(tmp_path):
    root = _project(tmp_path)
    (root / "Dockerfile").symlink_to(root / "svc0" / "Dockerfile")
    safewrite.write_all(str(root), [safewrite.Change("Dockerfile", safewrite.digest(DOCKERFILE.encode()),
                                                     FIXED.encode())])
    assert (root / "Dockerfile").is_symlink()
    assert (root / "svc0" / "Dockerfile").read_text() == FIXED


def _fail_second_call(monkeypatch, name: str, error: BaseException) -> None:
    """``safewrite.os.<name>`` raises ``error`` on its second call (the second file's step)."""
    real = getattr(os, name)
    calls = []

    def failing(*args):
        calls.append(args)
        if len(calls) == 2:
            raise error
        return real(*args)

    monkeypatch.setattr(safewrite.os, name, failing)


@pytest.mark.parametrize("files, call, error, messages", [
    # the second file's temporary copy
    (3, "write", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
     ("svc1/Dockerfile", "the disk is full", "no file was changed")),
    (2, "fsync", KeyboardInterrupt(), ("interrupted", "no file was changed")),
], ids=["a full disk", "an interrupt while writing temporary files"])
def test_a_fault_before_any_file_is_replaced_changes_no_file(tmp_path, monkeypatch, files, call, error, messages):
    root = _project(tmp_path, files)
    _fail_second_call(monkeypatch, call, error)
    _fails(lint(root, "--select", "CL402", "--fix"), *messages)
    assert set(_texts(root).values()) == {DOCKERFILE}
    _no_temporary_files(root)


def test_an_interrupt_between_files_leaves_each_file_old_or_new(tmp_path, monkeypatch):
    root = _project(tmp_path, 3)
    _fail_second_call(monkeypatch, "replace", KeyboardInterrupt())
    _fails(lint(root, "--select", "CL402", "--fix"), "interrupted", "written: svc0/Dockerfile")
    assert _texts(root) == {"svc0/Dockerfile": FIXED, "svc1/Dockerfile": DOCKERFILE, "svc2/Dockerfile": DOCKERFILE}
    _no_temporary_files(root)


def test_a_failed_rename_names_what_was_written(tmp_path, monkeypatch):
    root = _project(tmp_path, 2)
    _fail_second_call(monkeypatch, "replace", OSError(errno.EIO, os.strerror(errno.EIO)))
    _fails(lint(root, "--select", "CL402", "--fix"), "svc1/Dockerfile", "already written: svc0/Dockerfile")
    assert _texts(root) == {"svc0/Dockerfile": FIXED, "svc1/Dockerfile": DOCKERFILE}
    _no_temporary_files(root)


def test_diff_never_writes(tmp_path, monkeypatch):
    root = _project(tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("--diff wrote a file")

    monkeypatch.setattr(safewrite, "write_all", refuse)
    assert lint(root, "--select", "CL402", "--diff").exit_code == 1
    assert _texts(root) == {"svc0/Dockerfile": DOCKERFILE}
