"""composelint.analysis.python_deps: what an image installs, what its code imports, and the packaged tables."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import write_tree

from composelint.analysis import python_deps as pd
from composelint.analysis.python.commands import script_commands
from composelint.analysis.python.missing import _provided_names
from composelint.assembly.project import build_project
from composelint.config import Config
from composelint.diagnostics import Position, Span
from composelint.model import Instruction

H = "EO" + "F"  # heredoc terminator, kept out of the source so shells never see it


def project_of(tmp_path: Path, files: dict[str, str]):
    write_tree(tmp_path, files)
    return build_project(tmp_path, Config())


def install_of(tmp_path: Path, dockerfile: str, files: dict[str, str] | None = None, target: str | None = None,
               context: str | None = None):
    project = project_of(tmp_path, {"Dockerfile": dockerfile, **(files or {})})
    parsed = project.dockerfiles["Dockerfile"]
    return pd.installed_python(project, parsed, parsed.stage(target), context=context)


# --------------------------------------------------------------------------- tables


def test_every_dependency_in_the_table_is_itself_listed():
    tables = pd.tables()
    missing = set()
    for name, items in list(tables.requires.items()) + [(key[0], items) for key, items in tables.extras.items()]:
        for item in items:
            parsed = pd.parse_requirement(item)
            assert parsed is not None, f"{name}: {item!r} is not a requirement"
            if parsed[0] not in tables.requires:
                missing.add((name, parsed[0]))
    assert not missing, "dependencies without an entry make the closure unknown: " + repr(sorted(missing))


def test_table_names_are_normalized_and_modules_map_to_distributions():
    tables = pd.tables()
    assert all(name == pd.normalize(name) for name in tables.requires)
    assert all(dists and all(d == pd.normalize(d) for d in dists) for dists in tables.modules.values())
    assert len(tables.requires) > 400 and len(tables.modules) > 100


@pytest.mark.parametrize("module,distribution", [
    ("yaml", "pyyaml"), ("PIL", "pillow"), ("PIL.Image", "pillow"), ("nmap", "python-nmap"),
    ("prometheus_client", "prometheus-client"), ("cv2", "opencv-python"), ("sklearn", "scikit-learn"),
    ("bs4", "beautifulsoup4"), ("dateutil", "python-dateutil"), ("jwt", "pyjwt"), ("dotenv", "python-dotenv"),
    ("google.protobuf", "protobuf"), ("google.cloud.storage", "google-cloud-storage"), ("MySQLdb", "mysqlclient"),
    ("aiohttp", "aiohttp"),
])
def test_module_map(module, distribution):
    candidates, known = pd.distribution_for_module(module)
    assert candidates[0] == distribution and known


def test_unknown_module_is_a_guess_and_the_user_map_wins():
    assert pd.distribution_for_module("acme_sdk") == (("acme-sdk",), False)
    mapped = pd.distribution_for_module("acme_sdk.client", {"acme_sdk": "Acme-Python-SDK"})
    assert mapped == (("acme-python-sdk",), True)


def test_every_distribution_provides_an_import_name():
    """The provided-name heuristics plus the table give each listed distribution at least one module."""
    tables = pd.tables()
    for name in tables.requires:
        names = _provided_names(pd.PythonInstall(frozenset({name}), True))
        assert names, name


def test_console_scripts():
    assert pd.console_scripts(["uvicorn", "Gunicorn", "Django"]) == {"uvicorn", "gunicorn", "django-admin"}
    assert pd.console_scripts(["left-pad"]) == frozenset()
    assert "celery" in pd.console_scripts(["celery"]) and "pip" in pd.console_scripts(["pip"])


@pytest.mark.parametrize("text,expected", [
    ("requests", ("requests", ())), ("Flask_SQLAlchemy>=3", ("flask-sqlalchemy", ())),
    ("uvicorn[standard]==0.30", ("uvicorn", ("standard",))), ("pkg ; python_version < '3.9'", ("pkg", ())),
    ("name @ git+https://example.com/x.git", ("name", ())),
    ("git+https://example.com/x.git#egg=Thing", ("thing", ())),
    ("./local", None), ("https://example.com/x.tar.gz", None), ("", None),
])
def test_parse_requirement(text, expected):
    assert pd.parse_requirement(text) == expected


@pytest.mark.parametrize("package,distribution", [
    ("python3-yaml", "pyyaml"), ("py3-requests", "requests"), ("python3-dev", None), ("python3-venv", None),
    ("curl", None), ("python3-nmap", "python-nmap"),
])
def test_system_packages(package, distribution):
    assert pd.system_python_package(package) == distribution


def test_base_image_packages():
    assert pd.base_image_packages("python:3.12-slim") == ("pip", "setuptools", "wheel")
    assert pd.base_image_packages("alpine:3.20") == ()
    assert pd.base_image_packages("tiangolo/uvicorn-gunicorn-fastapi:python3.11") is None
    assert pd.base_image_packages("gcr.io/distroless/python3-debian12") == ()


# --------------------------------------------------------------------------- what a stage installs


def test_requirements_with_nested_r_and_constraints(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12-slim\nWORKDIR /app\nCOPY reqs reqs\n"
                                   "RUN pip install -r reqs/prod.txt\n", {
        "reqs/prod.txt": "-r base.txt\n--constraint constraints.txt\ngunicorn  # server\n",
        "reqs/base.txt": "Flask==3.0.3 \\\n  --hash=sha256:00\n-e git+https://example.com/lib.git#egg=internal-lib\n",
        "reqs/constraints.txt": "PyYAML==6.0.2\n",
    })
    assert install.resolved and {"flask", "gunicorn", "internal-lib"} <= install.direct
    assert "pyyaml" not in install.distributions
    assert {"werkzeug", "jinja2", "markupsafe", "click", "packaging"} <= install.distributions
    assert not install.complete and install.unknown == {"internal-lib"}  # a VCS requirement the table lacks
    assert install.manifests == ("reqs/prod.txt", "reqs/base.txt")
    sources = {r.name: r.span for r in install.sources}
    assert sources["flask"].path == "reqs/base.txt" and sources["flask"].line == 1
    assert sources["gunicorn"].line == 3


def test_complete_install_answers_yes_and_no(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12-slim\nCOPY requirements.txt .\n"
                                   "RUN pip install --no-cache-dir -r requirements.txt\n",
                         {"requirements.txt": "fastapi==0.115.0\nuvicorn[standard]\n"})
    assert install.complete
    assert install.has("starlette") and install.has("pydantic-core") and install.has("uvloop")
    assert install.has("pip") and install.has("Typing_Extensions")
    assert install.has("gunicorn") is False
    assert pd.console_scripts(install.distributions) >= {"uvicorn", "pip", "watchfiles"}


def test_unknown_distribution_makes_common_dependencies_unknown(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12-slim\nRUN pip install acme-sdk flask\n")
    assert install.resolved and not install.complete and install.unknown == {"acme-sdk"}
    assert install.has("requests") is None  # acme-sdk may depend on it
    assert install.has("python-nmap") is False  # nothing known depends on it
    assert install.has("acme-tools") is None  # same vendor prefix


@pytest.mark.parametrize("dockerfile,files,reason", [
    ("FROM python:3.12\nRUN pip install -r requirements.txt\n", {"requirements.txt": "x\n"}, "not copied"),
    ("FROM python:3.12\nCOPY r.txt .\nRUN pip install -r r.txt\n", {"r.txt": ""}, "empty"),
    ("FROM python:3.12\nARG PKGS\nRUN pip install $PKGS\n", {}, "decided when the image is built"),
    ("FROM python:3.12\nRUN pip install $(cat /tmp/list)\n", {}, "decided"),
    ("FROM python:3.12\nRUN conda install numpy\n", {}, "conda"),
    ("FROM python:3.12\nRUN pip install /wheels/*.whl\n", {}, "cannot read"),
    ("FROM tiangolo/uvicorn-gunicorn:python3.11\nRUN pip install flask\n", {}, "base image"),
    ("FROM python:3.12\nCOPY --from=other/image:1 /usr/local/lib/python3.12 /usr/local/lib/python3.12\n", {},
     "another image"),
    ("FROM python:3.12\nCOPY pyproject.toml .\nRUN pip install .\n",
     {"pyproject.toml": "[project]\nname='x'\ndynamic=['dependencies']\n"}, "dynamic"),
])
def test_unreadable_installs_are_incomplete(tmp_path, dockerfile, files, reason):
    install = install_of(tmp_path, dockerfile, files)
    assert not install.resolved and not install.complete
    assert any(reason in u.reason for u in install.unresolved), install.unresolved
    assert install.has("python-nmap") is None


def test_forms_of_pip(tmp_path):
    dockerfile = f"""FROM python:3.12-slim
