"""Differential fuzzing of the parse by blocks (yaml_chunks.reparse) against the whole parse.

Seeded random edits that keep a compose file's lines (characters inserted, deleted or replaced inside a
line, among them every one that changes how YAML reads a line; anchors and aliases written or taken
away; lines re-indented, swapped, copied or replaced by a document marker, a service key or a merge
key; a few lines at once), one after another as an editor sends them: each ``reparse`` that does not
decline must be the whole ``load_yaml``, positions included. The documents: the compose files of the
fixtures and crafted ones for what a block parsed alone could read differently (block scalars and
their indicators, multi-line scalars, odd comments and keys, anchors and aliases before and after the
blocks, merge keys, other root keys after ``services``, document markers, a byte order mark, non-ASCII
text, no final newline, variables), under the default limits and limits the edits cross. What is rare
among random edits (an anchor defined again, an alias, one taken away) is tried in every line. The
language server's findings after each edit of a smaller sample are a run's that keeps nothing (no parse
cache: the command line's), so that what a warm and a fresh session share is checked too.
``run_fuzz`` and ``Target`` drive the longer runs (thousands of edits on the corpora) as well."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from helpers import FIXTURES
from test_yaml_chunks import same

from composelint.parsers.yaml_chunks import load, reparse
from composelint.parsers.yaml_loader import YamlLimits, load_yaml
from composelint.yamltree import YMap

# ------------------------------------------------------------ what the fuzzing found, each alone

def _as_whole(kept, edited: str) -> None:
    """``reparse`` declines, or gives what the whole parse gives."""
    result = reparse(kept, edited, "c.yaml", YamlLimits())
    if result is not None:
        same(result[0], load_yaml(edited, "c.yaml"))


@pytest.mark.parametrize("marker", ["...", "... # end", "---", "--- # next"])
def test_a_document_marker_in_a_block_is_parsed_whole(marker):
    # Found by the fuzzing: `...` at the end of a block ends the block's document alone, and nothing
    # follows in it; in the whole text the services after it start a second document.
    text = "services:\n  one:\n    image: a\n    # note\n  two:\n    image: b\n"
    _, kept = load(text, "c.yaml", YamlLimits())
    edited = text.replace("    # note", marker)
    whole = load_yaml(edited, "c.yaml")
    assert whole.more_roots or whole.problems
    _as_whole(kept, edited)


@pytest.mark.parametrize("after", ["x: 1\n", "  two:\n    image: b\n"])
def test_the_first_service_moved_down_is_parsed_whole(after):
    # Found by the fuzzing: a comment swapped with the first service's key line moves the start of
    # the `services` mapping (its first key) a line down.
    text = "services:\n  one:\n  # note\n" + after
    _, kept = load(text, "c.yaml", YamlLimits())
    _as_whole(kept, "services:\n  one:\n  # note\n" + after)
    _as_whole(kept, "services:\n  # note\n  one:\n" + after)


@pytest.mark.parametrize("indicator", ["|+", "|", ">-"])
def test_a_block_scalar_ending_the_block_before_is_parsed_whole(indicator):
    # Found by the fuzzing: a blank line swapped with the next service's key line joins the block
    # scalar that ends the block before it (its value, with `|+`, or its end).
    text = f"services:\n  one:\n    command: {indicator}\n      x\n  two:\n\n"
    _, kept = load(text, "c.yaml", YamlLimits())
    _as_whole(kept, f"services:\n  one:\n    command: {indicator}\n      x\n\n  two:\n")


@pytest.mark.parametrize("before, merge", [("", "!t <<: []"), ("", "  !t <<: {}"), ("x: &m <<\n", "*m : []"),
                                           ("x: &m <<\n", "  *m : []")])
def test_a_merge_key_after_the_services_is_parsed_whole(before, merge):
    # Found by the fuzzing: a merge key that merges nothing (no entry shows it), written after the
    # last service, still ends the mapping that holds it; a tag or an alias hides the `<<`.
    text = f"{before}services:\n  one:\n    image: a\n  two:\n    image: b\n{merge}\n"
    document, kept = load(text, "c.yaml", YamlLimits())
    assert not document.problems
    for edited in (text.replace("image: a", "image: q"), text.replace("image: b", "image: q")):
        _as_whole(kept, edited)



@pytest.mark.parametrize("key", ["    ?", "    ? k"])
def test_an_explicit_key_ending_the_block_before_is_parsed_whole(key):
    # Found by the fuzzing (on the fixtures): the value of an explicit key without one is empty, placed
    # at the next token, the next block's first key; when that key moves down its lines, the kept
    # block before it would keep the old place.
    text = f"services:\n  one:\n    image: a\n{key}\n  two:\n  # note\n"
    document, kept = load(text, "c.yaml", YamlLimits())
    assert not document.problems
    _as_whole(kept, f"services:\n  one:\n    image: a\n{key}\n  # note\n  two:\n")

# ------------------------------------------------------------ the fuzzing

SEED = 20261207
# Characters and tokens an edit inserts: every one that changes how YAML reads a line, and plain text.
CHARACTERS = " :#'\"|>&*!-?{}[],$%@`.\t" + "x7é"
TEXT = "abcxyz0189_./="  # what typing in a value mostly inserts
TOKENS = (": ", " #", "# ", "- ", "? ", "&a ", "*a", "*base", "*tag", "!t ", "!!str ", "!reset ", "<<: ", "<<: *base",
          "|", "|-", "|+", "|2", ">", ">-", "'", '"', "${TAG}", "${NEW:-d}", "${REQ:?need}", "$$", "{", "}", "[",
          "]", "...", "---", "\t", "\ufeff", "\u2028", "\r", "\x85", "\x07", "\udcff", "  ", "\\", "%")

CRAFTED = {
    "block-scalars.yaml": """\
