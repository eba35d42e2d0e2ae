"""The service rules' selections (service_facts.selected) are reused, in a warm session, for the
deployments an edit did not touch, and a warm run still finds exactly what a cold run finds: edits in
the deployment itself, in the Dockerfile one of its services builds, and in another deployment."""

from __future__ import annotations

from pathlib import Path

from composelint.server.session import Session

SELECTIONS = ("CL301.unlimited", "CL302.unbounded", "CL303.unchecked", "CL306.privileges", "CL307.secrets",
              "CL308.clashes")

STACK = """services:
  web:
    build: .
    restart: always
    environment:
      DB_PASSWORD: hunter2
    ports: ["8000:8000"]
  worker:
    image: busybox:1.36
    restart: unless-stopped
    privileged: true
    depends_on: [web]
    ports: ["8000:8001"]
    deploy:
      resources:
        limits: {memory: 64m, cpus: "0.5"}
"""
DOCKERFILE = 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\nCMD ["python", "app.py"]\n'


def _project(root: Path) -> Path:
    (root / ".git").mkdir()
    lines = []
    for name in ("a", "b"):
        (root / name).mkdir()
        (root / name / "compose.yaml").write_text(STACK)
        (root / name / "Dockerfile").write_text(DOCKERFILE)
        (root / name / "app.py").write_text("")
        lines.append(f"docker compose -f {name}/compose.yaml up -d")
    (root / "deploy.sh").write_text("#!/bin/sh\n" + "\n".join(lines) + "\n")
    return root


def _found(outcome) -> dict:
    return {path: items for path, items in outcome.by_path.items()}


def _same_as_cold(root: Path, session: Session, buffers: dict) -> dict:
    warm = _found(session.lint(buffers))
    assert warm == _found(Session.open(root).lint(buffers))
    return warm


def _entries(session: Session, name: str) -> dict:
    """The deployment each kept selection belongs to (by the file of its first service) -> the selection."""
    table = session.last.project.facts.table("kept:" + name)
    return {owners[0].file: selection for owners, selection in table.values()}


def _codes(found: dict, path: str) -> set[str]:
    return {diagnostic.code for diagnostic in found.get(path, ())}


def test_selections_of_untouched_deployments_are_reused_and_warm_runs_match_cold_ones(tmp_path):
    root = _project(tmp_path)
    session = Session.open(root)
    buffers: dict[str, str] = {}
    first = _same_as_cold(root, session, buffers)
    for path in ("a/compose.yaml", "b/compose.yaml"):
        assert {"CL301", "CL302", "CL303", "CL306", "CL307", "CL308"} <= _codes(first, path)
    before = {name: _entries(session, name) for name in SELECTIONS}
    assert all(set(entries) == {"a/compose.yaml", "b/compose.yaml"} for entries in before.values())

    # An edit in one deployment: a healthcheck, limits, no secret, no privilege, another port.
    buffers["a/compose.yaml"] = (STACK.replace("    restart: always\n", "    restart: always\n"
                                               "    healthcheck: {test: [\"CMD\", \"true\"]}\n")
                                 .replace("hunter2", "${DB_PASSWORD}").replace("privileged: true", "init: true")
                                 .replace('"8000:8001"', '"8001:8001"')
                                 .replace("    environment:", "    deploy: {resources: {limits: {memory: 1g, cpus: \"1\"}}}"
                                                            "\n    environment:"))
    found = _same_as_cold(root, session, buffers)
    assert _codes(found, "a/compose.yaml").isdisjoint({"CL301", "CL303", "CL306", "CL307", "CL308"})
    assert {"CL301", "CL302", "CL303", "CL306", "CL307", "CL308"} <= _codes(found, "b/compose.yaml")
    after = {name: _entries(session, name) for name in SELECTIONS}
    for name in SELECTIONS:  # the other deployment's selection is the same object; the edited one's is new
        assert after[name]["b/compose.yaml"] is before[name]["b/compose.yaml"], name
        assert after[name]["a/compose.yaml"] is not before[name]["a/compose.yaml"], name

    # The Dockerfile of b's web gains a HEALTHCHECK: its service is linked again, CL302 and CL303 follow.
    assert any(d.code == "CL302" and "'web'" in d.message for d in found["b/compose.yaml"])
    buffers["b/Dockerfile"] = DOCKERFILE.replace("CMD", 'HEALTHCHECK CMD ["true"]\nCMD')
    found = _same_as_cold(root, session, buffers)
    assert not any(d.code == "CL302" and "'web'" in d.message for d in found["b/compose.yaml"])
    assert "CL303" not in _codes(found, "b/compose.yaml")
    assert any(d.code == "CL302" and "'worker'" in d.message for d in found["b/compose.yaml"])

    # And back to the files on disk: the first findings again.
    buffers.clear()
    assert _same_as_cold(root, session, buffers) == first