ENV EXTRA=httpx
RUN python3 -m pip install --upgrade pip && /venv/bin/pip3 install "redis[hiredis]>=5" $EXTRA
RUN ["python", "-m", "pip", "install", "celery"]
RUN <<{H}
set -e
uv pip install --system --index-url https://pypi.example.com/simple boto3
{H}
RUN sh -c 'sudo -H pip install --no-cache-dir "psycopg[binary]"' ; apt-get install -y python3-yaml
RUN python - <<{H}
import subprocess
subprocess.run(["pip", "install", "never-read"])
{H}
"""
    install = install_of(tmp_path, dockerfile)
    assert install.resolved, install.unresolved
    assert {"pip", "redis", "httpx", "celery", "boto3", "psycopg", "pyyaml"} <= install.direct
    assert {"hiredis", "psycopg-binary", "kombu", "botocore"} <= install.distributions
    assert "never-read" not in install.direct and "https-pypi-example-com-simple" not in install.direct


def test_pip_install_dot_reads_pyproject_with_extras(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -e '.[server]'\n", {
        "pyproject.toml": "[project]\nname = 'api'\ndependencies = ['pydantic>=2']\n"
                          "[project.optional-dependencies]\nserver = ['uvicorn']\ndocs = ['mkdocs']\n",
    })
    assert install.complete and {"api", "pydantic", "uvicorn"} <= install.direct
    assert "mkdocs" not in install.distributions and install.local_install


def test_pip_install_dot_with_individual_files_copied(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12-slim\nWORKDIR /src\nCOPY setup.cfg setup.py ./\n"
                                   "RUN pip install .\n", {
        "setup.cfg": "[metadata]\nname = svc\n[options]\ninstall_requires =\n    requests\n    click>=8\n",
        "setup.py": "from setuptools import setup\nsetup()\n",
    })
    assert install.complete and {"svc", "requests", "click"} <= install.direct


def test_setup_py_literal_and_requirements_file(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12-slim\nCOPY . /pkg\nRUN pip install /pkg\n", {
        "setup.py": "from setuptools import setup\nREQS = ['flask']\nsetup(name='pkg', install_requires=REQS)\n",
    })
    assert install.complete and {"pkg", "flask"} <= install.direct
    install = install_of(tmp_path / "b", "FROM python:3.12-slim\nCOPY . /pkg\nRUN pip install /pkg\n", {
        "setup.py": "from setuptools import setup\nsetup(name='pkg', install_requires=open('requirements.txt')"
                    ".read().splitlines())\n",
        "requirements.txt": "redis\n",
    })
    assert install.complete and "redis" in install.direct


def test_poetry_uv_pipenv_pdm(tmp_path):
    pyproject = ("[tool.poetry]\nname = 'w'\n[tool.poetry.dependencies]\npython = '^3.12'\ncelery = '^5'\n"
                 "[tool.poetry.group.dev.dependencies]\npytest = '*'\n")
    install = install_of(tmp_path / "poetry", "FROM python:3.12\nWORKDIR /w\nCOPY pyproject.toml poetry.lock ./\n"
                                              "RUN poetry install --no-root\n",
                         {"pyproject.toml": pyproject, "poetry.lock": "#\n"})
    assert install.resolved and {"celery", "pytest"} <= install.direct and "python" not in install.direct
    install = install_of(tmp_path / "poetry-main", "FROM python:3.12\nWORKDIR /w\nCOPY pyproject.toml ./\n"
                                                   "RUN poetry install --only main\n", {"pyproject.toml": pyproject})
    assert "celery" in install.direct and "pytest" not in install.direct
    install = install_of(tmp_path / "uv", "FROM python:3.12\nWORKDIR /u\nCOPY pyproject.toml uv.lock ./\n"
                                          "RUN uv sync --frozen --no-install-project\n", {
        "pyproject.toml": "[project]\nname='u'\ndependencies=['httpx']\n[dependency-groups]\ndev=['rich']\n",
        "uv.lock": "#\n"})
    assert install.complete and {"httpx", "rich"} <= install.direct
    install = install_of(tmp_path / "pipenv", "FROM python:3.12\nCOPY Pipfile* ./\n"
                                              "RUN pipenv install --system --deploy\n", {
        "Pipfile": "[packages]\nflask = '*'\n[dev-packages]\npytest = '*'\n", "Pipfile.lock": "{}\n"})
    assert install.complete and {"flask", "pytest"} <= install.direct
    install = install_of(tmp_path / "uv-r", "FROM python:3.12\nCOPY pyproject.toml .\n"
                                            "RUN uv pip install --system -r pyproject.toml --extra web\n", {
        "pyproject.toml": "[project]\nname='p'\ndependencies=['click']\n[project.optional-dependencies]\n"
                          "web=['flask']\n"})
    assert install.complete and {"click", "flask"} <= install.direct


def test_builder_venv_copied_into_runtime_stage(tmp_path):
    dockerfile = """FROM python:3.12-slim AS builder
