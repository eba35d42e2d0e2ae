"""Load YAML into positioned nodes, safely and within limits.

The tree is built from the parser's *event* stream, not by a constructor:
nothing a tag names is ever instantiated (``!!python/object`` stays text),
anchors are shared rather than copied, so an alias bomb is measured (node
counts multiply as integers) instead of expanded, and nesting depth is a loop
counter, not Python recursion. Scalars are resolved with the YAML 1.2 core
schema, as Compose's YAML library does: ``8080:80`` and ``yes`` stay strings.
"""

from __future__ import annotations

import math
import re

from composelint.diagnostics import Position, Related, Span
from composelint.records import record
from composelint.sourcetext import source_text
from composelint.yamltree import YamlDocument, YamlProblem, YEntry, YMap, YScalar, YSeq


@record(frozen=True, slots=True)
class YamlLimits:
    max_nodes: int = 1_000_000  # nodes after alias expansion
    max_depth: int = 100  # nesting of mappings and sequences (Python recursion stays far from its limit)


_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT_DEC = re.compile(r"[-+]?[0-9]+\Z")
_INT_OCT = re.compile(r"0o[0-7]+\Z")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
# Python refuses int() on very long digit strings; such a value is kept as text.
_MAX_INT_DIGITS = 4000
# Tags whose meaning Compose gives them; other tags are ignored by Compose (the value stays).
COMPOSE_TAGS = frozenset(("!reset", "!override"))
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"


def resolve_plain(text: str) -> object:
    """YAML 1.2 core schema resolution of a plain scalar."""
    if text in _NULL:
        return None
    first = text[0]
    if first in "tTfF":
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if first in "0123456789+-.":
        if _INT_DEC.match(text):
            return int(text) if len(text) <= _MAX_INT_DIGITS else text
        if _INT_OCT.match(text):
            return int(text[2:], 8) if len(text) <= _MAX_INT_DIGITS else text
        if _INT_HEX.match(text):
            return int(text[2:], 16) if len(text) <= _MAX_INT_DIGITS else text
        if _FLOAT.match(text):
            return float(text)
        if _INF.match(text):
            return -math.inf if first == "-" else math.inf
        if _NAN.match(text):
            return math.nan
    return text


def _resolve_tagged(text: str, tag: str, style: str) -> object:
    short = _short_tag(tag)
    if short in ("!!int", "!!float", "!!bool", "!!null"):
        return resolve_plain(text)
    if short in ("!!str", "!!binary") or style != "":
        return text
    # Compose ignores tags it does not know and keeps the value as if untagged.
    return resolve_plain(text)


def _short_tag(tag: str | None) -> str | None:
    if tag and tag.startswith(_STANDARD_TAG_PREFIX):
        return "!!" + tag[len(_STANDARD_TAG_PREFIX):]
    return tag or None


def _event_parser():
    """The fastest available event parser, as a function of the text: libyaml through ruamel.yaml.clib when
    installed, its events read from the parser itself (ruamel's ``YAML.parse`` makes a loader class, a
    constructor and a resolver for every document, none of which the events need: ~60 µs a file, 2.3 ms
    on the model build's path for the awesome-compose corpus), else ruamel's pure-Python parser."""
    from ruamel.yaml import main

    parser = getattr(main, "CParser", None)  # libyaml's parser class, None when the extension failed to load
    if parser is not None:
        return lambda text: _libyaml_events(parser, text)
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).parse


def _libyaml_events(parser, text: str):
    """As ``YAML.parse`` does, a generator: a text libyaml refuses raises when the events are read."""
    yield from iter(parser(text).get_event, None)  # None after the stream's end


_PARSER = None
_PURE_PARSER = None
# The pure-Python parser is ~15x slower; a larger file that libyaml rejects keeps libyaml's verdict.
_PURE_RETRY_LIMIT = 256 * 1024


def parser_events(text: str, pure: bool = False):
    global _PARSER, _PURE_PARSER
    if pure:
        if _PURE_PARSER is None:
            from ruamel.yaml import YAML

            _PURE_PARSER = YAML(typ="safe", pure=True)
        return _PURE_PARSER.parse(text)
    if _PARSER is None:
        _PARSER = _event_parser()
    return _PARSER(text)


class _Frame:
    __slots__ = ("kind", "start", "anchor", "tag", "flow", "entries", "items", "key", "merges", "size",
                 "depth")

    def __init__(self, kind, start, anchor, tag, flow, depth):
        self.kind = kind
        self.start = start
        self.anchor = anchor
        self.tag = tag
        self.flow = flow
        self.entries = {} if kind == "map" else None
        self.items = [] if kind == "seq" else None
        self.key = None  # the pending key scalar of a mapping
        self.merges = []  # (key span, node) of "<<" values
        self.size = 1
        self.depth = depth


