"""Image-build rules CL402-CL405 and CL407 on the incident, options and the real-world corpus.

Their scenario trees (``fixtures/rules/CL40x-<scenario>/``) run in test_rule_scenarios.py.
"""

from __future__ import annotations

import pytest
from helpers import CORPUS, FIXTURES, lint, lint_lines, write_tree

from composelint.assembly.project import build_project
from composelint.config import Config, with_overrides
from composelint.engine import run

CODES = ("CL402", "CL403", "CL404", "CL405", "CL407")


# --------------------------------------------------------------------------- the incident


def test_incident_backend_imports_missing_from_requirements():
    result = lint(FIXTURES / "incident", select=("CL407",))
    found = [(d.span.path, d.span.line, d.span.column, d.help) for d in result.diagnostics]
    assert found == [
        ("backend/app/main.py", 3, 8, "add `aiohttp` to `backend/requirements.txt`"),
        ("backend/app/main.py", 4, 8, "add `python-nmap` to `backend/requirements.txt`"),
        ("backend/app/main.py", 7, 6, "add `prometheus-client` to `backend/requirements.txt`"),
    ]
    first = result.diagnostics[0]
    assert first.subject == "service 'backend'"
    notes = [(r.span.path, r.span.line, r.message) for r in first.related]
    assert ("backend/Dockerfile", 4, "the image installs its Python requirements here") in notes
    # Who builds the image is in the structured field (the text note "built by service 'backend'").
    assert [(ref.name, ref.span.path, ref.span.line, ref.relation) for ref in first.services] == [
        ("backend", "docker-compose.yml", 30, "build")]


def test_incident_has_no_other_build_errors():
    result = lint(FIXTURES / "incident", select=CODES)
    errors = [d for d in result.diagnostics if d.severity.label == "error"]
    assert {d.span.path for d in errors} == {"backend/app/main.py"}


# --------------------------------------------------------------------------- CL407 details


BACKEND = {
    "compose.yaml": "services:\n  api:\n    build: ./api\n  api-worker:\n    build: ./api\n",
    "api/Dockerfile": "FROM python:3.12-slim\nCOPY requirements.txt .\n"
                      "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . /app\n",
    "api/requirements.txt": "flask==3.0.3\n",
    "api/app.py": "import flask\nimport acme_sdk  # composelint: ignore[missing-python-dependency] -- vendored\n"
                  "import nmap\n",
}


def test_one_image_shared_by_two_services_is_one_finding(tmp_path):
    write_tree(tmp_path, BACKEND)
    lines = lint_lines(tmp_path, select=("CL407",))
    assert lines == ["api/app.py:3:8: CL407 error: `nmap` is imported but not installed in the image built from "
                     "`api/Dockerfile`: the import raises ModuleNotFoundError"]


def test_suppression_on_the_import_line(tmp_path):
    write_tree(tmp_path, BACKEND)
    result = lint(tmp_path, select=("CL407",))
    assert [(d.span.line, d.suppression) for d in result.suppressed] == [(2, "api/app.py:2: vendored")]


def test_unknown_module_help_names_a_probable_distribution(tmp_path):
    write_tree(tmp_path, BACKEND)
    diagnostics = lint(tmp_path, select=("CL407",), inline_ignores=False).diagnostics
    assert [d.help for d in diagnostics] == [
        "add the distribution that provides `acme_sdk` (on PyPI probably `acme-sdk`) to `api/requirements.txt`; "
        "if it is your own code, copy it into the image",
        "add `python-nmap` to `api/requirements.txt`",
    ]


def test_module_map_option(tmp_path):
    write_tree(tmp_path, {**BACKEND, "api/requirements.txt": "flask==3.0.3\nacme-python-sdk==1\n"
                                                             "python-nmap==0.7.1\n",
                          ".composelint.yaml": "rules:\n  CL407:\n    module-map: [\"acme_sdk=acme-python-sdk\"]\n"})
    assert lint_lines(tmp_path, select=("CL407",), inline_ignores=False) == []