COPY requirements.txt /tmp/
RUN python -m venv /venv && /venv/bin/pip install -r /tmp/requirements.txt

FROM python:3.12-slim AS tests
RUN pip install pytest

FROM python:3.12-slim
COPY --from=builder /venv /venv
"""
    project = project_of(tmp_path, {"Dockerfile": dockerfile, "requirements.txt": "pandas\n"})
    parsed = project.dockerfiles["Dockerfile"]
    final = pd.installed_python(project, parsed, None)
    assert final.complete and final.has("pandas") and final.has("numpy") and final.has("pytest") is False
    assert pd.installed_python(project, parsed, parsed.stage("tests")).has("pandas") is False


def test_stage_built_from_a_stage_inherits_and_workdir_follows(tmp_path):
    dockerfile = """FROM python:3.12-slim AS base
WORKDIR /srv
COPY requirements.txt .

FROM base AS app
WORKDIR app
RUN pip install -r ../requirements.txt
"""
    install = install_of(tmp_path, dockerfile, {"requirements.txt": "flask\n"}, target="app")
    assert install.complete and "flask" in install.direct


def test_bind_mount_and_copy_with_glob(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12\n"
                                   "RUN --mount=type=bind,source=req,target=/r pip install -r /r/base.txt\n"
                                   "COPY requirements*.txt /deps/\nRUN pip install -r /deps/requirements-dev.txt\n",
                         {"req/base.txt": "flask\n", "requirements-dev.txt": "pytest\n"})
    assert install.complete and {"flask", "pytest"} <= install.direct


def test_dockerignored_requirements_are_not_in_the_context(tmp_path):
    files = {"Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
             "requirements.txt": "flask\n", ".dockerignore": "*.txt\n",
             "compose.yaml": "services:\n  app:\n    build: .\n"}
    project = project_of(tmp_path, files)
    parsed = project.dockerfiles["Dockerfile"]
    install = pd.installed_python(project, parsed, None)
    assert not install.resolved


def test_a_dockerfile_no_service_builds_reads_its_dockerignore_too(tmp_path):
    # The image model read svc/.dockerignore for a Dockerfile no service builds; the Python analysis did not,
    # so an excluded requirements file (or module) still counted as copied
    files = {"svc/Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r requirements.txt\n",
             "svc/requirements.txt": "flask\n", "svc/.dockerignore": "*.txt\n"}
    project = project_of(tmp_path, files)
    parsed = project.dockerfiles["svc/Dockerfile"]
    assert not pd.installed_python(project, parsed, None, context="svc").resolved


def test_default_context_is_the_compose_build_context(tmp_path):
    files = {"docker/app.Dockerfile": "FROM python:3.12\nCOPY requirements.txt .\n"
                                      "RUN pip install -r requirements.txt\n",
             "requirements.txt": "flask\n",
             "compose.yaml": "services:\n  app:\n    build:\n      context: .\n"
                             "      dockerfile: docker/app.Dockerfile\n"}
    project = project_of(tmp_path, files)
    parsed = project.dockerfiles["docker/app.Dockerfile"]
    assert pd.default_context(project, parsed) == ""
    assert pd.installed_python(project, parsed, None).has("flask")


def test_cycles_and_bad_references_do_not_hang(tmp_path):
    dockerfile = """FROM a AS b