class _LimitExceeded(Exception):
    def __init__(self, problem: YamlProblem):
        self.problem = problem


# libyaml also breaks lines at CR, NEL, LS and PS, and ends the stream on a line of its own; the model
# counts only "\n". Positions then come from the mark's character offset instead of its line.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def load_yaml(text: str, path: str, limits: YamlLimits = YamlLimits(), events: list | None = None,
              state: dict | None = None) -> YamlDocument:
    """Parse ``text``; never raises for any input. Problems come back in the document. ``events``: the
    compact_events of libyaml's parse of ``text``, when it was parsed ahead in another process. ``state``:
    filled with the builder's anchors and counts after libyaml's parse (composelint/parsers/yaml_chunks.py)."""
    document = _load(text, path, limits, pure=False, events=events, state=state)
    if (document.root is None and len(text) <= _PURE_RETRY_LIMIT
            and any(p.kind == "syntax" for p in document.problems)):
        # libyaml follows YAML 1.1, which rejects a few YAML 1.2 forms Compose accepts
        # (`ports: [80:80]`: a ':' inside a plain scalar of a flow collection). The pure-Python
        # parser follows 1.2; only files libyaml rejects pay for it.
        second = _load(text, path, limits, pure=True)
        if second.root is not None or not any(p.kind == "syntax" for p in second.problems):
            if state is not None:
                state.clear()
            return second
    return document


def _load(text: str, path: str, limits: YamlLimits, pure: bool, events: list | None = None,
          state: dict | None = None) -> YamlDocument:
    """``events``: compact_events of ``text`` parsed elsewhere (composelint/parsers/yaml_ahead.py), else parse here."""
    builder = _Builder(path, limits, text)
    if state is not None:
        state["builder"] = builder
    add_scalar, feed = builder.add_scalar, builder.feed
    try:
        for event in events if events is not None else compact_events(parser_events(text, pure)):
            if event[0] == SCALAR:  # most events: skip the dispatch in feed()
                add_scalar(event)
            else:
                feed(event)
    except _LimitExceeded as exc:
        return YamlDocument(None, tuple(builder.problems) + (exc.problem,))
    except RecursionError:
        span = Span(path, Position(1, 1))
        return YamlDocument(None, tuple(builder.problems) + (
            YamlProblem("limit", "the YAML nesting is too deep to parse", span),))
    except Exception as exc:  # the parser's own syntax errors, whatever their class
        return YamlDocument(None, tuple(builder.problems) + (_syntax_problem(exc, path, text),))
    roots = builder.roots
    return YamlDocument(roots[0] if roots else None, tuple(builder.problems), tuple(roots[1:]))


# The parser's events as plain tuples, ``(kind, a, b, c, d, start line, column, index, end line, column,
# index)`` with a..d: a scalar's value, tag, style and anchor; a collection start's anchor, tag, implicit
# and flow style; an alias's anchor. Plain values can be parsed in one process and built in another
# (composelint/parsers/yaml_ahead.py).
SCALAR, MAPPING_START, SEQUENCE_START, MAPPING_END, SEQUENCE_END, ALIAS, DOCUMENT_START = range(7)
_KINDS = {"MappingStartEvent": MAPPING_START, "SequenceStartEvent": SEQUENCE_START, "MappingEndEvent": MAPPING_END,
          "SequenceEndEvent": SEQUENCE_END, "AliasEvent": ALIAS, "DocumentStartEvent": DOCUMENT_START}


def compact_events(events):
    """The parser's events as tuples (see SCALAR); stream starts and ends and document ends carry nothing kept."""
    kinds = _KINDS
    for event in events:
        name = type(event).__name__
        start, end = event.start_mark, event.end_mark
        if name == "ScalarEvent":
            yield (SCALAR, event.value, event.tag, event.style, event.anchor,
                   start.line, start.column, start.index, end.line, end.column, end.index)
            continue
        kind = kinds.get(name)
        if kind is None:
            continue
        if kind == MAPPING_START or kind == SEQUENCE_START:
            yield (kind, event.anchor, event.tag, event.implicit, event.flow_style,
                   start.line, start.column, start.index, end.line, end.column, end.index)
        else:
            yield (kind, getattr(event, "anchor", None), None, None, None,
                   start.line, start.column, start.index, end.line, end.column, end.index)