def test_image_without_pip_install_names_the_run_step_to_add(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nCOPY main.py /app/\n"
                                        "CMD [\"python\", \"/app/main.py\"]\n",
                          "main.py": "import requests\n"})
    diagnostics = lint(tmp_path, select=("CL407",)).diagnostics
    assert [d.help for d in diagnostics] == ["install it in the image: `RUN pip install --no-cache-dir requests`"]
    assert diagnostics[0].related[0].message.startswith("the image is built from here")


def test_code_only_in_the_context_but_never_copied_is_not_checked(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nCOPY app.py /app/\n",
                          "app.py": "import os\n", "scripts/deploy.py": "import fabric\n",
                          "notes.py": "import matplotlib\n"})
    assert lint_lines(tmp_path, select=("CL407",)) == []


def test_rules_survive_hostile_inputs(tmp_path):
    write_tree(tmp_path, {
        "Dockerfile": "FROM python:3.12\nCOPY . .\nRUN pip install -r r.txt -e . $(x) \"unterminated\n"
                      "RUN --mount=type=bind pip install -r /nope\nCOPY --from= / /\nUSER\nFROM\n",
        "r.txt": "-r r.txt\n-e\n--requirement\n[bad\n" + "x" * 10_000 + "\n",
        "pyproject.toml": "[project\nname=",
        "setup.py": "setup(install_requires=",
        "a.py": "import " + "a." * 5000 + "b\n",
        "b.py": b"\xff\xfe import os",
        "deep.py": "if True:\n" + "".join(" " * i + "if x:\n" for i in range(1, 200)) + " " * 200 + "import y\n",
    })
    result = lint(tmp_path, select=CODES)
    assert all(d.code != "CL000" for d in result.diagnostics)


# --------------------------------------------------------------------------- the real-world corpus


@pytest.mark.skipif(not (CORPUS / "awesome-compose").is_dir(), reason="the shared corpus is not checked out here")
def test_corpus_has_no_build_errors_and_known_counts():
    """Every finding here was read and judged in review (see the rule pages); errors must stay at zero."""
    config = with_overrides(Config(), select=CODES)
    project = build_project(CORPUS / "awesome-compose", config)
    diagnostics = run(project, config).diagnostics
    counts = {code: sum(1 for d in diagnostics if d.code == code) for code in CODES}
    assert counts["CL407"] == 0 and counts["CL403"] == 0
    assert [d.span.path for d in diagnostics if d.code == "CL402"] == ["nginx-wsgi-flask/flask/Dockerfile"] * 2
    assert sorted(d.span.path for d in diagnostics if d.code == "CL405") == [
        "nginx-wsgi-flask/flask/Dockerfile", "vuejs/vuejs/Dockerfile"]
    assert not [d for d in diagnostics if d.severity.label == "error"]


@pytest.mark.parametrize("reference", [
    "bitnami/redis:7", "docker.io/bitnami/redis", "cgr.dev/chainguard/python:latest", "nginxinc/nginx-unprivileged",
    "gcr.io/distroless/python3:nonroot", "gcr.io/distroless/python3:latest", "postgres", "postgres:16", "postgresql",
    "mcr.microsoft.com/windows/servercore:ltsc2022", "python:3.12-slim", "grafana/grafana", "my-grafana/x", ""])
def test_root_user_non_root_images_match_as_their_glob_patterns_do(reference):
    """CL404 matches its image globs with one regular expression: exactly what fnmatch says of each."""
    import fnmatch

    from composelint.imageref import parse_image_ref
    from composelint.rules.cl404_root_user import _NON_ROOT_IMAGES, _non_root_base

    lowered = reference.lower()
    repository = parse_image_ref(lowered).short
    assert _non_root_base(reference) == any(fnmatch.fnmatchcase(lowered, pattern) or
                                            fnmatch.fnmatchcase(repository, pattern) for pattern in _NON_ROOT_IMAGES)
