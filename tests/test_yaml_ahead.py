"""Compose files parsed ahead in a second process build exactly the nodes of a parse in this one."""

from __future__ import annotations

import pytest

from composelint import engine
from composelint.assembly import compose_files
from composelint.assembly.project import build_project
from composelint.config import load_config
from composelint.parsers import yaml_ahead
from composelint.parsers.yaml_loader import load_yaml

from helpers import FIXTURES, forkable, native_threads_set_aside, write_tree  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.skipif(not forkable(), reason="needs os.fork and a second CPU")


def _service(group: int, number: int) -> str:
    return (f"  svc-{group}-{number}:\n    <<: *defaults\n    image: \"${{REGISTRY:-r.example}}/svc-{number}:${{TAG}}\"\n"
            f"    environment:\n      LOG_LEVEL: ${{LOG_LEVEL}}\n      URL: 'http://svc-{group}-{number // 2}:8080'\n"
            f"    command: [\"serve\", \"--port\", \"{8000 + number}\"]\n    ports: [\"{20000 + number}:8080\"]\n"
            f"    labels: !reset\n    healthcheck:\n      test: |\n        curl -f http://localhost:{8000 + number}/\n"
            f"      interval: 30s\n")


def _repository(tmp_path):
    """Eight compose files over the size at which they are parsed ahead, with anchors, merge keys, tags,
    flow and block styles; one with CR line breaks, one with a duplicate key, one that is not YAML."""
    files = {".composelint.yaml": "root: true\n", ".env": "TAG=1.0\nLOG_LEVEL=info\n"}
    for group in range(8):
        body = "x-defaults: &defaults\n  restart: on-failure\n  deploy: {resources: {limits: {memory: 256m}}}\n" \
               "services:\n" + "".join(_service(group, number) for number in range(70))
        if group == 3:
            body = body.replace("\n", "\r\n")
        if group == 5:
            body += "  svc-5-0:\n    image: duplicate\n"
        if group == 6:
            body += "  broken: [unclosed\n"
        files[f"stack-{group}/compose.yaml"] = body
    files["Makefile"] = "up:\n" + "".join(f"\tdocker compose -f stack-{group}/compose.yaml up -d\n"
                                          for group in range(8))
    write_tree(tmp_path, files)
    return tmp_path


def _build(root):
    return build_project(root, load_config(root))


def test_files_parsed_ahead_give_the_same_model_and_findings(tmp_path, monkeypatch):
    root = _repository(tmp_path)
    delivered = []
    real = yaml_ahead.YamlAhead.events

    def events(self, path, text):
        found = real(self, path, text)
        delivered.append((path, found is not None))
        return found

    monkeypatch.setattr(yaml_ahead.YamlAhead, "events", events)
    ahead = _build(root)
    monkeypatch.setenv("COMPOSELINT_NO_FORK", "1")
    here = _build(root)
    # Every file but the first (parsed here meanwhile) came from the child; the broken one was parsed again here.
    assert [path for path, used in delivered if used] == [f"stack-{group}/compose.yaml" for group in (1, 2, 3, 4, 5, 7)]
    assert [path for path, used in delivered if not used] == ["stack-0/compose.yaml", "stack-6/compose.yaml"]
    assert list(ahead.compose_files) == list(here.compose_files)
    for path, compose in here.compose_files.items():
        assert repr(ahead.compose_files[path].document) == repr(compose.document), path
    assert ahead.problems == here.problems
    assert {"CL001", "CL004"} <= {problem.code for problem in here.problems}
    config = load_config(root)
    assert engine.run(ahead, config, fork=False).diagnostics == engine.run(here, config, fork=False).diagnostics


def test_a_text_that_changed_since_the_child_read_it_is_parsed_here():
    ahead = yaml_ahead.YamlAhead(lambda path: "services: {a: {image: x}}\n", ["compose.yaml", "other.yaml"])
    try:
        assert ahead.events("compose.yaml", "services: {b: {image: y}}\n") is None
        events = ahead.events("other.yaml", "services: {a: {image: x}}\n")
        assert events is not None
        assert repr(load_yaml("services: {a: {image: x}}\n", "other.yaml", events=events)) == \
            repr(load_yaml("services: {a: {image: x}}\n", "other.yaml"))
        assert ahead.events("never-asked.yaml", "a: 1\n") is None
    finally:
        ahead.close()


def test_a_failing_child_leaves_the_parsing_here():
    def fetch(path):
        if path == "b.yaml":
            raise RuntimeError("the child broke")
        return "a: 1\n"

    ahead = yaml_ahead.YamlAhead(fetch, ["a.yaml", "b.yaml", "c.yaml"])
    try:
        assert ahead.events("a.yaml", "a: 1\n") is not None
        assert ahead.events("b.yaml", "a: 1\n") is None
        assert ahead.events("c.yaml", "a: 1\n") is None
    finally:
        ahead.close()


def test_small_repositories_parse_in_one_process(monkeypatch):
    started = []
    monkeypatch.setattr(yaml_ahead, "YamlAhead", lambda *args: started.append(args))
    _build(FIXTURES / "incident")
    assert started == []


def test_a_refused_fork_parses_here(tmp_path, monkeypatch):
    root = _repository(tmp_path)

    def refuse():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(compose_files, "PARSE_AHEAD_MIN_BYTES", 0)
    here = _build(root)
    monkeypatch.setattr("os.fork", refuse)
    refused = _build(root)
    assert [repr(compose.document) for compose in refused.compose_files.values()] == \
        [repr(compose.document) for compose in here.compose_files.values()]