def test_findings_of_rules_that_read_a_dockerfile_alone_are_reused_until_a_dockerfile_is_parsed_again(tmp_path):
    from composelint.rules import DOCKERFILE_ALONE

    root = _project(tmp_path)
    legacy = DOCKERFILE.replace("WORKDIR /app\n", "WORKDIR /app\nMAINTAINER someone\nENV MODE production\nrun true\n")
    (root / "a" / "Dockerfile").write_text(legacy)
    session = Session.open(root)
    buffers: dict[str, str] = {}
    first = _same_as_cold(root, session, buffers)
    assert {"CL430", "CL431", "CL432"} <= _codes(first, "a/Dockerfile")
    assert not _codes(first, "b/Dockerfile") & {"CL430", "CL431", "CL432"}

    def entries() -> dict:
        tables = session.last.project.facts._tables
        return {code: table for code in DOCKERFILE_ALONE if (table := tables.get("kept:findings." + code))}

    before = entries()
    assert {"CL430", "CL431", "CL432"} <= set(before)
    # A compose edit parses no Dockerfile: the same findings, not checked again.
    buffers["a/compose.yaml"] = STACK.replace("restart: always", "restart: on-failure")
    found = _same_as_cold(root, session, buffers)
    assert found["a/Dockerfile"] == first["a/Dockerfile"]
    after = entries()
    for code, table in before.items():
        assert [entry[1] for entry in after[code].values()] == [entry[1] for entry in table.values()]
        assert all(new[1] is old[1] for new, old in zip(after[code].values(), table.values())), code
    # The other Dockerfile gains the same defects: every such rule runs again, and finds them there too.
    buffers["b/Dockerfile"] = legacy
    found = _same_as_cold(root, session, buffers)
    assert {"CL430", "CL431", "CL432"} <= _codes(found, "b/Dockerfile")
    assert all(new[1] is not old[1] for code, table in before.items()
               for new, old in zip(entries()[code].values(), table.values()))
    buffers["a/Dockerfile"] = DOCKERFILE
    found = _same_as_cold(root, session, buffers)
    assert not _codes(found, "a/Dockerfile") & {"CL430", "CL431", "CL432"}


def test_findings_of_rules_that_read_what_ships_follow_a_compose_target_that_changes_it(tmp_path):
    from composelint.rules import DOCKERFILE_AND_SHIPPED

    root = _project(tmp_path)
    # apt lists kept (CL420) and recommends installed (CL421) in a builder stage only: they ship only when
    # compose builds that stage.
    staged = ("FROM debian:12 AS builder\nRUN apt-get update && apt-get install -y curl\n"
              "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nUSER 1000\nCMD [\"python\", \"app.py\"]\n")
    (root / "a" / "Dockerfile").write_text(staged)
    session = Session.open(root)
    buffers: dict[str, str] = {}
    first = _same_as_cold(root, session, buffers)
    assert not _codes(first, "a/Dockerfile") & {"CL420", "CL421"}

    def entries() -> dict:
        tables = session.last.project.facts._tables
        return {code: [entry[1] for entry in table.values()] for code in DOCKERFILE_AND_SHIPPED
                if (table := tables.get("kept:findings." + code))}

    before = entries()
    assert {"CL420", "CL421"} <= set(before)
    buffers["b/compose.yaml"] = STACK.replace("restart: always", "restart: on-failure")
    _same_as_cold(root, session, buffers)
    assert all(new is old for code in before for new, old in zip(entries()[code], before[code]))
    # Compose now builds the builder stage of a's Dockerfile: it ships, and its findings show.
    buffers["a/compose.yaml"] = STACK.replace("    build: .\n", "    build: {context: ., target: builder}\n")
    found = _same_as_cold(root, session, buffers)
    assert {"CL420", "CL421"} <= _codes(found, "a/Dockerfile")
    buffers.clear()
    assert _same_as_cold(root, session, buffers) == first
