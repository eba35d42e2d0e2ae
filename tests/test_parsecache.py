"""Builds that reuse parsed files (the language server's ParseCache) find exactly what fresh builds find."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import REPO

from composelint.assembly.discovery import walk
from composelint.assembly.project import build_project
from composelint.config import Config, load_config
from composelint.engine import run
from composelint.parsecache import ParseCache

PROJECTS = sorted({path.parent for pattern in ("compose*.y*ml", "docker-compose*.y*ml", "Dockerfile")
                   for path in (REPO / "fixtures").rglob(pattern)
                   if "hostile" not in path.parts or path.parent.name in ("compose", "yaml")})


def _findings(root: Path, config: Config, overrides: dict, parsed=None) -> tuple:
    project = build_project(root, config, overrides, parsed=parsed)
    result = run(project, config, fork=False)
    return result.diagnostics + result.suppressed


def _config(root: Path) -> Config:
    try:
        return load_config(root)
    except Exception:
        return Config()


@pytest.mark.parametrize("root", PROJECTS, ids=[str(p.relative_to(REPO / "fixtures")) for p in PROJECTS])
def test_reused_parses_change_no_finding(root):
    config = _config(root)
    found = walk(root, config.exclude)
    edited = (found.compose or found.dockerfiles)[0]
    text = (root / edited).read_text(encoding="utf-8", errors="surrogateescape")
    parsed = ParseCache()
    fresh = _findings(root, config, {})
    assert _findings(root, config, {}, parsed) == fresh
    # Every file again: all reused, same findings.
    misses = parsed.misses
    assert _findings(root, config, {}, parsed) == fresh
    assert parsed.misses == misses and parsed.hits > 0
    # One file edited (a line appended, then a service added): that file alone is parsed again.
    for changed in (text + "\n# edited\n", text.replace("services:", "services:\n  added-by-test:\n    image: x:1", 1)):
        assert _findings(root, config, {edited: changed}, parsed) == _findings(root, config, {edited: changed})
    assert parsed.misses <= misses + 2 * (1 + len(found.compose))


def test_a_changed_environment_is_not_reused(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".env").write_text("TAG=1.0\n")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:${TAG}\n    ports: ['${PORT}:80']\n")
    config = Config()
    parsed = ParseCache()
    before = _findings(tmp_path, config, {}, parsed)
    assert any(d.code == "CL005" and "PORT" in d.message for d in before)
    after = _findings(tmp_path, config, {".env": "TAG=1.0\nPORT=8080\n"}, parsed)
    assert after == _findings(tmp_path, config, {".env": "TAG=1.0\nPORT=8080\n"})
    assert not any(d.code == "CL005" and "PORT" in d.message for d in after)


def _counting_reads(monkeypatch) -> list:
    """The paths read from disk from now on (stamps are taken at once: no two-second wait)."""
    import composelint.assembly.reading as reading

    monkeypatch.setattr(reading, "_SETTLED_NS", 0)
    read, original = [], reading._read_text

    def counted(root, relpath, *args):
        read.append(relpath)
        return original(root, relpath, *args)

    monkeypatch.setattr(reading, "_read_text", counted)
    return read


def test_a_file_that_keeps_its_stamp_is_not_read_again(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    build: ./app\n")
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12-slim\nCMD [\"python\"]\n")
    (tmp_path / "app" / ".dockerignore").write_text(".git\n")
    read = _counting_reads(monkeypatch)
    config = Config()
    parsed = ParseCache()
    first = _findings(tmp_path, config, {}, parsed)
    assert {"compose.yaml", "app/Dockerfile", "app/.dockerignore"} <= set(read)
    read.clear()
    assert _findings(tmp_path, config, {}, parsed) == first
    assert read == []  # one lstat each, no read
    # The same size, another text: the stamp (inode, times) tells, and the file is read again.
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12-slim\nCMD [\"pythom\"]\n")
    after = _findings(tmp_path, config, {}, parsed)
    assert read == ["app/Dockerfile"]
    assert after == _findings(tmp_path, config, {})


def test_a_file_read_too_soon_after_a_change_is_read_again(tmp_path, monkeypatch):
    # Within the file system's timestamp granularity an edit may keep every field of the stamp: such
    # files get none (reading._SETTLED_NS) and are read by every build.
    (tmp_path / ".git").mkdir()
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n")
    parsed = ParseCache()
    _findings(tmp_path, Config(), {}, parsed)
    read = _counting_reads(monkeypatch)
    import composelint.assembly.reading as reading

    monkeypatch.setattr(reading, "_SETTLED_NS", 10 ** 18)
    _findings(tmp_path, Config(), {}, parsed)
    _findings(tmp_path, Config(), {}, parsed)
    assert read == ["compose.yaml", "compose.yaml"]


def test_an_unchanged_dockerignore_is_not_parsed_again(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    build: ./app\n  job:\n    build: ./app\n")
    (tmp_path / "app" / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY . .\n")
    (tmp_path / "app" / ".dockerignore").write_text("*.log\n")
    config = Config()
    parsed = ParseCache()
    first = build_project(tmp_path, config, {}, parsed=parsed).dockerignores["app"]
    assert build_project(tmp_path, config, {}, parsed=parsed).dockerignores["app"] is first
    edited = build_project(tmp_path, config, {"app/.dockerignore": "*.tmp\n"}, parsed=parsed).dockerignores["app"]
    assert [p.pattern for p in edited.patterns] == ["*.tmp"]
    assert edited == build_project(tmp_path, config, {"app/.dockerignore": "*.tmp\n"}).dockerignores["app"]
