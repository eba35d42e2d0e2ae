"""Shared test helpers: build a mini repository, lint it, get concise lines."""

from __future__ import annotations

from pathlib import Path

from composelint.config import Config, load_config, with_overrides
from composelint.engine import run
from composelint.project import build_project

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