def _syntax_problem(exc: Exception, path: str, text: str) -> YamlProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None and isinstance(getattr(mark, "index", None), int):
        line, column = source_text(text).position(mark.index)  # inside the text, even for an error at its end
    else:
        line, column = 1, 1
    text_of_exc = str(exc).strip()
    problem = getattr(exc, "problem", None) or (text_of_exc.splitlines()[0] if text_of_exc else type(exc).__name__)
    context = getattr(exc, "context", None)
    message = str(problem).strip()
    if context and str(context).strip() not in message:
        message = f"{message} ({str(context).strip()})"
    hint = _syntax_hint(message, text, line)
    return YamlProblem("syntax", f"invalid YAML: {message}", Span(path, Position(line, column)), hint)


def _syntax_hint(message: str, text: str, line: int) -> str:
    source = source_text(text).line(line) or ""
    if "control characters" in message:
        return "the file holds control characters (is it binary?); Compose reads only text YAML"
    if "\t" in source:
        return "YAML forbids tabs for indentation: indent with spaces"
    if "mapping values are not allowed" in message:
        return "quote values that contain `: `, or check the indentation of the line above"
    if "could not find expected ':'" in message or "simple key" in message:
        return "a key is missing its `:`, or a quoted string is not closed"
    if "found undefined alias" in message or "alias" in message:
        return "define the anchor (`&name`) before using the alias (`*name`)"
    return "fix the YAML syntax at this position; Compose refuses to load the file"