services:
  web:
    image: nginx:1.27
    command: |
      echo one
        two

    entrypoint: >-
      sh -c
      'run'
  job:
    image: alpine:3.20
    command: |2
        indented
    healthcheck:
      test: |+
        keep


  last:
    image: busybox
    command: >
      folded
      text
""",
    "multiline-scalars.yaml": """\
services:
  web:
    image: "nginx:
      1.27"
    command: plain text
      continued here
      and here
  api:
    environment:
      A: 'single
        quoted'
      B: "double \\
        escaped"
    image: x
""",
    "odd-keys.yaml": """\
# a comment at column 0
services:
# a comment at column 0 inside services
  "quoted": {image: a}
  'single':
    image: b
  with:colon:
    image: c
  ? not-explicit-here
  : image: d
  1:
    image: e
     # a comment at an odd column
  x-ext: !tagged
    image: f
  nul:
   image: g
""",
    "anchors.yaml": """\
x-base: &base
  restart: always
  labels:
    team: core
x-tag: &tag nginx:1.27
services:
  one:
    <<: *base
    image: *tag
  two:
    image: alpine
    labels: *base
  three:
    <<: [*base]
    image: busybox
  four:
    image: a
    command: ["x", *tag]
volumes:
  data: &vol {}
  more: *vol
""",
    "anchor-after.yaml": """\
services:
  one:
    image: a
  two:
    image: b
x-late: &late
  image: c
networks:
  front: {}
""",
    "anchor-inside.yaml": """\
services:
  one: &one
    image: a
  two:
    <<: *one
    image: b
  three:
    image: c
""",
    "variables.yaml": """\
services:
  web:
    image: nginx:${TAG:-1.27}
    ports:
      - "${PORT}:80"
    environment:
      URL: http://api:${API_PORT:?set it}
      LITERAL: $$HOME
  api:
    image: registry.example/api:${TAG}
    command: ["serve", "--port", "${API_PORT}"]
  db:
    image: postgres:16
    environment:
      PASSWORD: ${DB_PASSWORD}
""",
    "anchored-variable.yaml": """\
x-env: &env
  TAG: ${TAG}
services:
  a:
    image: x
    environment: *env
  b:
    image: y:${TAG}
""",
    "markers.yaml": """\
%YAML 1.2
---
services:
  one:
    image: a
  two:
    image: b
...
""",
    "start-marker.yaml": """\
--- # the one document
services:
  one:
    image: a
  two:
    image: b
""",
    "services-first.yaml": """\
services:
  web:
    image: nginx
    ports:
    - 80:80
    - target: 443
      published: 8443
  worker:
    image: worker
    deploy: {replicas: 2}
    command: [a, b,
      c]
volumes:
  data:
networks:
  front:
