"""Parsing again only the services an edit touched, for a process that parses one file again and again
(the language server's composelint.parsecache.ParseCache).

Typing in a 250-service compose file changes one service's lines; parsing the whole file again costs
~30 ms. When an edit keeps the number of lines and stays inside the blocks of some services (from a
service's key line to the next service's, in a block ``services:`` mapping), only those blocks are
parsed: the lines before them are blanked (a line of as many spaces: every line, column and character
index stays that of the whole text) and the text after them is left out. The result is spliced into
the last document, whose other nodes are kept as they are (the tree is never mutated).

That is the whole parse's result only where nothing outside the blocks can change how they read, so
anything unsure parses the whole text again (``reparse`` returns None): a document with problems,
several documents, directives, a document marker in the blocks, a flow or merged ``services:`` or root
mapping (or one a merge key ends), other line breaks than ``\\n``, an anchor defined in the blocks or
after them, or defined twice, a block that does not parse alone without a problem into the same
service names at the same column, the first of them on its line. Aliases to anchors defined before the
blocks are resolved as the whole parse would (the anchored nodes are the last document's).
tests/parsers/test_yaml_chunks.py compares the two parses, positions included, on every compose file
of the fixtures, the corpora and the generated repositories.
"""

from __future__ import annotations

import re

from composelint.diagnostics import Span
from composelint.parsers.yaml_loader import (DOCUMENT_START, SCALAR, YamlLimits, _Builder, compact_events,
                                             has_other_breaks, load_yaml, parser_events)
from composelint.yamltree import YamlDocument, YEntry, YMap, YScalar


# An explicit block key (`? key`): with no value, its empty value ends at the next token, which may
# lie after the blocks.
_EXPLICIT_KEY = re.compile(r"(?m)^[ -]*\?(?: |$)")
# A document marker: `...` ends the document, so a block that ends with it parses alone while in the
# whole text the services after it start another document.
_MARKER = re.compile(r"(?m)^(?:---|\.\.\.)")


class Kept:
    """A parsed text and what a later parse of some of its blocks needs of the whole parse."""

    __slots__ = ("lines", "limits", "document", "anchors", "total", "plain_anchors")

    def __init__(self, lines: list, limits: YamlLimits, document: YamlDocument, anchors: dict | None, total: int,
                 plain_anchors: bool | None = None):
        self.lines, self.limits, self.document = lines, limits, document
        self.plain_anchors = plain_anchors  # see shares_no_variable (None: not known yet)
        self.anchors = anchors  # name -> (node, expanded size); None: no block is parsed alone after this one
        self.total = total  # nodes after alias expansion, at most

    def shares_no_variable(self) -> bool:
        """Whether no node written once and used in several places (an anchored one) holds a `$`: then no
        interpolated node is shared either, and each service interpolates alone to what it does in the
        whole document (compose_files._interpolated). False when the anchors are not known."""
        if self.plain_anchors is None:
            self.plain_anchors = self.anchors is not None and not any(
                _holds_dollar(node) for node, _ in self.anchors.values())
        return self.plain_anchors


def load(text: str, path: str, limits: YamlLimits) -> tuple[YamlDocument, Kept]:
    """``load_yaml``, and what a later ``reparse`` needs."""
    state: dict = {}
    document = load_yaml(text, path, limits, state=state)
    builder = state.get("builder")
    usable = builder is not None and builder.defined == len(builder.anchors) and not document.problems
    return document, Kept(text.split("\n"), limits, document, dict(builder.anchors) if usable else None,
                          builder.total if usable else 0)


