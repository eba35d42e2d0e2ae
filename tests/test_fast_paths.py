"""The fast paths give exactly what the slow ones gave (see the Performance section of the README).

* graph.py's adjacency classes iterate and answer as the networkx graphs they replace;
* parsers/schema.surely_valid never calls an invalid document valid, and decides the common
  documents exactly as jsonschema does;
* datafiles.load returns the YAML tables' data, and ignores a JSON twin that is stale;
* reading.read_text with a memo of resolved directories reads exactly what it read without.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composelint import datafiles
from composelint.assembly.reading import read_text
from composelint.graph.adjacency import DiGraph, MultiDiGraph
from composelint.parsers import schema
from composelint.parsers.yaml_loader import load_yaml
from composelint.yamltree import plain

REPO = Path(__file__).resolve().parent.parent
nx = pytest.importorskip("networkx")

edges = st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40)


# --------------------------------------------------------------------------- graph


@given(nodes=st.permutations(range(12)), pairs=edges)
def test_generations_and_reach_match_networkx(nodes, pairs):
    ours, theirs = DiGraph(), nx.DiGraph()
    for node in nodes:
        ours.add_node(node)
        theirs.add_node(node)
    for index, (source, target) in enumerate(pairs):
        if not ours.has_edge(source, target):
            ours.add_edge(source, target, index)
            theirs.add_edge(source, target, ref=index)
    for reverse in (False, True):
        try:
            expected = list(nx.topological_generations(theirs.reverse(copy=False) if reverse else theirs))
        except nx.NetworkXUnfeasible:
            expected = None
        assert ours.generations(reverse=reverse) == expected
    for source in nodes:
        for depth in (0, 1, 4):
            assert ours.within(source, depth) == frozenset(
                nx.single_source_shortest_path_length(theirs, source, cutoff=depth))
    rebuilt = ours.to_networkx()
    assert list(rebuilt.nodes) == list(theirs.nodes) and list(rebuilt.edges(data="ref")) == list(
        theirs.edges(data="ref"))


@given(nodes=st.permutations(range(12)), pairs=edges)
def test_multigraph_iterates_in_networkx_order(nodes, pairs):
    ours, theirs = MultiDiGraph(), nx.MultiDiGraph()
    for node in nodes[:8]:  # the rest appear through edges, as networkx adds them
        ours.add_node(node, node=f"n{node}")
        theirs.add_node(node, node=f"n{node}")
    triples = [(source, target, index) for index, (source, target) in enumerate(pairs)]
    ours.add_edges_from(triples)
    theirs.add_edges_from((source, target, {"ref": ref}) for source, target, ref in triples)
    assert [data.get("node") for data in ours.node_values()] == [data.get("node") for _, data in theirs.nodes(data=True)]
    assert list(ours.edge_refs()) == [data["ref"] for _, _, data in theirs.edges(data=True)]
    for node in range(13):
        if node in theirs:
            assert ours.out_refs(node) == [data["ref"] for _, _, data in theirs.out_edges(node, data=True)]
            assert ours.in_refs(node) == [data["ref"] for _, _, data in theirs.in_edges(node, data=True)]
        else:
            assert ours.out_refs(node) == ours.in_refs(node) == []
    assert ours.number_of_nodes() == theirs.number_of_nodes()
    assert ours.number_of_edges() == theirs.number_of_edges()


# --------------------------------------------------------------------------- schema


def _compose_documents() -> list:
    documents = []
    for path in sorted((REPO / "fixtures").rglob("*")):
        if path.is_file() and path.suffix in (".yml", ".yaml") and "compose" in path.name:
            try:
                document = load_yaml(path.read_text(encoding="utf-8"), "compose.yaml")
            except (OSError, UnicodeDecodeError):
                continue
            if document.root is not None:
                documents.append(plain(document.root))
    for page in sorted((REPO / "rules").glob("CL*.md")):
        for block in re.findall(r"```yaml file=\S*compose\S*\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            document = load_yaml(block, "compose.yaml")
            if document.root is not None:
                documents.append(plain(document.root))
    return documents


DOCUMENTS = _compose_documents()
VALUES = [None, True, False, 0, 1, -5, 70000, 1.5, 2.0, "", "x", "80:80", "a:b:c:d", "80/xyz", "[::1]:80:80", "1.2.3.4",
          "service_healthy", "bind", "CMD", "512m", "/data:/data:ro", "${X}", [], {}, ["a", "a"], ["a"], [1, 1],
          {"a": 1}, {"x-a": 1}, {"condition": "service_started"}, {"target": 80}, {"soft": 1, "hard": 2}]
KEYS = ["foo", "x-ext", "image", "ports", "volumes", "depends_on", "build", "healthcheck", "condition", "target",
        "required", "test", "deploy", "cpus", "memory", "restart", "networks", "", "1", "environment", "cgroup",
        "container_name", "host_ip", "type", "published"]


def _containers(value, found):
    if isinstance(value, (dict, list)) and value:
        found.append(value)
        for item in (value.values() if isinstance(value, dict) else value):
            _containers(item, found)
    return found


@st.composite
def mutated_documents(draw):
    document = copy.deepcopy(draw(st.sampled_from(DOCUMENTS)))
    for _ in range(draw(st.integers(1, 3))):
        containers = _containers(document, [])
        if not containers:
            break
        target = draw(st.sampled_from(containers))
        value = copy.deepcopy(draw(st.sampled_from(VALUES)))
        if isinstance(target, dict):
            key = draw(st.sampled_from(sorted(target, key=str)))
            action = draw(st.sampled_from(["replace", "add", "remove"]))
            if action == "replace":
                target[key] = value
            elif action == "add":
                target[draw(st.sampled_from(KEYS))] = value
            else:
                del target[key]
        else:
            index = draw(st.integers(0, len(target) - 1))
            action = draw(st.sampled_from(["replace", "duplicate", "remove"]))
            if action == "replace":
                target[index] = value
            elif action == "duplicate":
                target.append(copy.deepcopy(target[index]))
            else:
                del target[index]
    return document


def _jsonschema_errors(document) -> list:
    validator = schema._compiled_validator()
    try:
        return list(validator.iter_errors(document))
    except TypeError:
        return list(validator.iter_errors(schema._with_string_keys(document)))


def test_every_fixture_and_rule_page_document_is_decided_exactly():
    assert len(DOCUMENTS) > 100
    for document in DOCUMENTS:
        assert schema.surely_valid(document) == (not _jsonschema_errors(document))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=mutated_documents())
def test_surely_valid_is_sound_on_mutated_documents(document):
    errors = _jsonschema_errors(document)
    if schema.surely_valid(document):
        assert errors == [], errors[0].message


def test_the_fast_path_defers_what_it_does_not_know():
    assert schema.surely_valid({"services": {"a": {"image": "x"}}}) is True
    assert schema.surely_valid({"services": {"a": {"image": 1}}}) is False
    assert schema.surely_valid({"services": {"a": {"ports": ["80:80", "80:80"]}}}) is True  # uniqueness is Compose's
    assert schema.surely_valid({"services": {80: {"image": "x"}}}) is False  # a non-text key: jsonschema's call
    recursive: dict = {"image": "x"}
    recursive["labels"] = recursive
    assert schema.surely_valid({"services": {"a": recursive}}) is False
    assert schema.surely_valid({"x": 1}, {"type": "object", "if": {"type": "object"}}) is False  # unknown keyword


def test_every_subschema_of_the_compose_schema_is_one_the_fast_path_decides():
    """Properties compile when a document first has one: a keyword the fast path does not know, anywhere in
    the schema, would send every document that meets it to jsonschema unnoticed (~75 ms)."""
    from composelint.parsers import schema_precheck

    root, compiled, seen = schema_precheck.compose_schema(), {}, set()

    def each(node):
        if isinstance(node, dict):
            if id(node) in seen:
                return
            seen.add(id(node))
            if node is not root.get("$defs") and node is not root.get("definitions"):
                yield node
            for key, value in node.items():
                if key not in ("properties", "patternProperties", "$defs", "definitions", "enum", "required"):
                    yield from each(value)
                elif key in ("properties", "patternProperties", "$defs", "definitions"):
                    for subschema in value.values():
                        yield from each(subschema)
        elif isinstance(node, list):
            for item in node:
                yield from each(item)

    for subschema in each(root):
        schema_precheck._compile(subschema, root, compiled)  # raises _Unsure for what it does not decide
    assert len(seen) > 300


def test_a_subschema_that_fails_to_compile_stays_undecided_for_what_already_refers_to_it(monkeypatch):
    from composelint.parsers import schema_precheck

    # Compiling Y compiles W (its items), which refers back to Y; then Y's `not` is a keyword the fast path
    # does not know. W, finished and kept, must not find Y half-built (type and items only) later.
    shared = {"type": "object", "properties": {"y": {"$ref": "#/$defs/Y"}, "w": {"$ref": "#/$defs/W"}},
              "$defs": {"Y": {"type": "array", "items": {"$ref": "#/$defs/W"}, "not": {}},
                        "W": {"type": "array", "items": {"$ref": "#/$defs/Y"}}}}
    monkeypatch.setattr(schema_precheck, "_schema", shared)
    monkeypatch.setattr(schema_precheck, "_compose_checker", None)
    assert schema_precheck.surely_valid({"y": []}) is False
    assert schema_precheck.surely_valid({"w": [[]]}) is False  # jsonschema: Y's `not: {}` refuses [] (invalid)


@functools.lru_cache(maxsize=1)
def _config_schema() -> dict:
    from composelint.config import rule_options_schema

    document = json.loads((REPO / "composelint" / "data" / "config-schema.json").read_text(encoding="utf-8"))
    document["properties"]["rules"] = rule_options_schema()
    return document


@functools.lru_cache(maxsize=1)
def _config_validator():
    import jsonschema

    return jsonschema.Draft202012Validator(_config_schema())


CONFIG_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["CL3", "CL301", "error", "x", "", "a/b"])),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(
        st.sampled_from(["select", "ignore", "severity", "CL301", "rules", "require", "limits", "max-file-size",
                         "env", "A", "deployments", "files", "exclude", "fail-on", "unknown", "known-hosts"]),
        children, max_size=3)), max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.sampled_from(["select", "ignore", "extend-select", "severity", "rules", "limits", "env",
                                             "deployments", "exclude", "fail-on", "known-hosts", "per-file-ignores"]),
                            CONFIG_VALUES, max_size=4))
def test_surely_valid_agrees_with_jsonschema_on_configurations(data):
    document = _config_schema()
    errors = list(_config_validator().iter_errors(data))
    if schema.surely_valid(data, document):
        assert errors == []


# --------------------------------------------------------------------------- data tables


@pytest.mark.parametrize("name", datafiles.TABLES)
def test_json_twins_are_current(name):
    twin = REPO / "composelint" / "data" / (name.rsplit(".", 1)[0] + ".json")
    assert twin.read_text(encoding="utf-8") == datafiles.twin_text(name), (
        f"{twin.name} is stale: run `python -m composelint.datafiles` after editing {name}")
    assert datafiles.load(name) == datafiles._parse((REPO / "composelint" / "data" / name).read_text(encoding="utf-8"))


def test_a_stale_twin_is_not_used(monkeypatch):
    monkeypatch.setattr(datafiles, "_digest", lambda text: "not the hash of the YAML")
    name = datafiles.TABLES[0]
    assert datafiles.load(name) == datafiles._parse((REPO / "composelint" / "data" / name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- reads


def test_memoized_reads_resolve_symlinks_as_plain_reads(tmp_path):
    root = tmp_path / "root"
    (root / "real" / "deep").mkdir(parents=True)
    (root / "real" / "deep" / "Dockerfile").write_text("FROM x\n", encoding="utf-8")
    (root / "inside").symlink_to(root / "real", target_is_directory=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM secret\n", encoding="utf-8")
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "real" / "link").symlink_to(outside / "Dockerfile")
    (root / "real" / "ok").symlink_to(root / "real" / "deep" / "Dockerfile")
    paths = ["real/deep/Dockerfile", "inside/deep/Dockerfile", "escape/Dockerfile", "real/link", "real/ok",
             "missing/Dockerfile", "real/../real/deep/Dockerfile", "inside/../escape/Dockerfile"]
    memo: dict = {}
    for _ in range(2):  # the second pass answers from the memo
        for path in paths:
            assert read_text(root, path, 1000, memo) == read_text(root, path, 1000), path
    assert read_text(root, "escape/Dockerfile", 1000, memo).text is None
    assert os.path.realpath(root) in memo.values()
