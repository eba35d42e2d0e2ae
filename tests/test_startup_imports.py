"""The import budget: what start-up loads, counted with ``python -X importtime`` (modules, not seconds).

composelint runs on every commit, so start-up is a feature. A path that does not need a heavy
module must not import it: ``--version`` and ``--help`` import neither the rules nor any parser,
and no lint imports networkx (only a start-order cycle needs it) or jsonschema (only an invalid
compose file or configuration needs it, to word the finding).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("networkx", "jsonschema", "pygls", "lsprotocol", "composelint.server")  # the last three: `server` only
PARSERS = ("ruamel.yaml", "composelint.rules", "composelint.assembly.project", "composelint.engine")


def imported(*args: str, cwd: Path | None = None, output: list | None = None) -> set[str]:
    """The modules a fresh ``python -X importtime -m composelint ARGS`` imports (its stdout into ``output``)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = str(REPO)
    env["COMPOSELINT_NO_CACHE"] = "1"
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "composelint", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    if output is not None:
        output.append(result.stdout)
    modules = set()
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                modules.add(name)
    assert "composelint" in modules, "the importtime report was not read"
    return modules


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(name for name in modules if any(name == p or name.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("check", "--help")])
def test_version_and_help_import_nothing_heavy(args):
    modules = imported(*args)
    assert loaded(modules, HEAVY + PARSERS) == []


@pytest.mark.parametrize("marker", [".git", ".composelint.yaml"])
def test_a_lone_dockerfile_needs_no_graph_library_no_schema_validator(tmp_path, marker):
    if marker == ".git":
        (tmp_path / ".git").mkdir()
    else:
        (tmp_path / marker).write_text("# the project root\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\nCMD ["python", "main.py"]\n', encoding="utf-8")
    (tmp_path / "main.py").write_text("print('hi')\n", encoding="utf-8")
    modules = imported(str(tmp_path))
    assert "composelint.rules.cl401_missing_workdir" in modules  # it did lint
    assert loaded(modules, HEAVY) == []
    # No compose file: neither the deployment graph nor the service rules (families 1 and 3) load.
    assert loaded(modules, ("composelint.graph", "composelint.analysis.hosts", "composelint.analysis.service_facts",
                            "composelint.assembly.deployments", "composelint.assembly.merge",
                            "composelint.assembly.loader", "hashlib", "importlib.resources", "tempfile",
                            # the parser is BuildKit's reading alone (README, Design notes); pathspec only for a .gitignore
                            "dockerfile_parse", "pathspec")) == []
    assert [name for name in modules if name.startswith(("composelint.rules.cl1", "composelint.rules.cl3"))] == []
    if marker == ".git":  # no YAML anywhere (the packaged tables load from their JSON twins): no YAML parser
        assert loaded(modules, ("ruamel",)) == []


def test_a_valid_acyclic_compose_project_needs_neither(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".composelint.yaml").write_text("ignore: [CL404]\nfail-on: error\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx:1.27\n    depends_on: [api]\n    ports: ['8080:80']\n"
        "  api:\n    build: ./api\n    environment:\n      DB_URL: postgres://db:5432/app\n"
        "    depends_on:\n      db: {condition: service_healthy}\n"
        "  db:\n    image: postgres:16\n    healthcheck:\n      test: [CMD, pg_isready]\n", encoding="utf-8")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text("FROM python:3.12-slim\nUSER 1000\nCMD [\"python\", \"-m\", \"api\"]\n",
                                                 encoding="utf-8")
    modules = imported(str(tmp_path))
    assert "composelint.graph" in modules and "ruamel.yaml" in modules  # it modelled the deployment
    assert loaded(modules, HEAVY) == []


def test_a_finding_that_needs_them_still_imports_them(tmp_path):
    """The fast paths step aside: a cycle is taken apart by networkx, a schema error worded by jsonschema."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    image: x:1\n    depends_on: [b]\n  b:\n    image: x:1\n    depends_on: [a]\n"
        "  c:\n    image: x:1\n    restart: sometimes\n", encoding="utf-8")
    output: list[str] = []
    modules = imported(str(tmp_path), "--format", "concise", output=output)
    assert " CL104 " in output[0] and " CL002 " in output[0]
    assert {"jsonschema", "networkx"} <= modules


def test_a_cached_rerun_imports_only_the_rules_its_configuration_names(tmp_path):
    """Validating the configuration needs the options of the rules it names, not every rule's module."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".composelint.yaml").write_text("rules:\n  CL301: {require: [memory]}\n", encoding="utf-8")
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: nginx:1.27\n", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env["PYTHONPATH"] = str(REPO)
    env.pop("COMPOSELINT_NO_CACHE", None)
    first = subprocess.run([sys.executable, "-m", "composelint", str(tmp_path)], env=env, capture_output=True,
                           text=True, timeout=120)
    assert first.returncode in (0, 1), first.stderr[-2000:]
    assert (tmp_path / ".composelint_cache").is_dir()
    again = subprocess.run([sys.executable, "-X", "importtime", "-m", "composelint", str(tmp_path)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert again.stdout == first.stdout
    modules = {line.rsplit("|", 1)[1].strip() for line in again.stderr.splitlines()
               if line.startswith("import time:") and "|" in line}
    assert "composelint.parsers.interpolation" not in modules  # no model was built: the cache served the run
    # The configuration was parsed and checked by the first run (its data is kept by its text), and the
    # report printed then is printed again: no YAML parser, schema check, engine or reporter module.
    assert not modules & {"ruamel.yaml", "composelint.parsers.yaml_loader", "composelint.parsers.schema_precheck",
                          "composelint.engine", "composelint.reporters.text"}
    assert sorted(name for name in modules if name.startswith("composelint.rules.cl")) == [
        "composelint.rules.cl301_missing_resource_limits"]


def test_starting_shellcheck_imports_neither_shutil_tempfile_nor_subprocess(tmp_path):
    """ShellCheck starts while the model is built, where every import delays the whole run: shutil imports
    bz2 and lzma, tempfile shutil and random (~5 ms together on the awesome-compose corpus); subprocess
    ~2.5 ms and sysconfig ~1 ms (os.posix_spawn starts it, and a virtual environment's scripts are in its bin)."""
    import sysconfig

    beside = os.path.join(sysconfig.get_path("scripts"), "shellcheck")
    if not (os.path.isfile(beside) and os.access("/dev/shm", os.W_OK | os.X_OK)):
        pytest.skip("needs ShellCheck beside the interpreter (the test extra) and a /dev/shm to write to")
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nRUN echo $A\n", encoding="utf-8")
    output: list[str] = []
    modules = imported(str(tmp_path), "--format", "concise", output=output)
    assert "CL416 warning: SC2086" in output[0]  # ShellCheck ran
    assert loaded(modules, ("shutil", "tempfile", "bz2", "lzma")) == []
    if hasattr(os, "posix_spawn") and sys.prefix != sys.base_prefix:
        # Measured against the same run without a script: on Python 3.10 click imports subprocess itself
        # (click.types -> uuid -> platform), which ShellCheck's start then costs nothing.
        (tmp_path / "Dockerfile").write_text("FROM debian:12\nCMD [\"true\"]\n", encoding="utf-8")
        without = imported(str(tmp_path), "--format", "concise", output=[])
        assert set(loaded(modules, ("subprocess", "sysconfig"))) <= set(loaded(without, ("subprocess", "sysconfig")))
