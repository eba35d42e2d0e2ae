"""Inline suppressions: ``# composelint: ignore[CODES] -- reason``.

One syntax for YAML and Dockerfiles. At the end of a line it covers that
line; on its own line it covers the node that starts on the next line (a YAML
key and everything under it, or a whole Dockerfile instruction); 
``file-ignore[...]`` anywhere covers the file. The engine applies them after
the rules ran; a rule never sees them.
"""

from __future__ import annotations

import re

from composelint.records import record
from composelint.rules import code_matches
from composelint.yamltree import YMap, YSeq

_PRAGMA = re.compile(
    r"#\s*composelint:\s*(?P<kind>file-ignore|ignore)\[(?P<codes>[^\]]*)\](?:\s+--\s*(?P<reason>.*?))?\s*$")


@record(frozen=True, slots=True)
class Suppression:
    path: str
    start_line: int
    end_line: int
    selectors: tuple[str, ...]
    reason: str | None
    comment_line: int
    scope: str  # "line" | "node" | "file"

    def covers(self, diagnostic) -> bool:
        if diagnostic.span.path != self.path:
            return False
        if not (self.start_line <= diagnostic.span.start.line <= self.end_line):
            return False
        return code_matches(diagnostic.code, diagnostic.name, self.selectors)

    def describe(self) -> str:
        where = f"{self.path}:{self.comment_line}"
        return f"{where}: {self.reason}" if self.reason else where


class SuppressionIndex:
    def __init__(self, suppressions: list[Suppression]):
        self._by_path: dict[str, list[Suppression]] = {}
        for suppression in suppressions:
            self._by_path.setdefault(suppression.path, []).append(suppression)

    def find(self, diagnostic) -> Suppression | None:
        for suppression in self._by_path.get(diagnostic.span.path, ()):
            if suppression.covers(diagnostic):
                return suppression
        return None


def _yaml_node_ranges(document) -> dict[int, int]:
    """Line of each mapping key -> last line of its value (and of sequence items)."""
    ranges: dict[int, int] = {}
    roots = [document.root, *document.more_roots]
    stack = [root for root in roots if root is not None]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, YMap):
            for entry in node.entries.values():
                if entry.merged:
                    continue
                end = entry.value.span.end_line
                line = entry.key.span.line
                ranges[line] = max(ranges.get(line, line), end)
                stack.append(entry.value)
        elif isinstance(node, YSeq):
            for item in node.items:
                line = item.span.line
                ranges.setdefault(line, item.span.end_line)
                stack.append(item)
    return ranges


def _dockerfile_ranges(dockerfile) -> dict[int, int]:
    return {instruction.span.line: instruction.span.end_line for instruction in dockerfile.instructions}


def scan(path: str, text: str, node_ranges) -> list[Suppression]:
    """The pragmas in ``text``; ``node_ranges`` (or a function making them) maps a line to its node's end."""
    if "composelint:" not in text:
        return []
    if callable(node_ranges):
        node_ranges = node_ranges()  # walked only for a file that has a pragma
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        if "composelint:" not in line:
            continue
        match = _PRAGMA.search(line)
        if match is None:
            continue
        before = line[:match.start()]
        if before.strip() and not before.endswith((" ", "\t")):
            continue  # a "#" inside a word is not a comment
        number = index + 1
        selectors = tuple(part.strip() for part in match.group("codes").split(",") if part.strip())
        reason = match.group("reason") or None
        if match.group("kind") == "file-ignore":
            found.append(Suppression(path, 1, len(lines), selectors, reason, number, "file"))
        elif before.strip():
            found.append(Suppression(path, number, number, selectors, reason, number, "line"))
        else:
            target = number + 1
            while target <= len(lines) and (not lines[target - 1].strip()
                                            or lines[target - 1].lstrip().startswith("#")):
                target += 1
            end = node_ranges.get(target, target)
            found.append(Suppression(path, target, end, selectors, reason, number, "node"))
    return found


def build_index(project) -> SuppressionIndex:
    suppressions: list[Suppression] = []
    for path, compose in project.compose_files.items():
        text = project.sources.get(path)
        if text:
            suppressions.extend(scan(path, text, lambda document=compose.document: _yaml_node_ranges(document)))
    for path, dockerfile in project.dockerfiles.items():
        text = project.sources.get(path)
        if text:
            suppressions.extend(scan(path, text, lambda dockerfile=dockerfile: _dockerfile_ranges(dockerfile)))
    # Other files an analysis read (Python sources, requirements): line and file pragmas.
    for path, text in list((project.extras.get("read_text") or {}).items()):
        if text and path not in project.sources:
            suppressions.extend(scan(path, text, {}))
    return SuppressionIndex(suppressions)
