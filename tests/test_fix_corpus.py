"""`--fix` on temporary copies of ../shared/corpus (awesome-compose and each real repository).

For every project: `--fix --unsafe-fixes` reaches a fixed point (a re-run offers no fix and abandons
none), the `--diff` of a fresh copy applies with `git apply` and gives the same tree, and for every
compose file a fix changed, the real `docker compose config` of the fixed file equals the original's
but for the fields the fixes set (`init: true` on the services CL205 fixed). Skipped, with the reason,
without the corpus, git or the Compose binary.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import CORPUS, COMPOSE_MISSING, compose_binary
from test_fix import lint

PROJECTS = ([CORPUS / "awesome-compose"] if (CORPUS / "awesome-compose").is_dir() else []) + sorted(
    path for path in (CORPUS / "real").glob("*") if path.is_dir())
BINARY = compose_binary()

pytestmark = [
    pytest.mark.oracle,
    pytest.mark.skipif(not PROJECTS, reason="../shared/corpus is not present"),
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
]


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, symlinks=True)
    (target / ".git").mkdir(exist_ok=True)
    for path in target.rglob("*"):  # the corpus is read-only (and --fix refuses read-only files)
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)
    return target


def _tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and not path.is_symlink() and ".git" not in path.relative_to(root).parts}


def _config(root: Path, path: Path):
    """`docker compose config` of one file, from its directory, with no environment; the copy's own
    directories (the file's, the project root's: `build: ../`) written as placeholders."""
    done = subprocess.run([str(BINARY), "-f", str(path), "-p", "oracle", "config", "--format", "json"],
                          cwd=path.parent, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        # Compose's warning about `version:` is what CL010's fix removes: the rest must be the same
        # (but for the time of each message).
        lines = [re.sub(r'^time="[^"]*" ', "", line) for line in done.stderr.splitlines()
                 if "the attribute `version` is obsolete" not in line]
        return None, _placeholders("\n".join(lines), root, path).strip()
    return json.loads(_placeholders(done.stdout, root, path)), None


def _placeholders(text: str, root: Path, path: Path) -> str:
    return text.replace(str(path.parent), "<dir>").replace(str(root), "<root>")


@pytest.mark.parametrize("source", PROJECTS, ids=[path.name for path in PROJECTS])
def test_fix_on_the_corpus(source, tmp_path):
    original = _copy(source, tmp_path / "original")
    fixed = _copy(source, tmp_path / "fixed")
    before = json.loads(lint(fixed, "--format", "json", "--unsafe-fixes").stdout)["diagnostics"]
    fixable = [d for d in before if d["fix"] is not None]
    done = lint(fixed, "--fix", "--unsafe-fixes", "--fail-on", "never")
    assert done.exit_code == 0, done.output
    assert "fix abandoned" not in done.output
    after = json.loads(lint(fixed, "--format", "json", "--unsafe-fixes").stdout)["diagnostics"]
    assert [d for d in after if d["fix"] is not None] == []
    gone = {(d["code"], d["path"], d["message"]) for d in fixable} - {(d["code"], d["path"], d["message"])
                                                                     for d in after}
    assert len(gone) == len({(d["code"], d["path"], d["message"]) for d in fixable})

    original_tree = _tree(original)
    changed = {path for path, data in _tree(fixed).items() if original_tree.get(path) != data}
    assert changed == {d["fix"]["edits"][0]["path"] for d in fixable}

    patched = _copy(source, tmp_path / "patched")
    shown = lint(patched, "--diff", "--unsafe-fixes")
    assert shown.exit_code == (1 if changed else 0)
    if changed:
        patch = tmp_path / "fix.patch"
        patch.write_bytes(shown.stdout_bytes)
        subprocess.run(["git", "apply", str(patch)], cwd=patched, check=True, capture_output=True)
    assert _tree(patched) == _tree(fixed)

    if BINARY is None:
        pytest.skip(COMPOSE_MISSING)
    init_added = {}
    for d in fixable:
        if d["code"] == "CL205":
            init_added.setdefault(d["fix"]["edits"][0]["path"], set()).add(d["subject"].split("'")[1])
    for path in sorted(changed):
        if not path.endswith((".yml", ".yaml")):
            continue
        was, was_error = _config(original, original / path)
        now, now_error = _config(fixed, fixed / path)
        assert (was is None) == (now is None), f"{path}: {was_error or now_error}"
        if was is None:
            assert now_error == was_error
            continue
        for name in init_added.get(path, ()):
            assert now["services"][name].pop("init") is True and "init" not in was["services"][name]
        assert now == was, path
