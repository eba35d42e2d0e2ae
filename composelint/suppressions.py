"""Inline suppressions: ``# composelint: ignore[CODES] -- reason``.

One syntax for YAML and Dockerfiles. At the end of a line it covers that
line; on its own line it covers the node that starts on the next line (a YAML
key and everything under it, or a whole Dockerfile instruction); 
``file-ignore[...]`` anywhere covers the file. The engine applies them after
the rules ran; a rule never sees them. The index remembers which selector of
which pragma covered a finding, and which ``# composelint:`` comments it could
not read, for CL009 (unused-suppression), which the engine runs last.
"""

from __future__ import annotations

import re

from composelint.lazyre import LazyPattern
from composelint.records import record
from composelint.rules import code_matches
from composelint.yamltree import YMap, YSeq

_PRAGMA = LazyPattern(
    r"#\s*composelint:\s*(?P<kind>file-ignore|ignore)\[(?P<codes>[^\]]*)\](?:\s+--\s*(?P<reason>.*?))?\s*$")
# What announces a pragma, well-formed or not: a comment that starts with "composelint:".
_MARKER = LazyPattern(r"#\s*composelint\s*:")


@record(frozen=True, slots=True)
class Suppression:
    path: str
    start_line: int
    end_line: int
    selectors: tuple[str, ...]
    reason: str | None
    comment_line: int
    scope: str  # "line" | "node" | "file"
    column: int = 1  # where the pragma's "#" is (code points, 1-based) ...
    end_column: int = 1  # ... and the character after its closing "]"
    selector_columns: tuple[int, ...] = ()  # where each selector starts on the comment line
    origin: str = "composelint"  # or "hadolint": a `# hadolint ignore=` pragma (composelint/hadolint.py)
    targets: tuple[tuple[str, ...], ...] = ()  # hadolint: the composelint codes each selector maps to

    def covers(self, diagnostic) -> bool:
        if diagnostic.span.path != self.path:
            return False
        if not (self.start_line <= diagnostic.span.start.line <= self.end_line):
            return False
        return any(self.selector_covers(index, diagnostic) for index in range(len(self.selectors)))

    def selector_covers(self, index: int, diagnostic) -> bool:
        if self.origin == "composelint":
            return code_matches(diagnostic.code, diagnostic.name, (self.selectors[index],))
        if diagnostic.code not in self.targets[index]:
            return False
        from composelint.hadolint import covers

        return covers(self.selectors[index], diagnostic)

    def describe(self) -> str:
        where = f"{self.path}:{self.comment_line}"
        return f"{where}: {self.reason}" if self.reason else where


@record(frozen=True, slots=True)
class Malformed:
    """A ``# composelint:`` comment that is not a pragma composelint reads: it suppresses nothing."""

    path: str
    line: int
    column: int
    end_column: int
    text: str  # the comment from its "#"


class SuppressionIndex:
    def __init__(self, suppressions: list[Suppression], malformed: list[Malformed] | None = None,
                 notes: tuple = (), notes_path: str | None = None):
        self._by_path: dict[str, list[Suppression]] = {}
        for suppression in suppressions:
            self._by_path.setdefault(suppression.path, []).append(suppression)
        self.suppressions = tuple(suppressions)
        self.malformed = tuple(malformed or ())
        # What of a .hadolint.yaml composelint cannot honour, (line, column, width, message, help) in
        # ``notes_path``: CL009 reports each once.
        self.notes = tuple(notes)
        self.notes_path = notes_path
        self._used: set[tuple[int, int]] = set()  # (id of a suppression, index of a selector)

    def find(self, diagnostic) -> Suppression | None:
        for suppression in self._by_path.get(diagnostic.span.path, ()):
            if suppression.covers(diagnostic):
                for index in range(len(suppression.selectors)):
                    if suppression.selector_covers(index, diagnostic):
                        self._used.add((id(suppression), index))
                return suppression
        return None

    def used(self, suppression: Suppression, index: int) -> bool:
        """Whether the selector at ``index`` of ``suppression`` covered a finding so far."""
        return (id(suppression), index) in self._used


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