def reparse(kept: Kept, text: str, path: str, limits: YamlLimits) -> tuple[YamlDocument, Kept] | None:
    """``load(text, path, limits)``'s result, from the blocks of ``kept``'s services that changed;
    None when that cannot be sure (then parse the whole text)."""
    if kept.anchors is None or kept.limits != limits or kept.document.more_roots:
        return None
    root = kept.document.root
    services = root.get("services") if isinstance(root, YMap) else None
    if not isinstance(services, YMap) or not services.entries or not _block(root) or not _block(services):
        return None
    lines = text.split("\n")
    old = kept.lines
    if len(lines) != len(old):
        return None
    first = next((number for number, (line, was) in enumerate(zip(lines, old)) if line != was), None)
    if first is None:
        return None
    last = next(number for number in range(len(lines) - 1, -1, -1) if lines[number] != old[number])
    entries = list(services.entries.items())
    starts = [entry.key.span.start.line - 1 for _, entry in entries]  # 0-based key lines
    column = entries[0][1].key.span.start.column
    if any(entry.merged or entry.key.span.start.column != column for _, entry in entries):
        return None
    low = next((index for index in range(len(starts) - 1, -1, -1) if starts[index] <= first), None)
    if low is None:
        return None
    high = next((index for index in range(low + 1, len(starts)) if starts[index] > last), len(starts))
    start = starts[low]
    end = starts[high] if high < len(starts) else _services_end(root, len(lines))
    if end is None or last >= end:
        return None
    chunk = "\n".join(lines[start:end]) + ("\n" if end < len(lines) else "")
    if "&" in chunk or "\t" in chunk or _EXPLICIT_KEY.search(chunk) or _MARKER.search(chunk) \
            or has_other_breaks(text) or text.startswith("%") or "\n%" in text \
            or re.search(r"(?m)^ {0,%d}<<" % (column - 1), text):
        return None
    anchors = {}
    for name, (node, size) in kept.anchors.items():
        if node.span.start.line > end:
            continue  # defined after the blocks: an alias to it in them is an error, found by the whole parse
        if (node.span.end or node.span.start).line > start:
            return None  # defined in the blocks (gone), or spanning them
        anchors[name] = (node, size)
    padded = "".join(" " * len(line) + "\n" for line in lines[:start]) + chunk
    parsed = _parse(padded, path, YamlLimits(limits.max_nodes, limits.max_depth - 1), anchors)
    if parsed is None:
        return None
    part, size = parsed
    names = [name for name, _ in entries[low:high]]
    if list(part.entries) != names or kept.total + size > limits.max_nodes or any(
            entry.merged or entry.key.span.start.column != column for entry in part.entries.values()):
        return None
    if next(iter(part.entries.values())).key.span.start.line != start + 1:
        # The first key moved down its lines: the lines it left join the kept block before (a block
        # scalar there keeps them, an explicit key's empty value is placed at the key), or the
        # lines before the first service.
        return None
    spliced = dict(services.entries)
    spliced.update(part.entries)
    new_services = YMap(spliced, _span(services, spliced, high == len(starts)), services.tag)
    root_entries = dict(root.entries)
    root_entries["services"] = YEntry(root.entries["services"].key, new_services)
    new_root = YMap(root_entries, _span(root, root_entries, next(reversed(root_entries)) == "services"), root.tag)
    document = YamlDocument(new_root)
    return document, Kept(lines, limits, document, kept.anchors, kept.total + size, kept.plain_anchors)


def _holds_dollar(node) -> bool:
    """Whether a value below ``node`` holds a `$` (keys are never interpolated)."""
    from composelint.parsers.compose import iter_nodes

    return any(isinstance(current, YScalar) and isinstance(current.value, str) and "$" in current.value
               for current in iter_nodes(node))


def _block(node: YMap) -> bool:
    """A block mapping (its span starts at its first key; a flow one's at its ``{``) without merged keys,
    that ends at its last value: a merge key written after it (one that merges nothing, or a tag or an
    alias hides its ``<<``) ends it too, which a splice would not know."""
    entries = node.entries.values()
    first = next(iter(entries), None)
    if first is None or node.span.start != first.key.span.start or any(e.merged for e in entries):
        return False
    last = next(reversed(entries)).value.span
    return node.span.end == (last.end or last.start)


def _services_end(root: YMap, count: int) -> int | None:
    """The 0-based line of the root key after ``services``, or the number of lines; None: unsure."""
    keys = list(root.entries)
    index = keys.index("services")
    if index + 1 == len(keys):
        return count
    return root.entries[keys[index + 1]].key.span.start.line - 1


def _span(node: YMap, entries: dict, last_changed: bool) -> Span:
    """A block mapping's span (yaml_loader's close_mapping): from its first key to its last value."""
    if not last_changed:
        return node.span
    last = next(reversed(entries.values())).value.span
    return Span(node.span.path, node.span.start, last.end or last.start)


def _parse(text: str, path: str, limits: YamlLimits, anchors: dict) -> tuple[YMap, int] | None:
    """The one mapping ``text`` holds, with ``anchors`` defined, and its node count; None for anything else."""
    builder = _Builder(path, limits, text)
    add_scalar, feed = builder.add_scalar, builder.feed
    try:
        for event in compact_events(parser_events(text)):
            if event[0] == SCALAR:
                add_scalar(event)
            else:
                feed(event)
                if event[0] == DOCUMENT_START:
                    builder.anchors = dict(anchors)
    except Exception:  # a syntax error or a limit (the builder's _LimitExceeded): the whole parse says which
        return None
    if builder.problems or len(builder.roots) != 1 or not isinstance(builder.roots[0], YMap) \
            or not _block(builder.roots[0]):
        return None
    return builder.roots[0], builder.total
