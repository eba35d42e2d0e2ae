"""Parsing only the edited services' blocks (yaml_chunks.reparse) gives what parsing the whole text gives,
positions included, or declines: on every compose file of the fixtures, the corpora and a generated
repository, for edits in each place of a service's block (the service's first, second, middle and last
lines) and edits reaching over two services, one after another (a spliced document is edited again)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from helpers import CORPUS, FIXTURES, REPO

from composelint.parsers.yaml_chunks import load, reparse
from composelint.parsers.yaml_loader import YamlLimits, load_yaml
from composelint.yamltree import YamlDocument, YMap, YScalar, YSeq

# What an edit inserts: ordinary text, and every character that changes how YAML reads a line.
INSERTS = ("x", "7", " # note", ": ", "[", "]", "{", "}", "&a ", "*a", "'", '"', "|", ">", "- ", "? ", "!t ", "\t",
           "<<: ", "%", "---", "\\")
MAX_EDITS = 24  # per file


def _compose_files() -> list[Path]:
    names = ("compose*.y*ml", "docker-compose*.y*ml", "*.compose.y*ml")
    roots = [FIXTURES] + ([CORPUS] if CORPUS.is_dir() else [])
    return sorted({path for root in roots for name in names for path in root.rglob(name) if path.is_file()})


def same(left, right, where: str = "") -> None:
    """Deep equality of two parsed trees: node kinds, values, tags, styles, spans, entry order."""
    assert type(left) is type(right), where
    if isinstance(left, YamlDocument):
        same(left.root, right.root, where + "/root")
        assert left.problems == right.problems, where
        assert len(left.more_roots) == len(right.more_roots), where
        for a, b in zip(left.more_roots, right.more_roots):
            same(a, b, where + "/more")
        return
    if left is None:
        return
    assert left.span == right.span and left.tag == right.tag, where
    if isinstance(left, YScalar):
        assert left.style == right.style and left.raw == right.raw, where
        a, b = left.value, right.value
        assert type(a) is type(b) and (a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b))), where
    elif isinstance(left, YSeq):
        assert len(left.items) == len(right.items), where
        for index, (a, b) in enumerate(zip(left.items, right.items)):
            same(a, b, f"{where}[{index}]")
    else:
        assert isinstance(left, YMap)
        assert list(left.entries) == list(right.entries), where
        for name, entry in left.entries.items():
            other = right.entries[name]
            assert entry.merged == other.merged, where
            same(entry.key, other.key, f"{where}/{name}:key")
            same(entry.value, other.value, f"{where}/{name}")


def _edits(text: str, document: YamlDocument) -> list[str]:
    """Texts with as many lines as ``text``, each changed inside one service's block or across two."""
    root = document.root
    services = root.get("services") if isinstance(root, YMap) else None
    if not isinstance(services, YMap) or not services.entries:
        return []
    lines = text.split("\n")
    starts = [entry.key.span.start.line - 1 for entry in services.entries.values()]
    chosen = sorted({0, len(starts) // 2, len(starts) - 1})
    edits = []
    for index in chosen:
        start = starts[index]
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        for number in sorted({start, start + 1, (start + end) // 2, end - 1} & set(range(start, end))):
            line = lines[number]
            middle = len(line) // 2
            variants = [line[:middle] + insert + line[middle:] for insert in INSERTS]
            variants += [line + " # edited", line[1:], "", line[:-1] + "z" if line else "z"]
            for variant in variants:
                edits.append("\n".join(lines[:number] + [variant] + lines[number + 1:]))
        if index + 1 < len(starts):  # the last line of this service and the first of the next
            changed = list(lines)
            changed[starts[index + 1] - 1] += " # a"
            changed[starts[index + 1] + 1] += " # b"
            edits.append("\n".join(changed))
    step = max(1, len(edits) // MAX_EDITS)  # a spread of them: the suite stays fast
    return edits[::step]


def _check(text: str, path: str, limits: YamlLimits = YamlLimits()) -> tuple[int, int]:
    """(edits parsed by blocks, edits in all); each compared with the whole parse, and edited once more."""
    document, kept = load(text, path, limits)
    chunked = total = 0
    for edited in _edits(text, document):
        total += 1
        whole = load_yaml(edited, path, limits)
        result = reparse(kept, edited, path, limits)
        if result is None:
            continue
        chunked += 1
        same(result[0], whole, path)
        again = reparse(result[1], text, path, limits)  # back to the original, from the spliced document
        if again is not None:
            same(again[0], load_yaml(text, path, limits), path + " (edited back)")
    return chunked, total


FILES = _compose_files()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REPO.parent)) for p in FILES])
def test_block_parse_is_the_whole_parse(path: Path):
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    _check(text, path.name)


def test_the_generated_repository_edits_parse_by_blocks(tmp_path: Path):
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    root = generate(100, tmp_path / "repo")
    chunked = total = 0
    for number, path in enumerate(sorted(root.rglob("compose*.yaml"))):
        text = path.read_text()
        if number < 2:
            found = _check(text, path.name)
            chunked, total = chunked + found[0], total + found[1]
        # The benchmark's edit (a published port) is parsed by blocks.
        document, kept = load(text, path.name, YamlLimits())
        port = next((line for line in text.splitlines() if line.strip().startswith('- "2')), None)
        if port is None:
            continue
        edited = text.replace(port, port.replace('- "2', '- "3', 1), 1)
        result = reparse(kept, edited, path.name, YamlLimits())
        assert result is not None
        same(result[0], load_yaml(edited, path.name))
    assert total and chunked > total // 3


def test_what_is_unsure_is_parsed_whole():
    base = ("x-a: &a\n  restart: always\nservices:\n  one:\n    <<: *a\n    image: a\n  two:\n    image: b\n"
            "  three:\n    image: c\nvolumes:\n  data: {}\n")
    _, kept = load(base, "c.yaml", YamlLimits())
    # An edit inside one service: parsed alone, the same as the whole parse.
    edited = base.replace("image: b", "image: q")
    result = reparse(kept, edited, "c.yaml", YamlLimits())
    assert result is not None
    same(result[0], load_yaml(edited, "c.yaml"))
    assert result[0].root.get("services").get("one") is kept.document.root.get("services").get("one")
    declined = [
        base.replace("image: b", "image: b\n    user: x"),  # a line more: later positions move
        base.replace("  two:", "  six:"),  # a service renamed
        base.replace("  two:", "two:"),  # a block out of services
        base.replace("image: b", "image: &b b"),  # an anchor defined in the block
        base.replace("image: b", "image: [b"),  # a flow collection open past the block
        base.replace("    image: b", "\timage: b"),  # a tab
        base.replace("restart: always", "restart: never"),  # outside the services
        base.replace("data: {}", "data: []"),
    ]
    for text in declined:
        assert reparse(kept, text, "c.yaml", YamlLimits()) is None, text
    # A flow services mapping is never parsed by blocks.
    flow = "services: {\n  one: {image: a},\n  two: {image: b}\n}\n"
    _, kept = load(flow, "c.yaml", YamlLimits())
    assert reparse(kept, flow.replace("image: b", "image: c"), "c.yaml", YamlLimits()) is None
    # Nor a document the whole parse found a problem in.
    broken = "services:\n  one:\n    image: a\n    image: b\n  two:\n    image: c\n"
    _, kept = load(broken, "c.yaml", YamlLimits())
    assert reparse(kept, broken.replace("image: c", "image: d"), "c.yaml", YamlLimits()) is None


def test_limits_hold_for_a_block_parse():
    deep = "services:\n  one:\n    image: a\n  two:\n    image: b\n"
    limits = YamlLimits(1_000_000, 4)
    _, kept = load(deep, "c.yaml", limits)
    nested = deep.replace("image: b", "x: {y: {z: 1}}")  # depth 5 in the whole document
    assert any(p.kind == "limit" for p in load_yaml(nested, "c.yaml", limits).problems)
    assert reparse(kept, nested, "c.yaml", limits) is None
    fits = deep.replace("image: b", "x: {y: 1}")  # depth 4
    result = reparse(kept, fits, "c.yaml", limits)
    assert result is not None
    same(result[0], load_yaml(fits, "c.yaml", limits))


def _interpolations(root, previous: dict, current: dict) -> tuple:
    """(interpolate_tree's tree and issues, _interpolated_by_service's) for one environment."""
    from composelint.assembly.compose_files import _interpolated_by_service
    from composelint.parsers.compose import interpolate_tree

    values = {"TAG": "1.0", "PORT": "8080", "HOST": "db"}
    whole_issues, issues = [], []
    whole = interpolate_tree(root, values.get, lambda issue, node: whole_issues.append((issue, node)))
    tree = _interpolated_by_service(root, values.get, lambda issue, node: issues.append((issue, node)), issues,
                                    previous, current)
    return (whole, whole_issues), (tree, issues)


class _Valid:
    """The part of the ParseCache that compose_files._valid_by_services asks."""

    def __init__(self):
        self.roots: list = []

    def valid_roots(self, relpath):
        return self.roots

    def found_valid(self, root):
        self.roots.append(root)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(REPO.parent)) for p in FILES])