def scan(path: str, text: str, node_ranges, malformed: list[Malformed] | None = None) -> list[Suppression]:
    """The pragmas in ``text``; ``node_ranges`` (or a function making them) maps a line to its node's end.

    ``malformed`` collects the ``# composelint:`` comments that are not pragmas."""
    if "composelint" not in text:
        return []
    if callable(node_ranges):
        node_ranges = node_ranges()  # walked only for a file that has a pragma
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        if "composelint" not in line:
            continue
        match = _PRAGMA.search(line)
        marker = _MARKER.search(line)
        if match is None or (marker is not None and marker.start() < match.start()):
            if marker is not None and malformed is not None and _is_comment(line, marker.start()):
                malformed.append(Malformed(path, index + 1, marker.start() + 1, len(line.rstrip()) + 1,
                                           line[marker.start():].rstrip()))
            continue
        before = line[:match.start()]
        if not _is_comment(line, match.start()):
            continue  # a "#" inside a word is not a comment
        number = index + 1
        codes_at = match.start("codes")
        selectors, columns = [], []
        for part in re.finditer(r"[^,]+", match.group("codes")):
            if part.group().strip():
                selectors.append(part.group().strip())
                columns.append(codes_at + part.start() + len(part.group()) - len(part.group().lstrip()) + 1)
        selectors = tuple(selectors)
        reason = match.group("reason") or None
        place = {"column": match.start() + 1, "end_column": match.end("codes") + 2,
                 "selector_columns": tuple(columns)}
        if match.group("kind") == "file-ignore":
            found.append(Suppression(path, 1, len(lines), selectors, reason, number, "file", **place))
        elif before.strip():
            found.append(Suppression(path, number, number, selectors, reason, number, "line", **place))
        else:
            target = number + 1
            while target <= len(lines) and (not lines[target - 1].strip()
                                            or lines[target - 1].lstrip().startswith("#")):
                target += 1
            end = node_ranges.get(target, target)
            found.append(Suppression(path, target, end, selectors, reason, number, "node", **place))
    return found


def _is_comment(line: str, at: int) -> bool:
    """Whether the "#" at ``at`` starts a comment: at the start of the line or after a blank."""
    before = line[:at]
    return not before.strip() or before.endswith((" ", "\t"))


def build_index(project, hadolint=None) -> SuppressionIndex:
    """``hadolint``: the root's .hadolint.yaml settings (config.hadolint), whose `disable-ignore-pragma`
    turns `# hadolint ignore=` pragmas off and whose unsupported parts become notes."""
    suppressions: list[Suppression] = []
    malformed: list[Malformed] = []
    for path, compose in project.compose_files.items():
        text = project.sources.get(path)
        if text:
            suppressions.extend(scan(path, text, lambda document=compose.document: _yaml_node_ranges(document),
                                     malformed))
    for path, dockerfile in project.dockerfiles.items():
        text = project.sources.get(path)
        if text:
            suppressions.extend(scan(path, text, lambda dockerfile=dockerfile: _dockerfile_ranges(dockerfile),
                                     malformed))
            if hadolint is None or hadolint.pragmas:
                from composelint.hadolint import scan_pragmas

                suppressions.extend(scan_pragmas(path, text, dockerfile, Suppression))
    # Other files an analysis read (Python sources, requirements): line and file pragmas.
    for path, text in list(project.facts.read_text.items()):
        if text and path not in project.sources:
            suppressions.extend(scan(path, text, {}, malformed))
    if hadolint is None:
        return SuppressionIndex(suppressions, malformed)
    from composelint.hadolint import config_notes

    return SuppressionIndex(suppressions, malformed, config_notes(hadolint), hadolint.source)