""",
    "trailing.yaml": "services:  \n  a:   \n    image: x  \n\n  b:\n    image: y\t\n    \n",
    "no-final-newline.yaml": "services:\n  a:\n    image: x\n  b:\n    image: y",
    "bom.yaml": "\ufeffservices:\n  a:\n    image: x\n  b:\n    image: \u00e9\u00e9\U0001f600\n  c:\n    image: z",
    "non-ascii.yaml": "name: caf\u00e9\nservices:\n  \u00e9t\u00e9:\n    image: \u2603\n  b:\n    image: y\n  c:\n"
                      "    image: \U0001f600",
    "tags.yaml": """\
services: !!map
  one: !!map
    image: !!str 1.0
    command: !reset []
  two:
    image: !custom b
    ports: !override ["80:80"]
  three: !!null
""",
    "empty-values.yaml": """\
services:
  one:
    image:
    command:
  two:
  three:
    - not a mapping
  four: ~
""",
    "deep-indent.yaml": """\
services:
      one:
            image: a
            environment:
                  - A=1
      two:
            image: b
""",
    "merge-in-services.yaml": """\
x-more: &more
  extra:
    image: z
services:
  one:
    image: a
  <<: *more
  two:
    image: b
""",
    "aliased-services.yaml": """\
x-tmpl: &tmpl
  image: tmpl
x-key: &key aliased
x-redefined: &key2 one
services:
  # comments before the first service
  plain: *tmpl
  *key : {image: b}
  "<<":
    image: c
  third:
    <<: *tmpl
    image: d
    labels: {key2: *key2}
x-again: &key3 two
""",
    "redefined.yaml": """\
x-a: &a one
x-b: &a two
services:
  one:
    image: *a
  two:
    image: b
""",
    "flow-services.yaml": """\
services: {one: {image: a},
  two: {image: b}}
""",
}


def crafted_files(directory: Path) -> list[Path]:
    paths = []
    for name, text in CRAFTED.items():
        path = directory / name
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths


def fixture_files() -> list[Path]:
    names = ("compose*.y*ml", "docker-compose*.y*ml", "*.compose.y*ml")
    return sorted({path for name in names for path in FIXTURES.rglob(name) if path.is_file()})


class Target:
    """Where a document's services are, and the names an edit writes: the services' and the anchors'."""

    def __init__(self, document, anchors) -> None:
        root = document.root
        services = root.get("services") if isinstance(root, YMap) else None
        self.starts: list[int] = []  # 0-based key lines of the services
        self.end = None  # the line after the last service's block (None: the end of the text)
        if not isinstance(services, YMap) or not services.entries:
            return
        self.starts = [entry.key.span.start.line - 1 for entry in services.entries.values()]
        keys = list(root.entries)
        after = keys.index("services") + 1
        if after < len(keys):
            self.end = root.entries[keys[after]].key.span.start.line - 1
        self.column = next(iter(services.entries.values())).key.span.start.column - 1
        self.names = list(services.entries)
        self.anchors = list(anchors or ()) + ["a"]


def _line_edit(rng: random.Random, line: str, lines: list[str], target: Target) -> str:
    """``line`` changed once: a character or token inserted, characters deleted or replaced, the indent
    changed, or the line replaced by another one or by a line that is new to the block."""
    choice = rng.random()
    at = rng.randint(0, len(line))
    if choice < 0.35:  # typing inside the text of the line
        at = rng.randint(min(len(line), len(line) - len(line.lstrip()) + 1), len(line))
        return line[:at] + rng.choice(TEXT) + line[at:]
    if choice < 0.4:
        return line[:at] + rng.choice(CHARACTERS) + line[at:]
    if choice < 0.47:
        at = _node_start(rng, line) if rng.random() < 0.5 else at
        return line[:at] + rng.choice(TOKENS) + line[at:]
    if choice < 0.51:  # an alias to an anchor of the document, or the anchor defined (again) here
        at = _node_start(rng, line)
        return line[:at] + rng.choice("*&") + rng.choice(target.anchors) + rng.choice(("", " ")) + line[at:]
    if choice < 0.53:  # an anchor or an alias taken away
        return _ANCHOR_OR_ALIAS.sub("", line, count=1)
    if choice < 0.6:
        return line[:at] + line[at + rng.randint(1, 3):]
    if choice < 0.72:
        return line[:at] + rng.choice(CHARACTERS) + line[at + 1:]
    if choice < 0.8:
        return " " * rng.randint(1, 2) + line if rng.random() < 0.5 else line[rng.randint(1, 2):]
    if choice < 0.85:
        return rng.choice(lines)
    indent = " " * target.column
    inner = " " * (target.column + 2)
    return rng.choice((
        "", "...", "... # end", "---", "--- x", "# a comment", indent + "# comment",
        indent + rng.choice(target.names) + ":", indent + "added:", indent + "added: {image: q}", indent + "<<: []",
        indent + "<<: *" + rng.choice(target.anchors), indent + "<<: {}", inner + "<<: *" + rng.choice(target.anchors),
        inner + "image: y", inner + "? k", inner + "k: ? v", inner + "command: |", inner + "command: |+",
        inner + "command: >2", inner + "  text", inner + 'command: "open', inner + "- z", inner + "k: [1]",
        inner + "k: {a: {b: 1}}", inner + "k: [[[1]]]", inner + "- [[1]]", inner + "environment: [A=${TAG}]",
        inner + "image: ${TAG:-x}", "x: 1", "%YAML 1.2", indent + "*" + rng.choice(target.anchors) + " : x",
        inner + "k: *" + rng.choice(target.anchors), inner + "k: !!binary x",
        inner + "k: &" + rng.choice(target.anchors),
    ))