class _Builder:
    def __init__(self, path: str, limits: YamlLimits, text: str = ""):
        self.path = path
        self.text = text
        self.length = len(text)
        # Built when libyaml's line numbers would differ from the model's (other line breaks, or a
        # mark at the very end of a text without a final newline).
        self.lines = source_text(text) if _OTHER_BREAKS.search(text) else None
        self.limits = limits
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[object, int]] = {}  # anchor -> (node, expanded size)
        self.open_anchors: set[str] = set()
        self.roots: list = []
        self.problems: list[YamlProblem] = []
        self.total = 0  # nodes after alias expansion, document-wide
        self.defined = 0  # anchors defined (more than len(anchors): one was defined again)

    def position(self, line: int, column: int, index: int) -> Position:
        """The model's position of a mark (0-based line, column and character index)."""
        if self.lines is None and index >= self.length:
            self.lines = source_text(self.text)
        if self.lines is not None:
            return Position(*self.lines.position(index))
        return Position(line + 1, column + 1)

    def span(self, start_line, start_column, start_index, end_line, end_column, end_index) -> Span:
        if self.lines is None and end_index < self.length:  # the common case, inlined: one span per node
            return Span(self.path, Position(start_line + 1, start_column + 1), Position(end_line + 1, end_column + 1))
        return Span(self.path, self.position(start_line, start_column, start_index),
                    self.position(end_line, end_column, end_index))

    def feed(self, event: tuple) -> None:
        """One event of compact_events."""
        kind, first, second, third, fourth, *marks = event
        if kind == SCALAR:
            self.add_scalar(event)
        elif kind == MAPPING_START or kind == SEQUENCE_START:
            anchor, tag, implicit, flow_style = first, second, third, fourth
            depth = len(self.stack) + 1
            if depth > self.limits.max_depth:
                raise _LimitExceeded(YamlProblem(
                    "limit", f"nesting deeper than {self.limits.max_depth} levels", self.span(*marks),
                    "a compose file nests a few levels; raise `limits.yaml-depth` if this is intended"))
            frame = _Frame("map" if kind == MAPPING_START else "seq", tuple(marks[:3]), anchor,
                           tag if tag and not implicit else None, bool(flow_style), depth)
            if anchor:
                self.open_anchors.add(anchor)
            self.stack.append(frame)
        elif kind == MAPPING_END:
            self.close_mapping(marks)
        elif kind == SEQUENCE_END:
            frame = self.stack.pop()
            if frame.flow or not frame.items:
                span = self.span(*frame.start, *marks[3:])
            else:
                last = frame.items[-1].span
                span = Span(self.path, self.position(*frame.start), last.end or last.start)
            node = YSeq(tuple(frame.items), span, _short_tag(frame.tag))
            self.finish(node, frame.size, frame.anchor)
        elif kind == ALIAS:
            self.add_alias(first, *marks)
        elif kind == DOCUMENT_START:
            self.anchors = {}
            self.total = 0

    # -- nodes ---------------------------------------------------------------------------------

    def add_scalar(self, event: tuple) -> None:
        _, text, tag, style, anchor, start_line, start_column, start_index, end_line, end_column, end_index = event
        style = style or ""
        if self.lines is None and end_index < self.length:  # self.span, inlined: most nodes are scalars
            span = Span(self.path, Position(start_line + 1, start_column + 1), Position(end_line + 1, end_column + 1))
        else:
            span = self.span(start_line, start_column, start_index, end_line, end_column, end_index)
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.kind == "map" and parent.key is None:
            # Keys stay as written: `80:` is the key "80", `true:` is "true".
            parent.key = YScalar(text, span, _short_tag(tag) if tag else None, style)
            self.total += 1
            if anchor:
                self.anchors[anchor] = (YScalar(resolve_plain(text) if style == "" else text, span), 1)
                self.defined += 1
            return
        if tag:
            value = _resolve_tagged(text, tag, style)
        elif style == "":
            value = resolve_plain(text)
        else:
            value = text
        self.finish(YScalar(value, span, _short_tag(tag) if tag else None, style), 1, anchor)

    def add_alias(self, anchor, *marks) -> None:
        span = self.span(*marks)
        if anchor in self.open_anchors:
            self.problems.append(YamlProblem(
                "syntax", f"recursive alias `*{anchor}` refers to the node that contains it", span,
                "an anchor cannot include itself; Compose refuses to load this file"))
            self.finish(YScalar(None, span), 1, None, alias=True)
            return
        target = self.anchors.get(anchor)
        if target is None:
            raise _LimitExceeded(YamlProblem(
                "syntax", f"invalid YAML: found undefined alias `*{anchor}`", span,
                "define the anchor (`&name`) before using the alias (`*name`)"))
        node, size = target
        self.finish(node, size, None, alias=True, alias_span=span)

    def finish(self, node, size: int, anchor, alias: bool = False, alias_span: Span | None = None) -> None:
        self.total += size if alias else 1
        if self.total > self.limits.max_nodes:
            where = alias_span or node.span
            raise _LimitExceeded(YamlProblem(
                "limit",
                f"the document expands to more than {self.limits.max_nodes:,} nodes through its aliases "
                "(an alias bomb)",
                where,
                "nested anchors that multiply (billion laughs) exhaust memory; Compose and composelint refuse "
                "such a file. Raise `limits.yaml-nodes` only for a genuinely huge file"))
        if anchor:
            self.open_anchors.discard(anchor)
            self.anchors[anchor] = (node, size)
            self.defined += 1
        if not self.stack:
            self.roots.append(node)
            return
        parent = self.stack[-1]
        parent.size += size
        if parent.kind == "seq":
            parent.items.append(node)
            return
        if parent.key is None:
            if not isinstance(node, YScalar):
                self.problems.append(YamlProblem(
                    "syntax", "a mapping key must be a plain value, not a mapping or a list",
                    alias_span or node.span, "Compose keys are strings: write the key as text"))
                parent.key = YScalar("?", alias_span or node.span)
            else:
                key_text = node.value if isinstance(node.value, str) else _key_text(node)
                parent.key = YScalar(key_text, alias_span or node.span, node.tag, node.style)
            return
        key = parent.key
        parent.key = None
        if key.value == "<<" and key.style == "":
            parent.merges.append((key.span, node, alias_span))
            return
        existing = parent.entries.get(key.value)
        if existing is not None:
            self.problems.append(YamlProblem(
                "duplicate-key",
                f"duplicate key `{key.value}`: it is already defined at line {existing.key.span.line}",
                key.span,
                "Compose refuses a mapping with a repeated key; remove or rename one of them",
                (Related(existing.key.span, "first defined here"),)))
            return
        parent.entries[key.value] = YEntry(key, node)

    def close_mapping(self, marks) -> None:
        frame = self.stack.pop()
        entries = frame.entries
        if frame.merges:
            entries = self.apply_merges(frame)
        if frame.flow:
            span = self.span(*frame.start, *marks[3:])
        else:
            last_end = None
            for entry in entries.values():
                if not entry.merged:
                    last_end = entry.value.span.end or entry.value.span.start
            for _key_span, value, alias_span in frame.merges:  # `<<: *anchor` is written here too
                written = alias_span or value.span
                end = written.end or written.start
                if last_end is None or end > last_end:
                    last_end = end
            if last_end is None:
                last_end = self.position(*marks[:3])
            span = Span(self.path, self.position(*frame.start), last_end)
        self.finish(YMap(entries, span, _short_tag(frame.tag)), frame.size, frame.anchor)

    def apply_merges(self, frame: _Frame) -> dict:
        """YAML merge keys: own keys win; among merged mappings, the earlier one wins."""
        merged: dict = dict(frame.entries)
        for key_span, value, _alias_span in frame.merges:
            sources = value.items if isinstance(value, YSeq) else (value,)
            for source in sources:
                if not isinstance(source, YMap):
                    self.problems.append(YamlProblem(
                        "syntax", "a merge key `<<` takes a mapping (an alias like `*defaults`) or a list of them",
                        source.span, "merge only mappings into a mapping"))
                    continue
                for name, entry in source.entries.items():
                    if name not in merged:
                        merged[name] = YEntry(entry.key, entry.value, merged=True)
        return merged


def _key_text(node: YScalar) -> str:
    value = node.value
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)
