"""The pre-commit hooks: the manifest, what triggers them, and the real pre-commit running them.

The end-to-end tests are marked ``network``: pre-commit installs the hook's
environment with pip (this checkout plus its dependencies). Deselect them
offline with ``-m "not network"``; `.ci/run` runs them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, write_tree

from composelint.assembly.discovery import SKIP_DIRS, is_compose_name, is_dockerfile_name
from composelint.cli import cli

MANIFEST = REPO / ".pre-commit-hooks.yaml"
REFERENCE_PRE_COMMIT = Path("/tmp/tools/tv/bin/pre-commit")

# Only the input rules: these tests are about integrations, not about what the rules find.
INPUT_RULES_ONLY = "select: [CL001, CL002, CL003, CL004, CL005]\n"
BROKEN_COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    image: nginx:1.28\n"
CLEAN_COMPOSE = "services:\n  web:\n    image: nginx:1.27\n"
BROKEN_DOCKERFILE = "FROM python:3.12-slim\nRUN <<EOF\npip install flask\n"


def _hooks() -> dict[str, dict]:
    from ruamel.yaml import YAML

    return {hook["id"]: hook for hook in YAML(typ="safe").load(MANIFEST.read_text(encoding="utf-8"))}


# --------------------------------------------------------------------------- the manifest (offline)


def test_manifest_declares_the_hooks():
    hooks = _hooks()
    assert set(hooks) == {"composelint", "composelint-docker", "composelint-fix"}
    for name, hook in hooks.items():
        assert hook["language"] == "python"
        assert hook["entry"] == ("composelint check --fix-only" if name == "composelint-fix" else "composelint check")
        # composelint models the whole repository and narrows reporting to the files it is given
        assert hook["pass_filenames"] is True
        assert hook["require_serial"] is True


# Names composelint reads (True) or not (False), for the `composelint` hook's files regex.
TRIGGERS = {
    "compose.yaml": True, "compose.yml": True, "docker-compose.yml": True, "Docker-Compose.YAML": True,
    "deploy/docker-compose.infrastructure.yml": True, "compose.override.yaml": True, "app.compose.yaml": True,
    "Dockerfile": True, "Containerfile": True, "backend/Dockerfile.dev": True, "images/api.Dockerfile": True,
    "web.dockerfile": True, "test/Dockerfile-nginx-proxy-tester": True, "Dockerfile_prod": True,
    "Containerfile.arm64": True, "Dockerfiles/readme.md": False, "DockerfileLint.md": False, ".dockerignore": True, "api/Dockerfile.dockerignore": True,
    "requirements.txt": True, "backend/requirements-dev.txt": True, "requirements/base.txt": True,
    ".env": True, "agents/.env": True, ".env.production": True, "config/app.env": True,
    "README.md": False, "compose.json": False, "docker-compose.yml.bak": False, "composer.json": False,
    "dockerfile-notes.md": False, "src/app.py": False, "environment.yml": True, "Makefile": False,
    "pyproject.toml": False, "my-requirements.md": False, "src/venv.py": False, "compose-dev.yaml": True, "deploy/docker-stack.yml": True,
}


@pytest.mark.parametrize("path", sorted(TRIGGERS))
def test_files_regex_matches_what_composelint_reads(path):
    files = re.compile(_hooks()["composelint"]["files"])
    assert bool(files.search(path)) is TRIGGERS[path]
    name = path.rsplit("/", 1)[-1]
    if is_compose_name(name) or is_dockerfile_name(name):
        assert files.search(path), "every file discovery reads as a compose file or Dockerfile triggers the hook"


def test_the_fix_hook_runs_for_what_the_lint_hook_runs_for():
    hooks = _hooks()
    assert hooks["composelint-fix"]["files"] == hooks["composelint"]["files"]


def test_docker_hook_runs_only_for_dockerfiles():
    files = re.compile(_hooks()["composelint-docker"]["files"])
    for path, triggers in TRIGGERS.items():
        name = path.rsplit("/", 1)[-1]
        expected = triggers and (is_dockerfile_name(name) or name.endswith(".dockerignore"))
        assert bool(files.search(path)) is expected, path


# --------------------------------------------------------------------------- what the hook runs (offline)
#
# pre-commit runs `composelint check FILE...` from the repository root with the
# changed files: the whole repository is modelled, only what involves them is
# reported.


def _hook_run(root: Path, monkeypatch, *files: str):
    monkeypatch.chdir(root)
    return CliRunner().invoke(cli, ["check", "--format", "concise", *files])


def test_changed_files_narrow_the_report_not_the_model(tmp_path, monkeypatch):
    write_tree(tmp_path, {".git/HEAD": "", ".composelint.yaml": INPUT_RULES_ONLY, "compose.yaml": CLEAN_COMPOSE,
                          "legacy/compose.yaml": BROKEN_COMPOSE,
                          "images/Dockerfile": BROKEN_DOCKERFILE})
    assert _hook_run(tmp_path, monkeypatch, "compose.yaml").exit_code == 0
    legacy = _hook_run(tmp_path, monkeypatch, "legacy/compose.yaml")
    assert legacy.exit_code == 1
    assert legacy.output.splitlines() == [
        "legacy/compose.yaml:4:5: CL004 error: duplicate key `image`: it is already defined at line 3"]
    both = _hook_run(tmp_path, monkeypatch, "compose.yaml", "images/Dockerfile", "legacy/compose.yaml")
    assert [line.split(":")[0] for line in both.output.splitlines()] == ["images/Dockerfile", "legacy/compose.yaml"]


def test_a_changed_support_file_rechecks_the_files_beside_it(tmp_path, monkeypatch):
    # Removing LOG_LEVEL from .env breaks the compose file beside it: committing only
    # the .env must report it. Files elsewhere stay out of the report.
    write_tree(tmp_path, {
        ".git/HEAD": "",
        ".composelint.yaml": INPUT_RULES_ONLY,
        "app/compose.yaml": "services:\n  web:\n    image: nginx:1.27\n    environment:\n"
                            "      LOG_LEVEL: ${LOG_LEVEL:?set LOG_LEVEL in .env}\n",
        "app/.env": "OTHER=1\n",
        "app/requirements.txt": "flask==3.0.0\n",
        "legacy/compose.yaml": BROKEN_COMPOSE,
    })
    result = _hook_run(tmp_path, monkeypatch, "app/.env")
    assert result.exit_code == 1
    assert [line.split(": ")[1].split()[0] for line in result.output.splitlines()] == ["CL005"]
    assert result.output.startswith("app/compose.yaml:5:18:")
    assert _hook_run(tmp_path, monkeypatch, "app/requirements.txt").output == result.output
    (tmp_path / "app/.env").write_text("LOG_LEVEL=info\n")
    assert _hook_run(tmp_path, monkeypatch, "app/.env").exit_code == 0


def test_a_yaml_file_stands_for_itself_not_for_the_files_beside_it(tmp_path, monkeypatch):
    # `docker-stack.yml` is a compose file by content: committing it reports its own findings, and
    # committing a workflow beside compose files does not report them.
    write_tree(tmp_path, {".git/HEAD": "", ".composelint.yaml": INPUT_RULES_ONLY,
                          "deploy/docker-stack.yml": BROKEN_COMPOSE, "deploy/compose.yaml": BROKEN_COMPOSE,
                          "deploy/values.yaml": "replicas: 1\n"})
    stack = _hook_run(tmp_path, monkeypatch, "deploy/docker-stack.yml")
    assert [line.split(":")[0] for line in stack.output.splitlines()] == ["deploy/docker-stack.yml"]
    assert _hook_run(tmp_path, monkeypatch, "deploy/values.yaml").output == ""


# --------------------------------------------------------------------------- the real pre-commit (network)


def _pre_commit() -> list[str]:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit") or (str(REFERENCE_PRE_COMMIT) if REFERENCE_PRE_COMMIT.is_file() else None)
    if found is None:
        pytest.skip("pre-commit is not installed (it is in the `test` extra: pip install '.[test]')")
    return [found]


def _environment(tmp_path: Path) -> dict[str, str]:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = composelint tests\n\temail = tests@composelint.invalid\n"
                         "[commit]\n\tgpgsign = false\n[init]\n\tdefaultBranch = main\n")
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GIT_", "PRE_COMMIT", "VIRTUAL_ENV"))}
    env.update(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PRE_COMMIT_COLOR="never",
               GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1")
    return env


def _git(cwd: Path, env, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=120)


def _checkout_files() -> list[str]:
    """The checkout's files as a clone of it would have them, plus what is not committed yet."""
    if (REPO / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                                capture_output=True, check=True, timeout=120).stdout.decode("utf-8", "surrogateescape")
        return sorted(path for path in set(listed.split("\0")) if path and (REPO / path).is_file())
    files = []
    for directory, dirnames, filenames in os.walk(REPO):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and d not in ("build", "dist")
                       and not d.endswith(".egg-info")]
        files.extend(os.path.relpath(os.path.join(directory, name), REPO) for name in filenames)
    return sorted(files)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> Path:
    """A git repository holding this checkout's working tree, committed.

    `pre-commit try-repo` on a checkout with uncommitted changes copies only staged
    and tracked files, so a new hook file would be missed before its first commit;
    a snapshot repository tests exactly the files on disk, on a developer's machine
    and on CI's clean clone alike.
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    snapshot = tmp_path_factory.mktemp("hook-repo")
    for relpath in _checkout_files():
        target = snapshot / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relpath, target, follow_symlinks=False)
    env = _environment(tmp_path_factory.mktemp("git-env"))
    _git(snapshot, env, "init", "-q")
    _git(snapshot, env, "add", "-A")
    _git(snapshot, env, "commit", "-q", "-m", "snapshot of the composelint checkout")
    return snapshot


def _user_repo(root: Path, env, files: dict[str, str]) -> Path:
    write_tree(root, files)
    _git(root, env, "init", "-q")
    _git(root, env, "add", "-A")
    return root


def _run(command: list[str], cwd: Path, env) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


def test_manifest_is_valid_for_pre_commit(tmp_path):
    result = _run([*_pre_commit(), "validate-manifest", str(MANIFEST)], REPO, _environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.network
def test_try_repo_fails_on_a_broken_repository_and_passes_on_a_clean_one(tmp_path, hook_repo):
    pre_commit = _pre_commit()
    env = _environment(tmp_path)
    user = _user_repo(tmp_path / "user", env, {
        ".composelint.yaml": INPUT_RULES_ONLY,
        "compose.yaml": BROKEN_COMPOSE,
        "images/Dockerfile": BROKEN_DOCKERFILE,
        "README.md": "not linted\n",
    })
    broken = _run([*pre_commit, "try-repo", str(hook_repo), "composelint", "--all-files"], user, env)
    output = broken.stdout + broken.stderr
    assert broken.returncode == 1, output
    assert re.search(r"^composelint\.+Failed$", output, re.MULTILINE), output
    assert "compose.yaml:4:5: CL004 [duplicate-key] error: duplicate key `image`" in output
    assert "images/Dockerfile:2:5: CL003 [dockerfile-syntax] error: unterminated heredoc" in output

    write_tree(user, {"compose.yaml": CLEAN_COMPOSE, "images/Dockerfile": "FROM python:3.12-slim\n"})
    _git(user, env, "add", "-A")
    clean = _run([*pre_commit, "try-repo", str(hook_repo), "composelint", "--all-files"], user, env)
    output = clean.stdout + clean.stderr
    assert clean.returncode == 0, output
    assert re.search(r"^composelint\.+Passed$", output, re.MULTILINE), output


FIXABLE_COMPOSE = "version: '3.8'  # obsolete\nservices:\n  web:\n    image: nginx:1.27\n"


@pytest.mark.network
def test_the_fix_hook_fixes_and_fails_the_commit_then_passes(tmp_path, hook_repo):
    pre_commit = _pre_commit()
    env = _environment(tmp_path)
    user = _user_repo(tmp_path / "user", env, {".composelint.yaml": "select: [CL010]\n",
                                                "compose.yaml": FIXABLE_COMPOSE})
    fixed = _run([*pre_commit, "try-repo", str(hook_repo), "composelint-fix", "--all-files"], user, env)
    output = fixed.stdout + fixed.stderr
    assert fixed.returncode == 1, output  # pre-commit fails a hook that changed files
    assert re.search(r"^composelint \(apply safe fixes\)\.+Failed$", output, re.MULTILINE), output
    assert "files were modified by this hook" in output
    assert (user / "compose.yaml").read_text() == "services:\n  web:\n    image: nginx:1.27\n"
    _git(user, env, "add", "-A")
    again = _run([*pre_commit, "try-repo", str(hook_repo), "composelint-fix", "--all-files"], user, env)
    assert again.returncode == 0, again.stdout + again.stderr


def _readme_pre_commit_config() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## pre-commit\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```yaml\n(.*?)```", section, re.DOTALL).group(1)


@pytest.mark.network
def test_readme_configuration_reports_only_what_the_commit_touches(tmp_path, hook_repo):
    """The README's .pre-commit-config.yaml, pointed at this checkout, as a new user would commit."""
    pre_commit = _pre_commit()
    env = _environment(tmp_path)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_repo, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()
    config = _readme_pre_commit_config()
    assert re.search(r"^\s+- id: composelint$", config, re.MULTILINE)
    config = re.sub(r"(repo: ).*", lambda m: m.group(1) + hook_repo.as_posix(), config, count=1)
    config = re.sub(r"(rev: ).*", lambda m: m.group(1) + head, config, count=1)
    user = _user_repo(tmp_path / "user", env, {
        ".pre-commit-config.yaml": config,
        ".composelint.yaml": INPUT_RULES_ONLY,
        "compose.yaml": CLEAN_COMPOSE,
        "legacy/Dockerfile": "FROM alpine:3.20\n",
    })
    validate = _run([*pre_commit, "validate-config"], user, env)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    installed = _run([*pre_commit, "install"], user, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    first = subprocess.run(["git", "commit", "-q", "-m", "clean"], cwd=user, env=env, capture_output=True, text=True,
                           timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr  # the installed hook ran and passed

    write_tree(user, {"legacy/docker-compose.yml": BROKEN_COMPOSE})
    _git(user, env, "add", "-A")
    # Files that do not involve the broken one pass: it is modelled, not reported.
    untouched = _run([*pre_commit, "run", "--files", "compose.yaml", "legacy/Dockerfile"], user, env)
    assert untouched.returncode == 0, untouched.stdout + untouched.stderr
    touched = _run([*pre_commit, "run", "--files", "legacy/docker-compose.yml"], user, env)
    output = touched.stdout + touched.stderr
    assert touched.returncode == 1, output
    assert "legacy/docker-compose.yml:4:5: CL004" in output
    refused = subprocess.run(["git", "commit", "-q", "-m", "broken"], cwd=user, env=env, capture_output=True,
                             text=True, timeout=900)
    assert refused.returncode == 1 and "CL004" in refused.stdout + refused.stderr
