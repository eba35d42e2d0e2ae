"""Start-command rules CL201-CL208 and image-filesystem rules CL401/CL406: incident, corpus, edge cases.

Their scenario trees (``fixtures/rules/CL2xx-<scenario>/``, CL401, CL406) run in test_rule_scenarios.py.
"""

from __future__ import annotations

import time

import pytest
from helpers import CORPUS, FIXTURES, lint, lint_lines, write_tree

CODES = ("CL201", "CL202", "CL203", "CL204", "CL205", "CL206", "CL207", "CL208", "CL401", "CL406")


# --------------------------------------------------------------------------- the incident


def _found(result):
    return {(d.code, d.span.path, d.span.line, d.span.column) for d in result.diagnostics}


def test_incident_start_command_and_image_defects_are_reported_at_their_columns():
    result = lint(FIXTURES / "incident", select=CODES)
    found = _found(result)
    expected = {
        # every agent: `pip install` at start, `sh -c` chain without init
        ("CL201", "docker-compose.yml", 16, 24), ("CL201", "docker-compose.yml", 23, 24),
        ("CL201", "docker-compose.yml", 28, 24),
        ("CL205", "docker-compose.yml", 16, 17), ("CL205", "docker-compose.yml", 23, 17),
        ("CL205", "docker-compose.yml", 28, 17),
        # scanner: COPY . . with no WORKDIR puts main.py at /main.py; reporter: no main.py at all
        ("CL203", "docker-compose.yml", 16, 66), ("CL203", "docker-compose.yml", 23, 66),
        ("CL401", "agents/scanner/Dockerfile", 2, 8), ("CL401", "agents/reporter/Dockerfile", 2, 8),
        # planner: alpine without pip or python; `-r requirements.txt` resolves against /
        ("CL204", "docker-compose.yml", 28, 24), ("CL204", "docker-compose.yml", 28, 59),
        ("CL401", "docker-compose.yml", 28, 39),
        # backend: uvicorn --reload
        ("CL202", "docker-compose.yml", 32, 62),
        # summarizer: ./summaries is not in the repository, so an empty directory hides /app/main.py
        ("CL208", "docker-compose.yml", 60, 9),
    }
    assert found == expected


def test_incident_correct_services_have_no_error_from_these_rules():
    result = lint(FIXTURES / "incident", select=CODES)
    for diagnostic in result.diagnostics:
        assert diagnostic.subject not in ("service 'frontend'", "service 'redis'")
    backend = [d.code for d in result.diagnostics if d.subject == "service 'backend'"]
    assert backend == ["CL202"]  # uvicorn is in the requirements, app/ is copied to /srv/app


def test_incident_messages_explain_and_relate():
    result = lint(FIXTURES / "incident", select=("CL203", "CL204"))
    by_key = {(d.code, d.span.line, d.span.column): d for d in result.diagnostics}
    scanner = by_key[("CL203", 16, 66)]
    assert "`main.py` is copied to `/main.py`" in scanner.message
    assert scanner.help == "add `WORKDIR /app` before `COPY . .`"
    assert [(r.span.path, r.span.line) for r in scanner.related] == [
        ("agents/scanner/Dockerfile", 2), ("agents/scanner/Dockerfile", 1)]
    reporter = by_key[("CL203", 23, 66)]
    assert "has no `main.py`" in reporter.message and "`report.py`" in reporter.help
    python = by_key[("CL204", 28, 59)]
    assert "`alpine:3.19`" in python.message and "127" in python.message
    assert "apk add --no-cache python3" in python.help


# --------------------------------------------------------------------------- edge cases through the CLI path


def test_dockerfile_only_projects_check_their_own_command(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "",
        "Dockerfile": "FROM python:3.12-slim\nCOPY app.py .\nCMD [\"python\", \"/srv/app.py\"]\n",
        "app.py": "print(1)\n",
    })
    lines = lint_lines(tmp_path, select=CODES)
    assert lines == [
        "Dockerfile:2:13: CL401 error: `COPY app.py .` copies to the relative path `.` but no WORKDIR is set: it "
        "lands in `/`, mixed with the system's directories",
        "Dockerfile:3:17: CL203 error: the image runs the script `/srv/app.py`, which is not in the container: the "
        "build context's `app.py` is copied to `/app.py` instead",
    ]


