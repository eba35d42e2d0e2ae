"""Mounts laid over the image as Docker lays them (composelint/analysis/mounts.py), and the rules that ask.

A bind of a directory replaces the image's content under its target with the repository's directory; a
missing relative source becomes an empty directory; a volume starts as a copy of the image; tmpfs starts
empty. CL203, CL207 and CL208 answer through that overlay (scenarios: fixtures/rules/CL203-mounts,
CL207-forms, CL208-forms; the incident's agent-summarizer).
"""

from __future__ import annotations

import pytest
from helpers import lint, lint_lines, write_tree

from composelint.analysis.image.services import service_view
from composelint.assembly.project import build_project
from composelint.config import load_config

AGENT = {
    "agent/Dockerfile": 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "main.py"]\n',
    "agent/main.py": "print('agent')\n",
    ".composelint.yaml": "# root\n",
}


def _view(root, service="app"):
    project = build_project(root, load_config(root))
    compose = project.compose_files["compose.yaml"]
    return service_view(project, compose.services[service])


@pytest.mark.parametrize("volumes, path, state, why", [
    # a bind of a repository directory: its files, nothing else
    ('["./src:/app"]', "/app/lib.py", "present", "mounted"),
    ('["./src:/app"]', "/app/main.py", "absent", "not in the bind source"),
    # the image had /app/main.py: the bind hides it
    ('["./src:/app"]', "/app/run.py", "absent", "not in the bind source"),
    # a missing relative source: Docker creates an empty directory
    ('["./nothing-here:/app"]', "/app/main.py", "absent", "created empty"),
    # ... unless the long syntax forbids creating it: then Compose does not start at all
    ('[{type: bind, source: ./nothing-here, target: /app, bind: {create_host_path: false}}]', "/app/main.py",
     "unknown", "mounted"),
    # a single file
    ('["./src/lib.py:/etc/lib.py"]', "/etc/lib.py", "present", "mounted"),
    # host-specific sources are not known
    ('["/srv/code:/app"]', "/app/main.py", "unknown", "mounted"),
    ('["${CODE_DIR:-/srv}:/app"]', "/app/main.py", "unknown", "mounted"),
    # a volume starts as a copy of the image: what the image has is there, what it lacks may come later
    ('["code:/app"]', "/app/run.py", "present", "volume from the image"),
    ('["code:/app"]', "/app/other.py", "unknown", "mounted"),
    ('["/app"]', "/app/run.py", "present", "volume from the image"),
    # made before `up`: ignored by .gitignore, dependency directories, created by automation
    ('["./src:/app"]', "/app/dist/main.js", "unknown", "mounted"),
    ('["./src:/app"]', "/app/node_modules/x/index.js", "unknown", "mounted"),
    ('["./generated:/app"]', "/app/main.py", "unknown", "mounted"),
    ('["./docs-made:/app"]', "/app/main.py", "unknown", "mounted"),
])
def test_the_overlay_answers_as_docker_mounts(tmp_path, volumes, path, state, why):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "app/Dockerfile": 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "run.py"]\n',
        "app/run.py": "print('run')\n",
        "src/lib.py": "VALUE = 1\n",
        ".gitignore": "dist/\n",
        "Makefile": "gen:\n\tmkdir -p generated\n",
        "README.md": "Before the first start: `mkdir docs-made`.\n",
        "compose.yaml": f"services:\n  app:\n    build: ./app\n    volumes: {volumes}\nvolumes:\n  code:\n",
    })
    found = _view(tmp_path).file(path)
    assert (found.state, found.why) == (state, why)
    assert found.mount is not None


def test_tmpfs_starts_empty_and_mount_points_exist(tmp_path):
    write_tree(tmp_path, {**AGENT, "compose.yaml": "services:\n  app:\n    build: ./agent\n    tmpfs: /scratch\n"
                                                   "    volumes: ['./agent:/opt/agent/code']\n"})
    view = _view(tmp_path)
    assert view.file("/scratch/job.py").state == "absent"
    assert view.file("/scratch", want="dir").state == "present"
    assert view.file("/opt/agent", want="dir").state == "present"  # the mount point Docker creates
    assert view.file("/opt/agent/code/main.py").state == "present"


# --------------------------------------------------------------------------- the issue's two services


