"""The bundled incident repository: every planted defect is reported, at its exact place, in every format.

fixtures/incident reproduces the outage composelint was built for (see its README). The full
concise output is a snapshot (tests/snapshots/incident.txt); refresh it with
COMPOSELINT_UPDATE_SNAPSHOTS=1 and read the diff. The planted-defect table below is the contract:
each line must stay in the output whatever else changes.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, REPO

from composelint.cli import cli

INCIDENT = FIXTURES / "incident"
SNAPSHOT = REPO / "tests" / "snapshots" / "incident.txt"

PLANTED = [
    # input problems
    ("docker-compose.yml", 10, 16, "CL005", "warning"),  # ${LOG_LEVEL} unset, no default
    ("docker-compose.yml", 38, 24, "CL005", "error"),  # ${AGENT_API_TOKEN:?...} unset
    ("docker-compose.yml", 47, 5, "CL002", "error"),  # `enviroment`
    ("docker-compose.yml", 55, 5, "CL004", "error"),  # second `image`
    # the deployment graph
    ("docker-compose.infrastructure.yml", 3, 3, "CL102", "error"),  # consul
    ("docker-compose.infrastructure.yml", 9, 3, "CL102", "error"),  # kong
    ("docker-compose.infrastructure.yml", 17, 3, "CL102", "error"),  # rabbitmq
    ("docker-compose.yml", 18, 9, "CL101", "error"),  # redis-cache
    # start commands
    ("docker-compose.yml", 16, 24, "CL201", "error"),
    ("docker-compose.yml", 23, 24, "CL201", "error"),
    ("docker-compose.yml", 28, 24, "CL201", "error"),
    ("docker-compose.yml", 32, 62, "CL202", "error"),  # uvicorn --reload
    ("docker-compose.yml", 16, 66, "CL203", "error"),  # /app/main.py copied to /main.py
    ("docker-compose.yml", 23, 66, "CL203", "error"),  # reporter has no main.py
    ("docker-compose.yml", 28, 59, "CL204", "error"),  # no python on alpine
    ("docker-compose.yml", 16, 17, "CL205", "warning"),
    # service configuration
    ("docker-compose.yml", 13, 3, "CL301", "warning"),
    ("docker-compose.yml", 30, 3, "CL301", "warning"),
    ("docker-compose.yml", 5, 12, "CL302", "warning"),  # restart: always in the x-agent anchor, once
    ("docker-compose.yml", 33, 14, "CL302", "warning"),
    ("docker-compose.yml", 60, 9, "CL208", "error"),  # ./summaries is not in the repo: an empty dir hides /app
    # image build
    ("agents/scanner/Dockerfile", 2, 8, "CL401", "error"),
    ("agents/reporter/Dockerfile", 2, 8, "CL401", "error"),
    ("backend/app/main.py", 3, 8, "CL407", "error"),  # aiohttp
    ("backend/app/main.py", 4, 8, "CL407", "error"),  # nmap
    ("backend/app/main.py", 7, 6, "CL407", "error"),  # prometheus_client
]


@pytest.fixture(scope="module")
def report():
    result = CliRunner().invoke(cli, [str(INCIDENT), "--format", "json", "--path-base", str(INCIDENT)])
    assert result.exit_code == 1
    return json.loads(result.output)


def test_every_planted_defect_is_reported_where_it_is(report):
    found = {(d["path"], d["line"], d["column"], d["code"], d["severity"]) for d in report["diagnostics"]}
    missing = [entry for entry in PLANTED if entry not in found]
    assert missing == []


def test_correct_services_get_no_error(report):
    # frontend and redis are fine as services (the typo and the duplicate key are input problems).
    errors = [d for d in report["diagnostics"] if d["severity"] == "error" and d["code"] not in ("CL002", "CL004")
              and (d["subject"] or "") in ("service 'frontend'", "service 'redis'")]
    assert errors == []


def test_every_dockerfile_finding_says_which_agent_it_breaks(report, monkeypatch):
    built = {(d["path"], d["code"]): [(s["name"], s["path"], s["line"], s["relation"]) for s in d["services"]]
             for d in report["diagnostics"] if d["path"].endswith("Dockerfile")}
    assert built == {
        ("agents/planner/Dockerfile", "CL404"): [("agent-planner", "docker-compose.yml", 25, "build")],
        ("agents/reporter/Dockerfile", "CL404"): [("agent-reporter", "docker-compose.yml", 20, "build")],
        ("agents/reporter/Dockerfile", "CL401"): [("agent-reporter", "docker-compose.yml", 20, "build")],
        ("agents/scanner/Dockerfile", "CL404"): [("agent-scanner", "docker-compose.yml", 13, "build")],
        ("agents/scanner/Dockerfile", "CL401"): [("agent-scanner", "docker-compose.yml", 13, "build")],
        ("backend/Dockerfile", "CL404"): [("backend", "docker-compose.yml", 30, "build")],
    }
    monkeypatch.chdir(INCIDENT)  # text paths are relative to the current directory
    text = CliRunner().invoke(cli, [str(INCIDENT), "--color", "never"]).output
    block = text.split("agents/scanner/Dockerfile:2:8: CL401", 1)[1].split("\n\n", 1)[0]
    assert "= note: built by service 'agent-scanner' (docker-compose.yml:13)" in block


def test_concise_snapshot(monkeypatch):
    monkeypatch.chdir(INCIDENT)  # concise paths are relative to the current directory
    result = CliRunner().invoke(cli, [str(INCIDENT), "--format", "concise"])
    if os.environ.get("COMPOSELINT_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(result.output, encoding="utf-8")
    assert result.output == SNAPSHOT.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "github", "gitlab"])
def test_every_format_carries_the_input_problems(fmt):
    output = CliRunner().invoke(cli, [str(INCIDENT), "--format", fmt, "--color", "never"]).output
    for code, line in (("CL002", 47), ("CL004", 55), ("CL005", 38)):
        assert code in output
        assert str(line) in output