def test_inline_suppression_on_the_compose_line(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "",
        "compose.yaml": "services:\n  a:\n    image: python:3.12-slim\n    command: "
                        "sh -c \"pip install x && exec python -V\"  # composelint: ignore[runtime-install]\n",
    })
    result = lint(tmp_path, select=("CL201",))
    assert not result.diagnostics and len(result.suppressed) == 1


def test_hostile_shell_input_never_crashes(tmp_path):
    nested = "sh -c " + "\"sh -c '" * 30 + "python x.py" + "'\"" * 30
    write_tree(tmp_path, {
        ".composelint.yaml": "",
        "compose.yaml": "services:\n"
                        "  a:\n    image: python:3.12-slim\n    command: 'sh -c \"echo $(( \"'\n"
                        f"  b:\n    image: python:3.12-slim\n    command: {nested!r}\n"
                        "  c:\n    image: python:3.12-slim\n"
                        "    command: [\"sh\", \"-c\", \"case $x in a) pip install y;; esac\"]\n"
                        "  d:\n    image: python:3.12-slim\n"
                        "    command: [\"sh\", \"-c\", \"f() { pip install z; }; f\"]\n",
    })
    result = lint(tmp_path, select=CODES)
    assert all(d.code != "CL000" for d in result.diagnostics)


def test_many_services_stay_linear(tmp_path):
    services = "".join(
        f"  s{i}:\n    build: ./app\n    command: sh -c \"pip install -r requirements.txt && python /app/main.py\"\n"
        for i in range(400))
    write_tree(tmp_path, {
        ".composelint.yaml": "",
        "compose.yaml": "services:\n" + services,
        "app/Dockerfile": "FROM python:3.12-slim\nCOPY . .\n",
        "app/main.py": "print(1)\n",
        "app/requirements.txt": "requests\n",
    })
    start = time.perf_counter()
    result = lint(tmp_path, select=CODES)
    elapsed = time.perf_counter() - start
    assert elapsed < 30
    assert sum(1 for d in result.diagnostics if d.code == "CL203") == 400


def test_large_build_context_is_listed_once(tmp_path):
    files = {f"app/pkg{i // 100}/mod{i}.py": "" for i in range(3000)}
    files.update({
        ".composelint.yaml": "",
        "compose.yaml": "".join(["services:\n"] + [
            f"  s{i}:\n    build: ./app\n    command: [\"python\", \"-m\", \"pkg{i % 30}.mod{i}\"]\n"
            for i in range(60)]),
        "app/Dockerfile": "FROM python:3.12-slim\nWORKDIR /srv\nCOPY *.txt ./\nCOPY pkg*/ ./lib/\n",
        "app/requirements.txt": "",
    })
    write_tree(tmp_path, files)
    start = time.perf_counter()
    result = lint(tmp_path, select=("CL203", "CL406"))
    assert time.perf_counter() - start < 30
    assert {d.code for d in result.diagnostics} == {"CL203"}


# --------------------------------------------------------------------------- the real-world corpus

# Every error these rules report on awesome-compose, reviewed: each is a real problem.
CORPUS_ERRORS = {
    # `ng serve` is Angular's development server (the sample deploys the `builder` target)
    ("CL202", "angular/angular/Dockerfile", 14),
    # Django's `manage.py runserver` is the development server
    ("CL202", "django/app/Dockerfile", 10),
    # `flask run` with `FLASK_ENV=development` (Flask 2.0.1): the debugger and reloader are on
    ("CL202", "nginx-flask-mysql/backend/Dockerfile", 18),
    # `COPY Cargo.toml .` with no WORKDIR (rust:1.64 sets none): the build works in `/`
    ("CL401", "wasmedge-kafka-mysql/etl/Dockerfile", 15),
}


@pytest.mark.skipif(not (CORPUS / "awesome-compose").is_dir(), reason="the awesome-compose corpus is not checked out")
def test_corpus_errors_are_the_reviewed_ones():
    result = lint(CORPUS / "awesome-compose", select=CODES)
    errors = {(d.code, d.span.path, d.span.line) for d in result.diagnostics if d.severity.label == "error"}
    assert errors == CORPUS_ERRORS
    for diagnostic in result.diagnostics:
        assert diagnostic.code != "CL000"
