"""How composelint reaches users: its container image, its published configuration schema, pre-commit pins.

No Docker engine is assumed: the image's Dockerfile is checked by composelint's own rules and
by BuildKit's parser (the `dockerfile` package of the test extra), not built.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import REPO, write_tree

from composelint.cli import cli

DOCKERFILE = REPO / "Dockerfile"
SCHEMA = REPO / "composelint" / "data" / "composelint.schema.json"
SCHEMA_URL = "https://raw.githubusercontent.com/composelint/composelint/main/composelint/data/composelint.schema.json"


# --------------------------------------------------------------------------- the container image


def test_composelint_finds_nothing_in_its_own_dockerfile():
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "json", "--fail-on", "info",
                                      "--select", "CL", str(DOCKERFILE)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["diagnostics"] == []


def test_the_image_is_multi_stage_non_root_and_pinned():
    from composelint.parsers.dockerfile import parse_dockerfile

    dockerfile = parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"), "Dockerfile")
    assert len(dockerfile.stages) == 2
    final = dockerfile.stages[-1]
    users = [i for i in final.instructions if i.keyword == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*", users[-1].arguments.strip()), "the final stage must run as a numeric non-root user"
    for stage in dockerfile.stages:
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", stage.base.value), stage.base.value


def test_every_copied_source_is_admitted_by_the_dockerignore():
    from composelint.parsers.dockerignore import IgnoreMatcher, parse_dockerignore

    ignore = IgnoreMatcher(parse_dockerignore((REPO / ".dockerignore").read_text(encoding="utf-8"), ".dockerignore"))
    for source in ("pyproject.toml", "README.md", "composelint/cli.py", "composelint/data/composelint.schema.json",
                   "rules/CL201-runtime-install.md"):
        assert not ignore.is_excluded(source), source
    for other in ("tests/test_cli.py", "fixtures/incident/docker-compose.yml", ".venv/bin/python", ".git/HEAD"):
        assert ignore.is_excluded(other), other


def test_buildkit_parses_the_dockerfile_as_we_do():
    buildkit = pytest.importorskip("dockerfile", reason="BuildKit's parser (`dockerfile`) is in the test extra")
    from composelint.parsers.dockerfile import parse_dockerfile

    text = DOCKERFILE.read_text(encoding="utf-8")
    theirs = [(c.cmd.upper(), c.start_line, c.end_line) for c in buildkit.parse_string(text)]
    ours = [(i.keyword, i.span.start.line, i.span.end.line)
            for i in parse_dockerfile(text, "Dockerfile").instructions]
    assert ours == theirs


def test_readme_documents_running_the_image():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert 'docker run --rm -v "$PWD:/src:ro" composelint' in readme
    assert "## Container image" in (REPO / "docs" / "integrations.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the configuration schema


def test_published_schema_is_current():
    from composelint.dev import schema_text

    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), "run `python -m composelint.dev schema`"


def test_published_schema_is_a_valid_schema_that_knows_every_rule_option():
    import jsonschema

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_URL
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid({"select": ["CL"], "rules": {"CL301": {"require": ["memory"]}}})
    assert not validator.is_valid({"rules": {"CL301": {"requier": ["memory"]}}})
    assert not validator.is_valid({"selct": ["CL"]})


def test_readme_config_example_is_valid_against_the_published_schema():
    import jsonschema
    from ruamel.yaml import YAML

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Configuration"):readme.index("## Suppressing a finding")]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert blocks
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    for block in blocks:
        errors = [e.message for e in validator.iter_errors(YAML(typ="safe").load(block))]
        assert errors == [], block
    assert f"# yaml-language-server: $schema={SCHEMA_URL}" in readme
    url_path = SCHEMA_URL.split("/main/", 1)[1]
    assert (REPO / url_path).is_file()


def test_config_schema_command_prints_the_published_file():
    result = CliRunner().invoke(cli, ["config-schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(SCHEMA.read_text(encoding="utf-8"))


@pytest.mark.network
def test_the_wheel_ships_the_schema_and_the_rule_pages(tmp_path):
    import sys
    import zipfile

    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path),
                            str(REPO)], capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("composelint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "composelint/data/composelint.schema.json" in names
    assert {"composelint/data/graph-page.html", "composelint/data/graph.css"} <= names  # `graph --format html`
    assert "composelint/_docs/CL201-runtime-install.md" in names


# --------------------------------------------------------------------------- pre-commit pins


def test_readme_pre_commit_rev_names_no_tag_that_does_not_exist():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    revs = re.findall(r"^\s*rev:\s*(\S+)", readme, re.M)
    assert revs
    tags = set()
    if shutil.which("git") and (REPO / ".git").exists():
        tags = set(subprocess.run(["git", "tag"], cwd=REPO, capture_output=True, text=True).stdout.split())
    for rev in revs:
        assert rev == "main" or rev in tags, f"README pins pre-commit to `{rev}`, which is no branch or tag here"
    assert "pre-commit autoupdate --freeze" in readme


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_autoupdate_freeze_pins_a_commit_without_any_tag(tmp_path):
    # What the README tells a user to run, against a tagless copy of this repository.
    import importlib.util
    import sys

    if importlib.util.find_spec("pre_commit") is None:
        pytest.skip("pre-commit is not installed (it is in the `test` extra)")
    upstream = tmp_path / "upstream"
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    write_tree(upstream, {".pre-commit-hooks.yaml": (REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")})
    subprocess.run([*git, "init", "-q", str(upstream)], check=True)
    subprocess.run([*git, "-C", str(upstream), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(upstream), "commit", "-qm", "hooks"], check=True)
    head = subprocess.run(["git", "-C", str(upstream), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    user = tmp_path / "user"
    write_tree(user, {".pre-commit-config.yaml": f"repos:\n  - repo: {upstream.as_uri()}\n    rev: main\n"
                                                 "    hooks:\n      - id: composelint\n"})
    subprocess.run([*git, "init", "-q", str(user)], check=True)
    done = subprocess.run([sys.executable, "-m", "pre_commit", "autoupdate", "--freeze"], cwd=user, capture_output=True, text=True,
                          env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
                               "PRE_COMMIT_HOME": str(tmp_path / "cache")}, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"rev: {head}" in (user / ".pre-commit-config.yaml").read_text(encoding="utf-8")