FROM b AS a
COPY --from=a / /
COPY --from=b /x /y
COPY --from=7 /x /y
RUN pip install -r /y/r.txt
"""
    files = {"r1.txt": "-r r2.txt\n", "r2.txt": "-r r1.txt\nflask\n"}
    install = install_of(tmp_path, dockerfile, files)
    assert not install.resolved
    install = install_of(tmp_path / "loop", "FROM python:3.12\nCOPY . .\nRUN pip install -r r1.txt\n", files)
    assert install.resolved and "flask" in install.direct


# --------------------------------------------------------------------------- RUN commands


def test_run_commands_split_like_a_shell(tmp_path):
    project = project_of(tmp_path, {"Dockerfile": "FROM alpine:3.20\n"
                                    "RUN A=1 env B=2 pip install x 2>/dev/null || { echo 'a && b'; exit 1; } ; "
                                    "cat <<EOT > /f\npip install never\nEOT\n"})
    parsed = project.dockerfiles["Dockerfile"]
    run = parsed.stages[0].instructions[0]
    commands = pd.run_commands(parsed, run, {})
    assert [c.argv for c in commands] == [("pip", "install", "x"), ("echo", "a && b"), ("exit", "1"),
                                         ("cat",)]
    assert commands[0].assignments == {"A": "1", "B": "2"}
    span = commands[0].span(0, 1)
    assert (span.line, span.column, span.end_column) == (2, 17, 28)


def test_run_commands_read_every_case_arm_and_nested_scripts(tmp_path):
    dockerfile = ("FROM python:3.12\n"
                  "RUN case \"$TARGETARCH\" in amd64) pip install alpha ;; *) sh -c 'pip3 install bravo' ;; esac\n"
                  f"RUN <<{H}\ncase x in\n  y) uv pip install c ;;\nesac\n{H}\n")
    project = project_of(tmp_path, {"Dockerfile": dockerfile})
    parsed = project.dockerfiles["Dockerfile"]
    first, second = parsed.stages[0].instructions
    commands = pd.run_commands(parsed, first, {})
    assert [c.argv for c in commands] == [("pip", "install", "alpha"), ("pip3", "install", "bravo")]
    spans = [(c.span(0, 2).line, c.span(0, 2).column, c.span(0, 2).end_column) for c in commands]
    assert spans == [(2, 34, 51), (2, 65, 83)]
    heredoc = pd.run_commands(parsed, second, {})
    assert [c.argv for c in heredoc] == [("uv", "pip", "install", "c")]
    assert (heredoc[0].span(0).line, heredoc[0].span(0).column) == (5, 6)
    assert [pd.install_command(c).tool for c in commands + heredoc] == ["pip", "pip", "uv pip"]


@pytest.mark.parametrize("command, expected", [
    ('sh -c "pip install -r requirements.txt && python app.py"', True),
    ('["tini", "--", "sh", "-c", "python -m pip install x; exec python app.py"]', True),
    ('sh -c "apt-get install -y python3-yaml && python app.py"', True),
    ('sh -c "npm install && python app.py"', False),
    ('sh -c "pipx install black && python app.py"', False),
    ('sh -c "apt-get install -y curl && python app.py"', False),
    ("python app.py", False),
])
def test_runtime_install_means_python_packages_installed_at_start(tmp_path, command, expected):
    project = project_of(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nCOPY . .\n",
                                    "compose.yaml": f"services:\n  s:\n    build: .\n    command: {command}\n"})
    (deployment,) = project.deployments
    assert pd.runtime_install(project, deployment.services["s"]) is expected


def test_runtime_install_follows_the_image_command(tmp_path):
    project = project_of(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nCMD pip install x && python app.py\n",
                                    "compose.yaml": "services:\n  s:\n    build: .\n"})
    (deployment,) = project.deployments
    assert pd.runtime_install(project, deployment.services["s"]) is True


def test_hostile_shell_text_is_bounded():
    instruction = Instruction("RUN", "", "", (), Span("Dockerfile", Position(1, 1)), "")
    text = "sh -c '" * 200 + "pip install x" + "'" * 200 + " $(" * 5000 + "'" * 3 + '"' + "\\" * 999
    start = time.perf_counter()
    script_commands(text, {}, instruction, 0)
    assert time.perf_counter() - start < 2


# --------------------------------------------------------------------------- imports


def test_runtime_imports_skip_optional_and_type_only_imports():
    source = """from __future__ import annotations