def test_service_by_service_interpolation_and_schema_check_are_the_whole_ones(path: Path):
    """Interpolated a service at a time, the tree and issues are the whole interpolation's; a tree found
    valid by its changed services (compose_files._valid_by_services) is valid by the whole check."""
    from composelint.assembly.compose_files import _valid_by_services, schema_problems

    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    document, kept = load(text, path.name, YamlLimits())
    if not isinstance(document.root, YMap) or not kept.shares_no_variable():
        return
    current: dict = {}
    roots = [document.root] + [result[0].root for result in (
        reparse(kept, edited, path.name, YamlLimits()) for edited in _edits(text, document)[::2]) if result]
    valid = _Valid()
    for number, root in enumerate(roots):
        (whole, whole_issues), (tree, issues) = _interpolations(root, current if number else {}, {} if number
                                                                else current)
        same(tree, whole)
        assert [(issue, id(node)) for issue, node in issues] == [(issue, id(node)) for issue, node in whole_issues]
        if number == 0:
            if schema_problems(tree):
                break  # nothing to compare a service's check with
            valid.found_valid(tree)
        elif _valid_by_services(tree, valid):
            assert schema_problems(tree) == []
            valid.roots[1:] = []


def test_the_schema_judges_each_service_alone():
    """What _valid_by_services relies on: the root requires nothing, and ``services`` checks each entry alone."""
    from composelint.parsers.schema_precheck import compose_schema

    schema = compose_schema()
    assert not {"required", "allOf", "anyOf", "oneOf", "not", "if", "dependentRequired", "dependentSchemas",
                "minProperties", "maxProperties", "propertyNames", "unevaluatedProperties"} & schema.keys()
    services = schema["properties"]["services"]
    assert {key for key in services if not key.startswith("x-")} == {"type", "patternProperties",
                                                                       "additionalProperties"}


def test_a_variable_in_an_anchored_node_interpolates_the_whole_document():
    shared = "x-env: &env\n  TAG: ${TAG}\nservices:\n  a:\n    environment: *env\n  b:\n    environment: *env\n"
    assert not load(shared, "c.yaml", YamlLimits())[1].shares_no_variable()
    plain = shared.replace("${TAG}", "1.0").replace("  a:\n", "  a:\n    image: x:${TAG}\n")
    assert load(plain, "c.yaml", YamlLimits())[1].shares_no_variable()