def _node_start(rng: random.Random, line: str) -> int:
    return rng.choice(sorted(_node_starts(line)))


def _node_starts(line: str) -> set[int]:
    """Where a node may start in ``line``: after its indent, a `: `, a `- `, a `[` or a `,`, or at its end."""
    return {len(line) - len(line.lstrip()), len(line)} | {match.end() for match in re.finditer(r": |- |\[|, ?", line)}


# An anchor or an alias as written (`&name `, `*name`).
_ANCHOR_OR_ALIAS = re.compile(r"[&*][^\s,\]}]+ ?")


def edit(rng: random.Random, text: str, target: Target) -> str:
    """``text`` with the same number of lines, changed in one line or a few (mostly inside the services)."""
    lines = text.split("\n")
    if target.starts and rng.random() < 0.85:
        low, high = target.starts[0], target.end if target.end is not None else len(lines)
    else:
        low, high = 0, len(lines)
    high = max(low + 1, min(high, len(lines)))
    number = rng.randrange(low, high)
    if rng.random() < 0.1 and number + 1 < len(lines):  # two lines swapped
        lines[number], lines[number + 1] = lines[number + 1], lines[number]
    else:
        for current in range(number, min(len(lines), number + (1 if rng.random() < 0.7 else rng.randint(2, 3)))):
            for _ in range(1 if rng.random() < 0.8 else rng.randint(2, 4)):
                lines[current] = _line_edit(rng, lines[current], lines, target)
    return "\n".join(lines)


class Tally:
    def __init__(self) -> None:
        self.edits = self.by_blocks = 0


def run_fuzz(text: str, path: str, rng: random.Random, steps: int, tally: Tally,
             limits: YamlLimits = YamlLimits()) -> None:
    """``steps`` edits of ``text``, one after another as the parse cache meets them; each parse by blocks
    compared with the whole parse. A broken text is mostly undone by the next edit, as an editor does."""
    document, kept = load(text, path, limits)
    target = Target(document, kept.anchors)
    if not target.starts:
        return
    good = current = text
    good_kept = kept
    for _ in range(steps):
        if rng.random() < 0.03:  # the text the fuzzing started from, lest edits wear the services away
            good = current = text
            good_kept = kept = load(text, path, limits)[1]
        if current != good and rng.random() < 0.85:  # back to the last good text, as an editor's undo
            if rng.random() < 0.8:
                current, kept = good, good_kept  # not an edit: the next one starts from a document parsed by blocks
                continue
            edited = good
        else:
            edited = edit(rng, current, target)
        if edited == current:
            continue
        tally.edits += 1
        result = reparse(kept, edited, path, limits)
        whole = load_yaml(edited, path, limits)
        if result is not None:
            tally.by_blocks += 1
            same(result[0], whole, f"{path}: {current!r} -> {edited!r}")
            kept = result[1]
        else:
            kept = load(edited, path, limits)[1]
        current = edited
        if not whole.problems and not whole.more_roots:
            good, good_kept = current, kept


def _limits_for(text: str, path: str) -> list[YamlLimits]:
    """The default limits, and limits at what the document needs (so edits cross them): a parse by blocks
    counts the nodes of the blocks it replaces too, so the second leaves room for one."""
    document, kept = load(text, path, YamlLimits())
    if kept.anchors is None:
        return [YamlLimits()]
    depth = _depth(document.root)
    return [YamlLimits(), YamlLimits(kept.total + 3, depth), YamlLimits(kept.total * 2, depth)]