ISSUE = {
    **AGENT,
    "src/lib.py": "VALUE = 1\n",
    "compose.yaml": """\
services:
  a1:
    build: ./agent
    volumes:
      - ./missing-dir:/app
  a5:
    image: python:3.12-slim
    command: python /app/main.py
    volumes:
      - ./src:/app
""",
}


def test_the_issue_services_are_reported_with_the_mount_as_a_note(tmp_path):
    write_tree(tmp_path, ISSUE)
    result = lint(tmp_path, select=("CL203", "CL208"))
    found = {(d.code, d.span.path, d.span.line, d.span.column, d.severity.label): d for d in result.diagnostics}
    assert set(found) == {("CL208", "compose.yaml", 5, 9, "error"), ("CL203", "compose.yaml", 8, 21, "error")}
    a1 = found[("CL208", "compose.yaml", 5, 9, "error")]
    assert [(r.span.path, r.span.line, r.span.column) for r in a1.related] == [
        ("agent/Dockerfile", 4, 17),  # the start command's `main.py`
        ("agent/Dockerfile", 3, 1),  # the COPY that put it in the image
    ]
    a5 = found[("CL203", "compose.yaml", 8, 21, "error")]
    assert (a5.related[0].span.line, a5.related[0].span.column) == (10, 9)
    assert "replaces" in a5.related[0].message


def test_without_the_volumes_the_pulled_image_case_was_already_cl203(tmp_path):
    write_tree(tmp_path, {**ISSUE, "compose.yaml": ISSUE["compose.yaml"].replace(
        "    volumes:\n      - ./src:/app\n", "")})
    assert [line.split(": ")[1].split()[0] for line in lint_lines(tmp_path, select=("CL203",))] == ["CL203"]


def test_the_correct_twins_are_silent(tmp_path):
    write_tree(tmp_path, {
        **AGENT,
        "src/main.py": "print('src')\n",
        "compose.yaml": """\
services:
  a1:
    build: ./agent
    volumes:
      - ./agent:/app
      - ./data:/app/data
  a5:
    image: python:3.12-slim
    command: python /app/main.py
    volumes:
      - ./src:/app
  dev:
    build: ./agent
    volumes:
      - ./agent:/app
      - /app/node_modules
  strict:
    build: ./agent
    volumes:
      - type: bind
        source: ./src
        target: /app
        bind:
          create_host_path: false
""",
    })
    assert lint_lines(tmp_path, select=("CL203", "CL207", "CL208")) == []


def test_a_start_command_that_fills_the_mount_first_is_not_reported(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "# root\n", "compose.yaml": """\
services:
  job:
    image: python:3.12-slim
    command: sh -c "cp -r /opt/jobs/. /scratch && python /scratch/job.py"
    tmpfs: /scratch
"""})
    assert lint_lines(tmp_path, select=("CL203",)) == []


def test_a_volume_beside_a_bind_in_the_same_directory_is_the_dev_pattern(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "web/Dockerfile": "FROM node:22-slim\nWORKDIR /code\nCOPY package.json .\nRUN npm ci\nCOPY . .\n"
                          'CMD ["npm", "start"]\n',
        "web/package.json": "{}\n",
        "web/src/index.js": "\n",
        "compose.yaml": "services:\n  web:\n    build: ./web\n    volumes:\n      - ./web/src:/code/src\n"
                        "      - /code/node_modules\n",
    })
    assert lint_lines(tmp_path, select=("CL207",)) == []
    write_tree(tmp_path, {"compose.yaml": "services:\n  web:\n    build: ./web\n    volumes:\n"
                                          "      - /code/node_modules\n"})
    assert [line.split(":")[1] for line in lint_lines(tmp_path, select=("CL207",))] == ["5"]


def test_an_override_in_another_directory_resolves_against_the_project_directory(tmp_path):
    # `docker compose -f compose.yaml -f deploy/dev.yaml`: ./src in dev.yaml is the project's src/, not deploy/src
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - [compose.yaml, deploy/dev.yaml]\n",
        "compose.yaml": "services:\n  app:\n    image: python:3.12-slim\n    command: python /app/main.py\n",
        "deploy/dev.yaml": "services:\n  app:\n    volumes:\n      - ./src:/app\n",
        "src/main.py": "print('dev')\n",
    })
    assert lint_lines(tmp_path, select=("CL203", "CL208")) == []
    (tmp_path / "src" / "main.py").unlink()
    (tmp_path / "src" / "other.py").write_text("\n")
    assert [line.split(": ")[1].split()[0] for line in lint_lines(tmp_path, select=("CL203", "CL208"))] == ["CL203"]


