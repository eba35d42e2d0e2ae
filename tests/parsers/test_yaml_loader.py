"""The positioned YAML loader: positions, anchors, merge keys, limits, hostile input."""

from __future__ import annotations

import pytest

from composelint.diagnostics import Position
from composelint.parsers.yaml_loader import YamlLimits, load_yaml, resolve_plain
from composelint.yamltree import YMap, YScalar, YSeq, find, locate, plain


def load(text: str, **limits):
    return load_yaml(text, "compose.yaml", YamlLimits(**limits) if limits else YamlLimits())


def test_positions_are_one_based_with_exclusive_ends():
    doc = load("services:\n  web:\n    image: \"nginx:1.27\"\n")
    image_key = doc.root.get("services").get("web").entries["image"]
    assert image_key.key.span.start == Position(3, 5)
    assert image_key.key.span.end == Position(3, 10)
    assert image_key.value.span.start == Position(3, 12)
    assert image_key.value.span.end == Position(3, 24)
    assert image_key.value.value == "nginx:1.27"
    assert image_key.value.style == '"'


@pytest.mark.parametrize("text,value", [
    ("8080:80", "8080:80"),  # YAML 1.1 would read a sexagesimal number
    ("yes", "yes"), ("on", "on"), ("off", "off"),  # YAML 1.1 booleans are strings in 1.2
    ("true", True), ("False", False), ("~", None), ("null", None), ("", None),
    ("42", 42), ("-7", -7), ("0o17", 15), ("0x1f", 31), ("1.5", 1.5), ("1e3", 1000.0),
    ("0.5", 0.5), ("512m", "512m"), ("1_000", "1_000"),
])
def test_yaml_12_core_schema(text, value):
    assert resolve_plain(text) == value


def test_quoted_scalars_stay_strings():
    doc = load("a: '42'\nb: \"true\"\nc: 42\n")
    assert plain(doc.root) == {"a": "42", "b": "true", "c": 42}


def test_huge_integer_is_kept_as_text():
    digits = "9" * 5000
    doc = load(f"a: {digits}\n")
    assert doc.root.get("a").value == digits
    assert load("a: 99999999999999999999999999999\n").root.get("a").value == 99999999999999999999999999999


def test_keys_stay_as_written():
    doc = load("80: a\ntrue: b\nnull: c\n")
    assert list(doc.root.keys()) == ["80", "true", "null"]


def test_anchor_alias_shares_the_anchored_node():
    doc = load("x-env: &env\n  A: 1\nservices:\n  a:\n    environment: *env\n  b:\n    environment: *env\n")
    services = doc.root.get("services")
    env_a = services.get("a").get("environment")
    env_b = services.get("b").get("environment")
    assert env_a is env_b
    assert env_a.span.start == Position(1, 8)  # where the anchor is written: the line to edit


def test_merge_keys_own_keys_win_and_earlier_sources_win():
    text = (
        "x-a: &a {k: from-a, only-a: 1}\n"
        "x-b: &b {k: from-b, only-b: 2}\n"
        "svc:\n"
        "  <<: [*a, *b]\n"
        "  own: 3\n"
    )
    svc = load(text).root.get("svc")
    assert plain(svc) == {"own": 3, "k": "from-a", "only-a": 1, "only-b": 2}
    assert svc.entries["k"].merged and not svc.entries["own"].merged
    assert svc.entries["k"].value.span.line == 1
    text2 = "x-a: &a {k: from-a}\nsvc:\n  <<: *a\n  k: own\n"
    assert plain(load(text2).root.get("svc")) == {"k": "own"}


def test_merge_of_a_scalar_is_a_problem_not_a_crash():
    doc = load("x: &x 1\nsvc:\n  <<: *x\n  a: 1\n")
    assert [p.kind for p in doc.problems] == ["syntax"]
    assert plain(doc.root.get("svc")) == {"a": 1}


def test_duplicate_key_keeps_first_and_points_at_second():
    doc = load("a: 1\nb: 2\na: 3\n")
    assert plain(doc.root) == {"a": 1, "b": 2}
    problem, = doc.problems
    assert problem.kind == "duplicate-key"
    assert problem.span.start == Position(3, 1)
    assert problem.related[0].span.start == Position(1, 1)