def _depth(node) -> int:
    from composelint.yamltree import YSeq

    if isinstance(node, YMap):
        return 1 + max((_depth(entry.value) for entry in node.entries.values()), default=0)
    if isinstance(node, YSeq):
        return 1 + max((_depth(item) for item in node.items), default=0)
    return 0


def test_crafted_documents_parse_by_blocks_as_whole(tmp_path):
    rng = random.Random(SEED)
    tally = Tally()
    for path in crafted_files(tmp_path):
        text = path.read_text(encoding="utf-8")
        for limits in _limits_for(text, path.name):
            run_fuzz(text, path.name, rng, 60, tally, limits)
    # Most random edits break the YAML or leave the blocks (the whole parse): enough are parsed by blocks.
    assert tally.edits > 2000 and tally.by_blocks > 150, vars(tally)


def test_fixture_documents_parse_by_blocks_as_whole():
    rng = random.Random(SEED + 1)
    tally = Tally()
    files = fixture_files()
    for path in rng.sample(files, min(40, len(files))):
        text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        run_fuzz(text, path.name, rng, 30, tally)
    assert tally.edits > 600 and tally.by_blocks > 100, vars(tally)


def test_anchors_and_aliases_written_or_taken_away_in_each_line(tmp_path):
    """Not left to chance (each is rare among random edits): in every line of the services of the crafted
    documents, an anchor of the document defined again or an alias to it at each place a node may start,
    and each anchor or alias taken away."""
    checked = by_blocks = 0
    for name, text in CRAFTED.items():
        document, kept = load(text, name, YamlLimits())
        target = Target(document, kept.anchors)
        if not target.starts or kept.anchors is None:
            continue
        lines = text.split("\n")
        for number in range(target.starts[0], target.end or len(lines)):
            line = lines[number]
            variants = {line[:at] + sign + anchor + " " + line[at:]
                        for at in _node_starts(line) for sign in "&*" for anchor in target.anchors}
            variants |= {line[:match.start()] + line[match.end():] for match in _ANCHOR_OR_ALIAS.finditer(line)}
            for variant in variants:
                edited = "\n".join(lines[:number] + [variant] + lines[number + 1:])
                result = reparse(kept, edited, name, YamlLimits())
                checked += 1
                if result is not None:
                    by_blocks += 1
                    same(result[0], load_yaml(edited, name), f"{name}: {variant!r}")
    assert checked > 500 and by_blocks > 50, (checked, by_blocks)


SESSION_COMPOSE = """\
x-cache: &cache
  image: redis:7.2
x-common: &common
  restart: on-failure
  logging:
    driver: json-file
services:
  web:
    <<: *common
    build: ./app
    depends_on: [api]
    environment:
      TAG: ${TAG}
      API_URL: http://api:8000
    ports: ["8000:8000"]
    command: ["gunicorn", "app:app"]
  api:
    <<: *common
    image: registry.example/api:${TAG:?set TAG}
    ports:
      - "8001:8000"
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000"]
  worker:
    build:
      context: ./app
    command: celery worker --app ${APP_NAME:-app}
    privileged: true
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: ${DB_PASSWORD}
    volumes:
      - data:/var/lib/postgresql/data
  cache: *cache
  cache-replica: *cache
volumes:
  data: {}
"""
SHARED_VARIABLE = SESSION_COMPOSE.replace("  restart: on-failure", "  restart: ${RESTART}")
ENVS = ("TAG=1.0\n", "", "TAG=2.0\nDB_PASSWORD=x\n", "TAG=1.0\nRESTART=always\nAPP_NAME=web\n")


def _session_project(root: Path, compose: str) -> Path:
    from helpers import write_tree

    return write_tree(root, {
        ".git/HEAD": "ref: refs/heads/main\n", "compose.yaml": compose, ".env": ENVS[0],
        "app/Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\n"
                          "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n"
                          'CMD ["gunicorn", "app:app"]\n',
        "app/requirements.txt": "gunicorn==22.0.0\n", "app/app.py": "app = None\n"})


def _cold(root: Path, buffers: dict) -> dict:
    """The findings of a run over ``buffers`` that keeps nothing: no parse cache, as the command line."""
    from composelint.server.session import Session

    session = Session.open(root)
    session.parsed = None
    return session.lint(buffers).by_path