def test_only_a_dependency_volume_next_to_a_bind_counts_as_the_dev_pattern(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "app/Dockerfile": 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "src/main.py"]\n',
        "app/src/main.py": "\n",
        "app/static/site.js": "\n",
        "compose.yaml": "services:\n  app:\n    build: ./app\n    volumes:\n      - static:/app/static\n"
                        "      - ./app/src:/app/src\nvolumes:\n  static:\n",
    })
    lines = lint_lines(tmp_path, select=("CL207",))
    assert len(lines) == 1 and lines[0].startswith("compose.yaml:5:9: CL207 warning: service 'app' mounts the named "
                                                   "volume `static` over `/app/static`, where the image puts code")


def test_a_source_written_with_a_variable_is_host_specific(tmp_path):
    write_tree(tmp_path, {**AGENT, "compose.yaml": """\
services:
  short:
    build: ./agent
    volumes:
      - ${CODE_DIR:-./missing}:/app
  long:
    build: ./agent
    volumes:
      - type: bind
        source: ${CODE_DIR:-./missing}
        target: /app
        bind:
          create_host_path: false
"""})
    assert lint_lines(tmp_path, select=("CL203", "CL208")) == []
    write_tree(tmp_path, {"compose.yaml": "services:\n  short:\n    build: ./agent\n    volumes:\n"
                                          "      - ./missing:${TARGET:-/app}\n"})
    assert [line.split(": ")[1].split()[0] for line in lint_lines(tmp_path, select=("CL208",))] == ["CL208"]


def test_a_file_below_a_directory_the_automation_creates_is_not_certain(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "Makefile": "assets:\n\tmkdir -p site/out\n\tnpm run build -- --out-dir site/out\n",
        "site/index.md": "# docs\n",
        "compose.yaml": "services:\n  web:\n    image: node:22-slim\n    command: node /srv/out/server.js\n"
                        "    volumes:\n      - ./site:/srv\n",
    })
    assert lint_lines(tmp_path, select=("CL203",)) == []
    write_tree(tmp_path, {"Makefile": "assets:\n\techo nothing\n"})
    assert [line.split(": ")[1].split()[0] for line in lint_lines(tmp_path, select=("CL203",))] == ["CL203"]


def test_cl204_a_mount_over_the_only_path_directory_with_the_program_hides_it(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "app/Dockerfile": 'FROM debian:12-slim\nCOPY bin/serve /opt/app/bin/serve\nENV PATH=/opt/app/bin:$PATH\n'
                          'CMD ["serve"]\n',
        "app/bin/serve": "#!/bin/sh\n",
        "conf/app.ini": "[app]\n",
        "compose.yaml": "services:\n  hidden:\n    build: ./app\n    volumes:\n      - ./conf:/opt/app/bin\n"
                        "  beside:\n    build: ./app\n    volumes:\n      - ./conf:/opt/app/conf\n"
                        "  provided:\n    build: ./app\n    volumes:\n      - ./app/bin:/opt/app/bin\n",
    })
    result = lint(tmp_path, select=("CL204",))
    assert [(d.span.path, d.span.line, d.span.column, d.subject) for d in result.diagnostics] == [
        ("app/Dockerfile", 4, 7, "service 'hidden'")]
    notes = [(r.span.path, r.span.line, r.span.column) for r in result.diagnostics[0].related]
    assert notes[:2] == [("compose.yaml", 5, 9), ("app/Dockerfile", 2, 1)]


def test_a_service_s_mounts_are_read_once_per_run_for_the_views_and_the_rules(tmp_path):
    from composelint.analysis.mounts import project_mounts, service_mounts

    compose = "services:\n  app:\n    build: ./agent\n    volumes: [./agent:/app, cache:/root/.cache]\n" \
              "volumes:\n  cache: {}\n"
    write_tree(tmp_path, {**AGENT, "compose.yaml": compose})
    project = build_project(tmp_path, load_config(tmp_path))
    view = service_view(project, project.compose_files["compose.yaml"].services["app"])
    [(deployment, service, mounts)] = list(service_mounts(project))
    assert [(m.target, m.kind, m.host) for m in mounts] == [("/app", "bind", "agent"), ("/root/.cache", "volume", None)]
    # The view, the rules' iteration and a direct ask share one reading.
    assert mounts is view.mounts is project_mounts(project, service, deployment)[0]