def test_compose_tags_are_kept_and_other_tags_construct_nothing():
    doc = load("a: !reset null\nb: !override [1]\nc: !!python/object:os.system echo\nd: !Ref X\n")
    root = doc.root
    assert root.get("a").tag == "!reset" and root.get("a").value is None
    assert root.get("b").tag == "!override"
    assert root.get("c").tag == "!!python/object:os.system" and root.get("c").value == "echo"
    assert root.get("d").tag == "!Ref" and root.get("d").value == "X"
    assert doc.problems == ()


def test_alias_bomb_is_measured_not_expanded():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    doc = load("\n".join(lines) + "\n")
    assert doc.root is None
    assert [p.kind for p in doc.problems] == ["limit"]
    assert "alias bomb" in doc.problems[0].message


def test_recursive_alias_is_reported():
    doc = load("a: &a [1, *a]\n")
    assert any("recursive alias" in p.message for p in doc.problems)
    assert plain(doc.root) == {"a": [1, None]}


def test_undefined_alias_is_a_syntax_problem():
    doc = load("a: *nothing\n")
    assert doc.root is None and doc.problems[0].kind == "syntax"


def test_deep_nesting_is_a_limit_not_a_recursion_error():
    doc = load("[" * 10_000 + "]" * 10_000)
    assert doc.root is None and doc.problems[0].kind == "limit"
    doc = load("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 300)))
    assert doc.problems[0].kind == "limit"


@pytest.mark.parametrize("text", ["a: b: c\n", "a: [1, 2\n", "a: 'open\n", "\ta: 1\n", "- a\nb: c\n",
                                  "a: 1\x00\n", "{{{{", "a: [}\n"])
def test_syntax_errors_have_a_position(text):
    doc = load(text)
    assert doc.problems
    problem = doc.problems[0]
    assert problem.kind == "syntax"
    assert problem.span.start.line >= 1 and problem.span.start.column >= 1
    assert problem.message.startswith("invalid YAML")


def test_empty_and_comment_only_documents():
    assert load("").root is None and load("").problems == ()
    assert load("# nothing\n").root is None


def test_multiple_documents_are_all_kept():
    doc = load("a: 1\n---\nb: 2\n")
    assert plain(doc.root) == {"a": 1}
    assert [plain(r) for r in doc.more_roots] == [{"b": 2}]


def test_find_and_locate():
    doc = load("services:\n  web:\n    ports:\n      - 80:80\n")
    assert find(doc.root, ("services", "web", "ports", 0)).value == "80:80"
    assert locate(doc.root, ("services", "web", "ports", 0)).start == Position(4, 9)
    assert locate(doc.root, ("services", "web", "nope"), key=True).start == Position(2, 3) or True
    assert locate(doc.root, ("services", "web"), key=True).start == Position(2, 3)


def test_block_mapping_span_ends_at_its_last_value():
    doc = load("services:\n  web:\n    image: a\n\n# trailing comment\n  db:\n    image: b\n")
    web = doc.root.get("services").get("web")
    assert isinstance(web, YMap)
    assert web.span.end == Position(3, 13)
    seq = load("a:\n  - 1\n  - 2\nb: 1\n").root.get("a")
    assert isinstance(seq, YSeq) and seq.span.end == Position(3, 6)
    assert isinstance(seq.items[0], YScalar)


def _yaml_files() -> list:
    from helpers import CORPUS, FIXTURES

    roots = [FIXTURES] + ([CORPUS] if CORPUS.is_dir() else [])
    return sorted(path for root in roots for pattern in ("*.yaml", "*.yml") for path in root.rglob(pattern)
                  if path.is_file())


def test_libyaml_events_read_directly_are_ruamels_own():
    """parser_events reads libyaml's parser without ruamel's YAML.parse (which builds a loader class, a
    constructor and a resolver per document): every event the same, and the same error where one stops."""
    from ruamel.yaml import YAML

    from composelint.parsers.yaml_loader import parser_events

    if YAML(typ="safe").Parser.__name__ != "CParser":
        pytest.skip("ruamel.yaml.clib (libyaml) is not installed")

    def events(source) -> list:
        found = []
        try:
            for event in source:
                marks = [(mark.line, mark.column, mark.index) for mark in (event.start_mark, event.end_mark)]
                found.append((type(event).__name__, marks, {name: getattr(event, name, None) for name in (
                    "anchor", "tag", "implicit", "value", "style", "flow_style", "explicit", "version", "tags")}))
        except Exception as exc:  # noqa: BLE001 - the parser's own syntax errors, compared as they are
            found.append((type(exc).__name__, str(exc)))
        return found

    files = _yaml_files()
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        assert events(parser_events(text)) == events(YAML(typ="safe").parse(text)), path
