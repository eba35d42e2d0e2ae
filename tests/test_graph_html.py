"""`composelint graph --format html` (composelint/reporters/graph_html.py): structure, escaping, determinism,
scale, and the page as headless Chromium renders it (scripts/screenshot_graph.py holds the helpers).

The Chromium tests skip when no Chromium is installed (Debian: `apt-get install chromium`; .ci/run
installs it).
"""

from __future__ import annotations

import importlib.util
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import FIXTURES, REPO, write_tree

from composelint.assembly.project import build_project
from composelint.cli import cli
from composelint.config import load_config
from composelint.engine import run
from composelint.graph import graph_of
from composelint.reporters.graph_diagram import dependency_layers
from composelint.reporters.graph_html import attach_findings, render_html

INCIDENT = FIXTURES / "incident"
INCIDENT_SERVICES = {"agent-scanner", "agent-reporter", "agent-planner", "agent-summarizer", "backend", "frontend",
                     "redis"}
UNDEPLOYED = {"consul", "kong", "rabbitmq"}
HOSTILE = {
    ".composelint.yaml": "# root\n",
    "compose.yaml": (
        "services:\n"
        "  \"<script>alert(1)</script>\":\n"
        "    image: \"x\\\"><img src=x onerror=alert(2)>\"\n"
        "    depends_on: [\"</svg><u>under</u>\", \"a&b\"]\n"
        "    environment:\n"
        "      URL: http://evil\"><script>alert(3)</script>:80/\n"
        "  \"a&b\":\n"
        "    image: redis\n"
        "  \"x]]>--><!--\":\n"
        "    image: busybox\n"
        "    depends_on: [\"x]]>--><!--\"]\n"
    ),
}
HOSTILE_NAMES = {"<script>alert(1)</script>", "a&b", "x]]>--><!--", "</svg><u>under</u>"}


def _load_screenshot_module():
    spec = importlib.util.spec_from_file_location("screenshot_graph", REPO / "scripts" / "screenshot_graph.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shots = _load_screenshot_module()
CHROMIUM = shots.find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install "
                                                              "chromium; .ci/run installs it)")


def page_of(root: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["graph", str(root), "--format", "html", *args])
    assert result.exit_code == 0, result.output
    return result.output