def _typed(rng: random.Random, text: str, target: Target) -> str:
    """``text`` with a character typed at the end of a line of the services that ends in a plain word."""
    lines = text.split("\n")
    high = len(lines) if target.end is None else target.end
    number = rng.choice([n for n in range(target.starts[0], high) if lines[n][-1:].isalnum() and "*" not in lines[n]])
    lines[number] += rng.choice("abc0189")
    return "\n".join(lines)


@pytest.mark.parametrize("compose", [SESSION_COMPOSE, SHARED_VARIABLE], ids=["plain anchors", "anchored variable"])
def test_the_server_finds_after_each_edit_what_a_cold_run_finds(tmp_path, compose):
    """Edits of a compose file (and now and then of its .env) through a warm session: the findings are
    a cold run's, while untouched services keep their nodes (the edit was parsed by blocks)."""
    from composelint.server.session import Session

    root = _session_project(tmp_path, compose)
    rng = random.Random(SEED + 2)
    document, kept = load(compose, "compose.yaml", YamlLimits())
    target = Target(document, kept.anchors)
    session = Session.open(root)
    buffers: dict[str, str] = {}
    session.lint(buffers)
    good = text = compose
    kept_nodes = 0
    for step in range(24):
        if step % 5 == 4:
            buffers[".env"] = rng.choice(ENVS)
        else:
            if text != good:  # a broken text undone
                text = good
            elif step % 2:
                text = edit(rng, text, target)
            else:
                text = _typed(rng, text, target)
            buffers["compose.yaml"] = text
        before = session.parsed._yaml["compose.yaml"][2].root
        warm = session.lint(buffers).by_path
        assert warm == _cold(root, buffers), (step, buffers)
        after = session.parsed._yaml["compose.yaml"][2].root
        if after is not before and isinstance(after, YMap) and isinstance(before, YMap):
            was, now = before.get("services"), after.get("services")
            kept_nodes += isinstance(was, YMap) and isinstance(now, YMap) and any(
                entry.value is was.entries[name].value for name, entry in now.entries.items() if name in was.entries)
        if not load_yaml(text, "compose.yaml").problems:
            good = text
    assert kept_nodes >= 3, kept_nodes


def test_a_service_made_invalid_then_valid_and_variables_come_and_go(tmp_path):
    """What the service-by-service interpolation, schema check and Service reuse assume, step by step:
    a service the schema refuses then accepts again, a variable added to a service and taken away, the
    .env changing between edits; after each, the findings of a cold run."""
    from composelint.server.session import Session

    root = _session_project(tmp_path, SESSION_COMPOSE)
    session = Session.open(root)
    buffers: dict[str, str] = {}
    found = [session.lint(buffers).by_path]
    refused = ("privileged: true", "privileged: maybe")  # not a boolean (CL002)
    variable = ("image: postgres:16", "image: postgres:${PG}")
    with_variable = SESSION_COMPOSE.replace(*variable)
    steps = [("compose.yaml", SESSION_COMPOSE.replace(*refused)),
             ("compose.yaml", SESSION_COMPOSE),  # valid again
             ("compose.yaml", with_variable),  # a variable, unset
             (".env", "TAG=1.0\nPG=16\n"),  # set
             ("compose.yaml", with_variable.replace(*refused)),  # another service refused
             ("compose.yaml", with_variable),
             (".env", ENVS[0]),  # unset again
             ("compose.yaml", with_variable.replace("TAG: ${TAG}", "TAG: ${TAG:?}")),  # required, in another service
             ("compose.yaml", SESSION_COMPOSE),  # the variable taken away
             ("compose.yaml", SESSION_COMPOSE.replace("  data: {}", "  data: 5"))]  # refused outside the services
    for path, text in steps:
        buffers[path] = text
        found.append(session.lint(buffers).by_path)
        assert found[-1] == _cold(root, buffers), (path, text)
    codes = [{(d.code, d.span.line) for d in by_path.get("compose.yaml", ())} for by_path in found]
    assert [("CL002", 28) in step for step in codes] == [False, True, False, False, False, True, False, False, False,
                                                          False, False]
    assert [("CL005", 30) in step for step in codes] == [False, False, False, True, False, False, False, True, True,
                                                          False, False]  # PG unset
    assert any(code == "CL002" for code, _ in codes[-1])
