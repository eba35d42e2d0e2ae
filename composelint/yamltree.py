"""A YAML document as a tree of positioned nodes.

Every node keeps the span it was written at, so values carry their location
through anchors (an alias shares the anchored node, whose span is the line to
edit), merge keys, interpolation and the merging of compose files. The tree is
built by :mod:`composelint.parsers.yaml_loader` and never mutated afterwards;
transformations build new nodes that share unchanged children.
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Iterator, Union

from composelint.diagnostics import Span
from composelint.records import record


@record(frozen=True, slots=True, eq=False)
class YScalar:
    value: object  # str | int | float | bool | None, resolved with the YAML 1.2 core schema
    span: Span
    tag: str | None = None  # explicit tag as written (``!reset``, ``!!str``), else None
    style: str = ""  # "" plain, "'" or '"' quoted, "|" or ">" block
    raw: str | None = None  # the text before interpolation changed it


@record(frozen=True, slots=True, eq=False)
class YEntry:
    key: YScalar
    value: "YNode"
    merged: bool = False  # came in through a ``<<`` merge key


@record(frozen=True, slots=True, eq=False)
class YMap:
    entries: dict  # str -> YEntry, in document order
    span: Span
    tag: str | None = None

    def get(self, key: str) -> "YNode | None":
        entry = self.entries.get(key)
        return entry.value if entry is not None else None

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def keys(self):
        return self.entries.keys()

    def items(self) -> Iterator[tuple[str, "YNode"]]:
        for key, entry in self.entries.items():
            yield key, entry.value

    def key_span(self, key: str) -> Span | None:
        entry = self.entries.get(key)
        return entry.key.span if entry is not None else None

    def with_values(self, value_of) -> "YMap":
        """This mapping with each value replaced by ``value_of(key, value)``: itself when no value changed
        (an unchanged value is the same object), else a new mapping sharing the unchanged entries."""
        entries = None
        for key, entry in self.entries.items():
            value = value_of(key, entry.value)
            if value is not entry.value:
                if entries is None:
                    entries = dict(self.entries)
                entries[key] = YEntry(entry.key, value, entry.merged)
        return self if entries is None else YMap(entries, self.span, self.tag)


@record(frozen=True, slots=True, eq=False)
class YSeq:
    items: tuple
    span: Span
    tag: str | None = None


YNode = Union[YScalar, YMap, YSeq]


def plain(node: YNode | None) -> object:
    """The plain Python value of a node (dicts, lists, scalars); treat it as read-only.

    A subtree shared through YAML aliases becomes one shared Python object, so the cost
    is linear in the distinct nodes, not in the alias expansion (an alias bomb under the
    node limit would otherwise take tens of seconds).
    """
    memo: dict[int, object] = {}

    def convert(current: YNode | None) -> object:
        if current is None:
            return None
        if isinstance(current, YScalar):
            return current.value
        done = memo.get(id(current))
        if done is not None:
            return done
        if isinstance(current, YMap):
            result: object = {key: convert(entry.value) for key, entry in current.entries.items()}
        else:
            result = [convert(item) for item in current.items]
        memo[id(current)] = result
        return result

    return convert(node)


def scalar_text(node: YNode | None) -> str | None:
    """A scalar as the string Compose would see (``true`` -> "true"), else None."""
    if not isinstance(node, YScalar):
        return None
    value = node.value
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and node.raw is None and math.isfinite(value):
        # as Go's %v prints a YAML float: `1.0` -> "1", `2.50` -> "2.5"
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    return str(value)


def find(node: YNode | None, path) -> YNode | None:
    """The node at a path of keys and indexes, or None."""
    for part in path:
        if isinstance(node, YMap) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
        else:
            return None
    return node


def locate(root: YNode | None, path, *, key: bool = False) -> Span | None:
    """The span of the deepest node that exists along ``path``.

    With ``key=True`` the span of the last mapping key is preferred, which is
    where an editor should put the cursor for "this key is wrong".
    """
    node = root
    best = root.span if root is not None else None
    for part in path:
        if isinstance(node, YMap) and isinstance(part, str) and part in node.entries:
            entry = node.entries[part]
            best = entry.key.span if key else entry.value.span
            node = entry.value
        elif isinstance(node, YSeq) and isinstance(part, int) and 0 <= part < len(node.items):
            node = node.items[part]
            best = node.span
        else:
            break
    return best


@record(frozen=True, slots=True)
class YamlProblem:
    """A fault found while loading: syntax, duplicate key, limits."""

    kind: str  # "syntax" | "duplicate-key" | "limit" | "tag" | "encoding"
    message: str
    span: Span
    help: str | None = None
    related: tuple = ()


@record(frozen=True, slots=True)
class YamlDocument:
    root: YNode | None  # the first document; None when empty
    problems: tuple = field(default=())
    more_roots: tuple = ()  # later documents of a multi-document stream (Compose merges them in order)