class Page(HTMLParser):
    """The parts of a page the tests look at: tags, attributes, diagram boxes, cards and text."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "area", "base", "col", "embed", "source", "track", "wbr"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[tuple[str, dict]] = []
        self.boxes: dict[str, set[str]] = {}  # diagram box name -> css classes (all diagrams)
        self.cards: dict[str, dict] = {}  # card id -> {"name", "classes", "text"}
        self.text: list[str] = []
        self.style = ""
        self._card: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "article" and "card" in (attrs.get("class") or "").split():
            self._card = attrs.get("id")
            self.cards[self._card] = {"name": None, "classes": set(attrs["class"].split()), "text": []}
        if tag not in self.VOID:
            self.stack.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        while self.stack:
            open_tag, _ = self.stack.pop()
            if open_tag == tag:
                break
        if tag == "article":
            self._card = None

    def handle_data(self, data):
        self.text.append(data)
        if self.stack and self.stack[-1][0] == "style":
            self.style += data
        top = set((self.stack[-1][1].get("class") or "").split()) if self.stack else set()
        anchors = [attrs for name, attrs in self.stack if name == "a" and "node" in (attrs.get("class") or "")]
        if anchors and "name" in top and self.stack[-1][0] == "text":
            self.boxes.setdefault(data, set()).update(anchors[-1]["class"].split())
        if self._card is not None:
            card = self.cards[self._card]
            card["text"].append(data)
            if "svc-name" in top and card["name"] is None:
                card["name"] = data


def cards_named(page: Page, name: str) -> list[dict]:
    return [card for card in page.cards.values() if card["name"] == name]


def card_text(page: Page, name: str) -> str:
    (card,) = cards_named(page, name)
    return "".join(card["text"])


# --------------------------------------------------------------------------- structure


@pytest.fixture(scope="module")
def incident_page() -> str:
    return page_of(INCIDENT)


def test_incident_page_shows_every_service_and_what_is_missing(incident_page):
    page = Page(incident_page)
    assert INCIDENT_SERVICES | UNDEPLOYED | {"redis-cache"} == set(page.boxes)
    for name in UNDEPLOYED:
        assert "undeployed" in page.boxes[name]
        (card,) = cards_named(page, name)
        assert "undeployed" in card["classes"] and "not deployed" in "".join(card["text"])
        assert "CL102" in "".join(card["text"])
    assert "undefined" in page.boxes["redis-cache"]
    assert "did you mean redis?" in card_text(page, "redis-cache")
    for name in INCIDENT_SERVICES:
        assert page.boxes[name] == {"node", "service"}
    assert "docker compose -f docker-compose.yml up -d --build" in "".join(page.text)
    assert "Makefile:7:2" in "".join(page.text)


def test_findings_are_attached_to_their_services(incident_page):
    page = Page(incident_page)
    scanner = card_text(page, "agent-scanner")
    for code in ("CL101", "CL201", "CL203", "CL205", "CL301"):
        assert code in scanner
    assert "CL401" in scanner and "agents/scanner/Dockerfile:2:8" in scanner  # through its build's Dockerfile
    assert "CL302" in card_text(page, "agent-planner")  # shared through the x-agent anchor
    assert "CL002" in card_text(page, "frontend")  # no subject: inside the service's definition
    assert "CL004" in card_text(page, "redis")
    backend = card_text(page, "backend")
    assert "CL407" in backend and "backend/app/main.py:3:8" in backend
    assert "CL201" not in backend
    assert [attrs for tag, attrs in page.tags if tag == "section" and attrs.get("id") == "other-findings"]
    assert "docker-compose.yml:10:16" in "".join(page.text)  # CL005 in the x-agent anchor: no one service


def test_every_finding_is_on_the_page_once_or_per_service():
    config = load_config(INCIDENT)
    project = build_project(INCIDENT, config)
    diagnostics = run(project, config).diagnostics
    from composelint.reporters.graph import GraphView

    view = GraphView(graph_of(project))
    attached, loose = attach_findings(graph_of(project), view.nodes, diagnostics)
    placed = {id(d) for found in attached.values() for d in found} | {id(d) for d in loose}
    assert placed == {id(d) for d in diagnostics}
    assert not {id(d) for d in loose} & {id(d) for found in attached.values() for d in found}
    names = {graph_of(project).node(node_id).name for node_id in attached}
    assert names == INCIDENT_SERVICES | UNDEPLOYED
    assert [d.code for d in loose] == ["CL005"]


def test_a_name_in_two_deployments_gets_the_findings_of_its_own_files(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "deployments:\n  - [a/compose.yaml]\n  - [b/compose.yaml]\n",
        "a/compose.yaml": "services:\n  db:\n    image: postgres:16\n",
        "b/compose.yaml": "services:\n  db:\n    image: postgres:16\n    enviroment: {}\n",
    })
    page = Page(page_of(tmp_path))
    first, second = cards_named(page, "db")
    assert "CL002" not in "".join(first["text"]) and "CL002" in "".join(second["text"])
    assert "b/compose.yaml:4:5" in "".join(second["text"])


def test_links_point_at_cards_and_nothing_is_loaded_from_the_network(incident_page):
    page = Page(incident_page)
    ids = {attrs["id"] for _, attrs in page.tags if "id" in attrs}
    assert len(ids) == sum(1 for _, attrs in page.tags if "id" in attrs), "duplicate ids"
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "img", "iframe", "object", "embed", "image", "use", "foreignobject")
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("src", "srcset", "xlink:href", "style")
            if "http://" in (value or "") or "https://" in (value or ""):
                assert (tag, name) == ("a", "href"), (tag, name, value)
            if tag == "a" and name == "href" and value.startswith("#"):
                assert value[1:] in ids, value
    assert "@import" not in page.style and "http" not in page.style and "url(" not in page.style
    markers = re.findall(r'url\(([^)]*)\)', incident_page)
    assert markers and all(ref.startswith("#cl-arrow-") for ref in markers)
    assert "CONSUL_HTTP_ADDR=http://consul:8500" in "".join(page.text)  # addresses are text, never fetched


def test_every_text_from_the_files_is_escaped(tmp_path):
    write_tree(tmp_path, HOSTILE)
    text = page_of(tmp_path)
    page = Page(text)
    assert not [tag for tag, _ in page.tags if tag in ("script", "img", "u")]
    assert not [attrs for _, attrs in page.tags if any(name.startswith("on") for name in attrs)]
    assert HOSTILE_NAMES <= set(page.boxes)
    assert "<script>alert(1)</script>" in {card["name"] for card in page.cards.values()}
    assert 'x"><img src=x onerror=alert(2)>' in "".join(page.text)
    assert "<script>" not in text and "<img" not in text


def test_control_characters_and_surrogates_are_replaced():
    from composelint.reporters.graph_diagram import escape as _e

    assert _e("a\x00b\x1b[31m\ud800<") == "a\ufffdb\ufffd[31m\ufffd&lt;"
    assert _e('"\'&') == "&quot;&#x27;&amp;"


def test_same_input_same_bytes(tmp_path):
    first = page_of(INCIDENT)
    assert page_of(INCIDENT) == first
    out = tmp_path / "graph.html"
    result = CliRunner().invoke(cli, ["graph", str(INCIDENT), "--format", "html", "-o", str(out)])
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text(encoding="utf-8") == first
    assert str(REPO) not in first  # no absolute path of the machine that rendered it


def test_same_bytes_whatever_the_hash_seed():
    import os
    import subprocess
    import sys

    pages = set()
    for seed in ("1", "2"):
        result = subprocess.run([sys.executable, "-m", "composelint", "graph", str(FIXTURES / "graph" / "platform"),
                                 "--format", "html"], capture_output=True, timeout=120, check=False,
                                env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        pages.add(result.stdout)
    assert len(pages) == 1


def test_one_deployment_and_several(tmp_path):
    defaults = FIXTURES / "graph" / "defaults"
    page = Page(page_of(defaults))
    assert len([1 for tag, attrs in page.tags if tag == "section" and "deployment" in (attrs.get("class") or "")
                and attrs.get("id", "").startswith("deployment-")]) == 2
    assert "undeployed" in page.boxes["mailhog"]
    one = Page(page_of(defaults, "--deployment", "shop/compose.yaml"))
    assert {"shop", "db", "blog"} == set(one.boxes)
    assert "undefined" in one.boxes["blog"]
    result = CliRunner().invoke(cli, ["graph", str(defaults), "--format", "html", "--deployment", "nope"])
    assert result.exit_code == 2 and "no deployment is named `nope`" in result.output


def test_cycles_inactive_services_and_extends(tmp_path):
    write_tree(tmp_path, {
        ".composelint.yaml": "# root\n",
        "base.yaml": "services:\n  common:\n    image: busybox\n",
        "compose.yaml": (
            "services:\n"
            "  web:\n    image: nginx\n    depends_on: [api, debug]\n"
            "  api:\n    extends: {file: base.yaml, service: common}\n    depends_on: [worker]\n"
            "  worker:\n    image: busybox\n    depends_on: [api]\n"
            "  debug:\n    image: busybox\n    profiles: [debug]\n"
        ),
    })
    page = Page(page_of(tmp_path))
    assert {"web", "api", "worker", "debug", "common"} <= set(page.boxes)
    assert "inactive" in page.boxes["debug"]
    assert any(tag == "path" and "extends" in (attrs.get("class") or "").split() for tag, attrs in page.tags)
    text = "".join(page.text)
    assert "none: a dependency cycle" in text
    assert "start-order cycle" in text and "disable" in text


def test_an_empty_repository_renders(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "# root\n"})
    page = Page(page_of(tmp_path))
    assert not page.boxes and not page.cards
    assert "no deployment found" in "".join(page.text)


def test_layers_put_dependencies_first_and_survive_cycles():
    assert dependency_layers(["web", "api", "db"], [("web", "api"), ("api", "db")]) == [["db"], ["api"], ["web"]]
    assert dependency_layers(["a", "b", "c"], [("a", "b"), ("b", "a"), ("c", "a"), ("c", "c")]) == [["a", "b"],
                                                                                                     ["c"]]
    assert dependency_layers(["x", "y"], [("x", "nowhere")]) == [["x", "y"]]
    assert dependency_layers([], []) == []
    # weak edges (host references) order the layers too, unless they would close a cycle
    assert dependency_layers(["ag", "consul", "be", "redis"], [("be", "redis")], [("ag", "consul"), ("redis", "be")]) \
        == [["consul", "redis"], ["ag", "be"]]
    chain = [f"s{i}" for i in range(3000)]
    layers = dependency_layers(chain, zip(chain, chain[1:]))
    assert len(layers) == 3000 and layers[0] == ["s2999"]


def _big_project(tmp_path: Path, count: int):
    lines = ["services:"]
    for index in range(count):
        lines.append(f"  svc{index}:\n    image: busybox")
        needs = [f"svc{other}" for other in (index // 2, index // 3) if other != index]
        if index % 50 == 0:
            needs.append(f"missing{index}")
        if needs:
            lines.append(f"    depends_on: [{', '.join(sorted(set(needs)))}]")
        lines.append(f"    environment:\n      PEER: http://svc{(index * 7) % count}:80")
    write_tree(tmp_path, {".composelint.yaml": "# root\n", "compose.yaml": "\n".join(lines) + "\n"})
    return build_project(tmp_path, load_config(tmp_path))


def test_a_thousand_services_render_quickly_and_compactly(tmp_path):
    project = _big_project(tmp_path, 1000)
    graph = graph_of(project)
    start = time.perf_counter()
    text = render_html(graph, ())
    elapsed = time.perf_counter() - start
    assert elapsed < 15, elapsed
    assert len(text) < 6_000_000, len(text)
    page = Page(text)
    assert {f"svc{index}" for index in range(1000)} <= set(page.boxes)
    assert "undefined" in page.boxes["missing50"]


def test_a_flat_graph_is_folded_into_columns(tmp_path):
    write_tree(tmp_path, {".composelint.yaml": "# root\n", "compose.yaml": "services:\n" + "".join(
        f"  s{index}:\n    image: busybox\n" for index in range(400))})
    text = page_of(tmp_path)
    width, height = (float(v) for v in re.search(r'<svg class="graph"[^>]* width="([\d.]+)" height="([\d.]+)"',
                                                  text).groups())
    assert width < 6000 and height < 2000


# --------------------------------------------------------------------------- in a real browser


@pytest.fixture(scope="module")
def incident_html(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("graph") / "incident.html"
    path.write_text(page_of(INCIDENT), encoding="utf-8")
    return path


@needs_chromium
def test_chromium_renders_every_service_of_the_incident(incident_html):
    dom = shots.dump_dom(incident_html, CHROMIUM)
    page = Page(dom)
    assert INCIDENT_SERVICES | UNDEPLOYED | {"redis-cache"} == set(page.boxes)
    for name in UNDEPLOYED:
        assert "undeployed" in page.boxes[name]
        assert "not deployed" in card_text(page, name)
    assert "undefined" in page.boxes["redis-cache"]
    assert {card["name"] for card in page.cards.values()} == INCIDENT_SERVICES | UNDEPLOYED | {"redis-cache"}
    assert not [tag for tag, _ in page.tags if tag == "script"]


@needs_chromium
def test_chromium_keeps_hostile_names_as_text(tmp_path):
    write_tree(tmp_path / "repo", HOSTILE)
    html = tmp_path / "hostile.html"
    html.write_text(page_of(tmp_path / "repo"), encoding="utf-8")
    page = Page(shots.dump_dom(html, CHROMIUM))
    assert not [tag for tag, _ in page.tags if tag in ("script", "img", "u")]
    assert HOSTILE_NAMES <= set(page.boxes)


@needs_chromium
def test_chromium_screenshot_shows_the_red_dashed_boxes(tmp_path):
    html = tmp_path / "defaults.html"
    html.write_text(page_of(FIXTURES / "graph" / "defaults"), encoding="utf-8")
    png = shots.screenshot(html, tmp_path / "defaults.png", width=1000, height=900, chromium=CHROMIUM)
    width, height, size, rows = shots.read_png(png)
    assert (width, height) == (1000, 900)

    def count(red, green, blue, tolerance=24):
        total = 0
        for row in rows:
            for x in range(0, width * size, size):
                if abs(row[x] - red) <= tolerance and abs(row[x + 1] - green) <= tolerance and \
                        abs(row[x + 2] - blue) <= tolerance:
                    total += 1
        return total

    assert count(0xDC, 0x26, 0x26) > 500  # red dashes, red names and tiles: undefined `blog`, undeployed `mailhog`
    assert count(0x33, 0x41, 0x55) > 500  # the slate borders of deployed services


def test_screenshot_script_crops_pngs(tmp_path):
    import struct
    import zlib

    rows = b"".join(b"\x00" + bytes([y, 0, 0]) * 4 for y in range(10))
    header = struct.pack(">IIBBBBB", 4, 10, 8, 2, 0, 0, 0)
    png = tmp_path / "t.png"
    png.write_bytes(shots.PNG_SIGNATURE + shots._chunk(b"IHDR", header) + shots._chunk(b"IDAT", zlib.compress(rows))
                    + shots._chunk(b"IEND", b""))
    shots.crop_png(png, 6)
    width, height, size, decoded = shots.read_png(png)
    assert (width, height, size) == (4, 6, 3)
    assert [row[0] for row in decoded] == [0, 1, 2, 3, 4, 5]


# --------------------------------------------------------------------------- the README's example


def _mermaid_parts(text: str) -> tuple[set, set]:
    labels, nodes, edges = {}, set(), set()
    for line in text.splitlines():
        node = re.match(r'\s*(n\d+)(?:\["(.*)"\]|\{\{"(.*)"\}\})(?::::(\w+))?$', line)
        if node:
            labels[node.group(1)] = node.group(2) or node.group(3)
            nodes.add((labels[node.group(1)], node.group(4)))
        edge = re.match(r'\s*(n\d+) (-->|-\.->)\|"(.*)"\| (n\d+)$', line)
        if edge:
            edges.add((edge.group(1), edge.group(2), edge.group(3), edge.group(4)))
    return nodes, {(labels[a], arrow, label, labels[b]) for a, arrow, label, b in edges}


def test_the_readme_mermaid_example_is_part_of_the_real_output():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The deployment graph"):]
    (example,) = re.findall(r"^```mermaid\n(.*?)^```", section, re.MULTILINE | re.DOTALL)[:1]
    result = CliRunner().invoke(cli, ["graph", str(INCIDENT)])
    nodes, edges = _mermaid_parts(example)
    real_nodes, real_edges = _mermaid_parts(result.output)
    assert nodes and edges and nodes <= real_nodes and edges <= real_edges
    assert "(docs/graph-incident.png)" in section and (REPO / "docs" / "graph-incident.png").is_file()
