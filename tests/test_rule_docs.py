"""Every rule page is documentation and a test.

In a page under rules/, each ``## Example…`` section is a failing case: its
``file=`` blocks are written into a fresh directory, only the page's rule runs,
and the concise output must equal the ``text expect`` block exactly. Each
``## Use instead…`` section must produce nothing for that rule.
Set COMPOSELINT_UPDATE_SNAPSHOTS=1 to rewrite the expect blocks (review the diff).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import REPO, lint_lines, write_tree

from composelint.rules import RULES

PAGES = REPO / "rules"
FENCE = re.compile(r"^(?P<fence>```+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.MULTILINE | re.DOTALL)
REQUIRED_HEADINGS = ("What it does", "Why is this bad", "Example", "Use instead", "Options", "How to suppress")


@dataclass
class Section:
    page: Path
    title: str
    files: dict[str, str]
    links: dict[str, str]  # path -> symlink target (```text file=x symlink=/etc/hostname```)
    encodings: dict[str, str]  # path -> codec the body is written in (```yaml file=x encoding=latin-1```)
    expect: list[str] | None
    expect_span: tuple[int, int] | None  # offsets of the expect block's body in the page


def parse_page(page: Path) -> list[Section]:
    text = page.read_text(encoding="utf-8")
    sections = []
    heads = [(m.start(), m.group(1).strip()) for m in re.finditer(r"^## (.+)$", text, re.MULTILINE)]
    for index, (start, title) in enumerate(heads):
        end = heads[index + 1][0] if index + 1 < len(heads) else len(text)
        files: dict[str, str] = {}
        links: dict[str, str] = {}
        encodings: dict[str, str] = {}
        expect = None
        expect_span = None
        for match in FENCE.finditer(text, start, end):
            info = match.group("info").split()
            body = match.group("body")
            attributes = dict(part.split("=", 1) for part in info if "=" in part)
            if "expect" in info:
                expect = [line for line in body.splitlines() if line.strip()]
                expect_span = (match.start("body"), match.end("body"))
            elif "symlink" in attributes:
                links[attributes["file"]] = attributes["symlink"]
            elif "file" in attributes:
                files[attributes["file"]] = body
                if "encoding" in attributes:
                    encodings[attributes["file"]] = attributes["encoding"]
        sections.append(Section(page, title, files, links, encodings, expect, expect_span))
    return sections


def page_for(code: str) -> Path | None:
    matches = sorted(PAGES.glob(f"{code}-*.md"))
    return matches[0] if matches else None


def cases():
    for page in sorted(PAGES.glob("CL*.md")):
        for section in parse_page(page):
            if (section.files or section.links) and (section.title.startswith("Example") or section.title.startswith("Use instead")):
                yield pytest.param(section, id=f"rules/{page.name}::{section.title}")


@pytest.mark.parametrize("section", list(cases()))
def test_rule_page_example(section: Section, tmp_path: Path):
    code = section.page.name.split("-", 1)[0]
    write_tree(tmp_path, {path: body.encode(section.encodings[path]) if path in section.encodings else body
                          for path, body in section.files.items()})
    for path, target in section.links.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).symlink_to(target)
    actual = lint_lines(tmp_path, select=(code,))
    if section.title.startswith("Use instead"):
        assert actual == [], f"the good example must produce no {code} finding"
        return
    if os.environ.get("COMPOSELINT_UPDATE_SNAPSHOTS") and section.expect_span:
        _rewrite_expect(section, actual)
        return
    assert section.expect is not None, f"{section.title} has no ```text expect``` block"
    assert actual, "the bad example must produce findings"
    assert actual == section.expect


def _rewrite_expect(section: Section, actual: list[str]) -> None:
    # Re-parse: an earlier rewrite of the same page moved the offsets.
    current = next(s for s in parse_page(section.page) if s.title == section.title)
    text = section.page.read_text(encoding="utf-8")
    start, end = current.expect_span
    section.page.write_text(text[:start] + "".join(line + "\n" for line in actual) + text[end:], encoding="utf-8")


def test_every_rule_has_a_page_and_every_page_a_rule():
    pages = {page.name for page in PAGES.glob("CL*.md")}
    expected = {meta.page for meta in RULES.values()}
    assert sorted(expected - pages) == [], "rules without a page"
    assert sorted(pages - expected) == [], "pages without a rule (or misnamed)"


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_structure(code: str):
    meta = RULES[code]
    page = PAGES / meta.page
    text = page.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first == f"# {meta.code} {meta.name}"
    assert f"**Severity:** {meta.severity.label}" in text
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    for required in REQUIRED_HEADINGS:
        assert any(h == required or h.startswith(required + ":") or h.startswith(required + " ")
                   for h in headings), f"{page.name} lacks a '## {required}' section"
    sections = parse_page(page)
    assert any(s.title.startswith("Example") and (s.files or s.links) and s.expect for s in sections)
    assert any(s.title.startswith("Use instead") and s.files for s in sections)


def test_rules_readme_table_is_current():
    from composelint.dev import rules_table

    readme = (PAGES / "README.md").read_text(encoding="utf-8")
    assert rules_table() in readme, "rules/README.md is stale: run `python -m composelint.dev table`"