import os, yaml as y
import google.cloud.storage
from . import sibling
from prometheus_client import Counter
from typing import TYPE_CHECKING
try:
    import ujson
except ImportError:
    import json
try:
    import must_exist
except KeyError:
    pass
if TYPE_CHECKING:
    import boto3
if sys.version_info < (3, 11):
    import tomli
with open("x"):
    import in_with
if __name__ == "__main__":
    import uvicorn
def f():
    import pandas
class C:
    import numpy
"""
    refs = pd.runtime_imports(source, "app.py")
    assert [r.module for r in refs] == ["__future__", "os", "yaml", "google.cloud.storage", "prometheus_client",
                                        "typing", "must_exist", "in_with", "uvicorn"]
    yaml_ref = refs[2]
    assert (yaml_ref.span.line, yaml_ref.span.column, yaml_ref.span.end_column) == (2, 12, 16)
    prom = refs[4]
    assert (prom.span.line, prom.span.column) == (5, 6)


def test_import_columns_count_code_points():
    refs = pd.runtime_imports("x = 'é'; import nmap\n", "a.py")
    assert refs[0].span.column == 17


def test_copies_of_one_module_are_parsed_once_and_located_each_in_its_own_file(tmp_path, monkeypatch):
    from composelint.analysis.python import imports

    source = "import os\nfrom fastapi import FastAPI\nimport requests, yaml\n"
    project = project_of(tmp_path, {"a/main.py": source, "b/main.py": source, "c/main.py": "import flask\n"})
    parsed = []
    real = imports.parse_python
    monkeypatch.setattr(imports, "parse_python", lambda text: parsed.append(text) or real(text))
    found = {path: imports.file_imports(project, path) for path in ("a/main.py", "b/main.py", "c/main.py")}
    assert parsed == [source, "import flask\n"]
    assert found["b/main.py"] == imports.runtime_imports(source, "b/main.py")
    assert [(ref.module, ref.span.start.line, ref.span.start.column, ref.span.end.column)
            for ref in found["a/main.py"]] == [("os", 1, 8, 10), ("fastapi", 2, 6, 13), ("requests", 3, 8, 16),
                                                ("yaml", 3, 18, 22)]
    assert [ref.span.path for ref in found["b/main.py"]] == ["b/main.py"] * 4


@pytest.mark.parametrize("source", ["def (:\n", "\x00\x01", "(" * 300 + ")" * 300, "print 'py2'\n",
                                    "x = " + "[" * 100_000])
def test_unparsable_sources_have_no_imports(source):
    assert pd.runtime_imports(source, "bad.py") == ()


def test_stdlib_covers_old_and_new_pythons():
    stdlib = pd.stdlib_modules()
    assert {"os", "asyncio", "tomllib", "distutils", "imp", "asyncore", "sqlite3", "__future__"} <= stdlib
    assert "requests" not in stdlib


def test_application_files():
    assert pd.is_application_file("app/main.py")
    assert not pd.is_application_file("tests/test_app.py")
    assert not pd.is_application_file("app/test_views.py")
    assert not pd.is_application_file("docs/conf.py")
    assert not pd.is_application_file("setup.py") and not pd.is_application_file("tasks.py")
    assert pd.is_application_file("app/tasks.py")
    assert not pd.is_application_file("app/main.pyi")


def test_many_builds_stay_linear(tmp_path):
    services = "".join(f"  s{i}:\n    build: ./s{i}\n" for i in range(300))
    files = {"compose.yaml": "services:\n" + services}
    for i in range(300):
        files[f"s{i}/Dockerfile"] = "FROM python:3.12-slim\nCOPY . /app\nRUN pip install -r /app/requirements.txt\n"
        files[f"s{i}/requirements.txt"] = "flask\n"
        files[f"s{i}/app.py"] = "import flask\nimport nmap\n"
    project = project_of(tmp_path, files)
    start = time.perf_counter()
    found = [m for build in pd.image_builds(project) for m in pd.missing_imports(project, build)]
    assert len(found) == 300 and {m.distribution for m in found} == {"python-nmap"}
    assert time.perf_counter() - start < 10


def test_scripts_make_the_install_unknown(tmp_path):
    install = install_of(tmp_path, "FROM python:3.12\nCOPY install.sh .\nRUN chmod +x install.sh && ./install.sh\n",
                         {"install.sh": "pip install flask\n"})
    assert not install.resolved and "runs a script" in install.unresolved[0].reason
    assert install.unresolved[0].span.line == 3
    install = install_of(tmp_path / "b", "FROM python:3.12\nRUN python manage.py collectstatic\n")
    assert install.resolved


def test_generated_or_unknown_modules_are_not_guessed(tmp_path):
    files = {"compose.yaml": "services:\n  a:\n    build: ./a\n  b:\n    build: ./b\n",
             "a/Dockerfile": "FROM python:3.12-slim\nCOPY . /app\nRUN pip install --no-cache-dir grpcio-tools\n"
                             "RUN python -m grpc_tools.protoc -I/app --python_out=/app /app/api.proto\n",
             "a/api.proto": "syntax = 'proto3';\n",
             "a/server.py": "import grpc\nimport api_pb2\nimport some_generated_module\n",
             "b/Dockerfile": "FROM python:3.12-slim\nCOPY . /app\n",
             "b/server.py": "import version\nimport settings_local\nimport service_pb2_grpc\nimport leftpad\n"}
    project = project_of(tmp_path, files)
    found = {(m.span.path, m.module, m.known) for build in pd.image_builds(project)
             for m in pd.missing_imports(project, build)}
    assert found == {("b/server.py", "leftpad", False)}
