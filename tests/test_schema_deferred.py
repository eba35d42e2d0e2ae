"""The schema check of a compose file interpolated with its own directory's environment waits until its
problems are reported: a file that every deployment interpolates with another environment never needs it."""

from __future__ import annotations

from composelint.assembly import compose_files
from composelint.assembly.project import build_project
from composelint.config import load_config

from helpers import write_tree

# `${PORT}` is unset in stack/ (no .env there): the port becomes "" and the schema refuses it. The Makefile
# deploys the file from the root, whose .env sets PORT.
COMPOSE = "services:\n  web:\n    image: nginx:1.27\n    ports: ['${PORT}:80']\n    restart: sometimes\n"


def _checked(monkeypatch) -> list:
    checked = []
    real = compose_files.schema_problems

    def schema_problems(root):
        checked.append(root)
        return real(root)

    monkeypatch.setattr(compose_files, "schema_problems", schema_problems)
    return checked


def test_a_file_deployed_with_another_environment_is_checked_once(tmp_path, monkeypatch):
    write_tree(tmp_path, {".composelint.yaml": "root: true\n", ".env": "PORT=8080\n", "stack/compose.yaml": COMPOSE,
                          "Makefile": "up:\n\tdocker compose -f stack/compose.yaml up -d\n"})
    checked = _checked(monkeypatch)
    project = build_project(tmp_path, load_config(tmp_path))
    assert len(checked) == 1  # the deployment's environment only
    schema = sorted(problem.message for problem in project.problems if problem.code == "CL002")
    assert len(schema) == 1 and "sometimes" in schema[0]  # `restart`; the port is valid with PORT=8080


def test_a_file_no_deployment_runs_reports_its_own_environment_problems(tmp_path, monkeypatch):
    write_tree(tmp_path, {".composelint.yaml": "root: true\n", ".env": "PORT=8080\n",
                          "stack/compose.yaml": COMPOSE.replace("${PORT}", "80x")})
    checked = _checked(monkeypatch)
    project = build_project(tmp_path, load_config(tmp_path))
    assert len(checked) == 1
    schema = [problem for problem in project.problems if problem.code == "CL002"]
    assert {problem.span.path for problem in schema} == {"stack/compose.yaml"}
    assert len(schema) == 2  # the port and `restart`, reported once each
