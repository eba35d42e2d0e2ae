"""From a positioned compose tree to Service models.

Paths are resolved the way Compose resolves them (relative to the directory
the defining file is read from), but never outside the project root: such a
path is kept as written and marked as unresolved instead of being read.
"""

from __future__ import annotations

import posixpath
import re
from types import MappingProxyType
from typing import Callable, Iterator, Mapping

from composelint.analysis.commands.words import UnterminatedQuote, split_words
from composelint.diagnostics import Position, Span
from composelint.lazyre import LazyPattern
from composelint.sourcetext import SourceLines
from composelint.model import (EMPTY, Build, CommandPart, CommandWord, Dependency, EnvValue, Located,
                               ParseProblem, Service)
from composelint.yamltree import YMap, YNode, YScalar, YSeq, scalar_text

_REMOTE_CONTEXT_TEXT = r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)"
_REMOTE_CONTEXT = LazyPattern(_REMOTE_CONTEXT_TEXT, re.IGNORECASE)
# The same for an ASCII text (nearly every one): Unicode case folding adds letters above U+00FF to the
# classes, which then compile to a 64 K-entry bitmap (~0.4 ms at import), so _REMOTE_CONTEXT waits for a
# text that needs it.
_ASCII_REMOTE_CONTEXT = re.compile(_REMOTE_CONTEXT_TEXT, re.IGNORECASE | re.ASCII)


# The project's source files, as the compose parser narrows spans in them.
SourceIndex = SourceLines


def narrow(node: YScalar, start: int, end: int, sources: SourceIndex | None) -> Span:
    """The span of ``node.value[start:end]`` when the scalar is written verbatim on one line.

    Falls back to the whole scalar when escapes, folding or interpolation make
    offsets in the value differ from columns in the file.
    """
    span = node.span
    if sources is None or span.end is None or span.end.line != span.start.line:
        return span
    if node.raw is not None and node.raw != node.value:
        return span
    line = sources.line(span.path, span.start.line)
    if line is None:
        return span
    written = line[span.start.column - 1:span.end.column - 1]
    offset = span.start.column
    if node.style in ("'", '"'):
        written, offset = written[1:-1], offset + 1
    if written != node.value:
        return span
    return Span(span.path, Position(span.start.line, offset + start), Position(span.start.line, offset + end))


def resolve_path(base_dir: str, written: str) -> str | None:
    """A path written in a compose file, relative to ``base_dir``; None if it leaves the project root."""
    if not written:
        return None
    if written.startswith("/") or written.startswith("~"):
        return None
    joined = posixpath.normpath(posixpath.join(base_dir, written)) if base_dir else posixpath.normpath(written)
    if joined == ".." or joined.startswith("../"):
        return None
    return "" if joined == "." else joined


def is_remote_context(text: str) -> bool:
    return bool((_ASCII_REMOTE_CONTEXT if text.isascii() else _REMOTE_CONTEXT).match(text))


# --------------------------------------------------------------------------- commands


def command_part(node: YNode | None, origin: str, sources: SourceIndex | None,
                 problems: list[ParseProblem] | None = None) -> CommandPart | None:
    """A compose ``command``/``entrypoint`` value as words with positions."""
    if node is None:
        return None
    if isinstance(node, YSeq):
        words = []
        for item in node.items:
            text = scalar_text(item)
            if text is None:
                continue
            words.append(CommandWord(text, item.span))
        return CommandPart(origin, tuple(words), node.span, "exec")
    if isinstance(node, YScalar):
        text = scalar_text(node)
        if text is None:
            return None  # `command: null` / `!reset`: no override
        try:
            split = split_words(text)
        except UnterminatedQuote:
            if problems is not None:
                problems.append(ParseProblem(
                    "CL002", f"`{origin.split('-')[1]}` has an unterminated quote; Compose cannot split it into "
                    "arguments", node.span, "close the quote, or write the command as a list"))
            return CommandPart(origin, (CommandWord(text, node.span),), node.span, "string")
        words = tuple(CommandWord(word.text, narrow(node, word.start, word.end, sources)) for word in split)
        return CommandPart(origin, words, node.span, "string")
    return None


# --------------------------------------------------------------------------- services


def environment_of(node: YNode | None) -> Mapping[str, EnvValue]:
    if isinstance(node, YMap):
        result = {}
        for key, entry in node.entries.items():
            value = entry.value
            text = scalar_text(value) if isinstance(value, YScalar) else None
            raw = value.raw if isinstance(value, YScalar) else None
            result[key] = EnvValue(entry.key.span, text, value.span, raw)
        return MappingProxyType(result)
    if isinstance(node, YSeq):
        result = {}
        for item in node.items:
            text = scalar_text(item)
            if text is None:
                continue
            key, sep, value = text.partition("=")
            raw = item.raw if isinstance(item, YScalar) else None
            raw_value = raw.partition("=")[2] if raw is not None else None
            key_span = Span(item.span.path, item.span.start,
                            Position(item.span.start.line, item.span.start.column + len(key)))
            result[key] = EnvValue(key_span, value if sep else None, item.span, raw_value)
        return MappingProxyType(result)
    return EMPTY


def dependencies_of(node: YNode | None) -> tuple[Dependency, ...]:
    deps: list[Dependency] = []
    if isinstance(node, YSeq):
        for item in node.items:
            name = scalar_text(item)
            if name:
                deps.append(Dependency(Located(name, item.span)))
    elif isinstance(node, YMap):
        for name, entry in node.entries.items():
            options = entry.value if isinstance(entry.value, YMap) else None
            condition = scalar_text(options.get("condition")) if options else None
            required = _boolean(options.get("required")) if options else None
            restart = _boolean(options.get("restart")) if options else None
            deps.append(Dependency(Located(name, entry.key.span), condition or "service_started",
                                   True if required is None else required, bool(restart)))
    return tuple(deps)


def _boolean(node: YNode | None) -> bool | None:
    if isinstance(node, YScalar):
        if isinstance(node.value, bool):
            return node.value
        if isinstance(node.value, str) and node.value.lower() in ("true", "false"):
            return node.value.lower() == "true"
    return None


def build_of(node: YNode | None, base_dir: str) -> Build | None:
    if node is None:
        return None
    if isinstance(node, YScalar):
        text = scalar_text(node)
        if text is None:
            return None
        context = Located(text, node.span)
        dockerfile = None
        target = None
        args: Mapping = EMPTY
        inline = None
    elif isinstance(node, YMap):
        ctx_node = node.get("context")
        text = scalar_text(ctx_node) or "."
        context = Located(text, ctx_node.span if ctx_node is not None else node.span)
        df_node = node.get("dockerfile")
        df_text = scalar_text(df_node)
        dockerfile = Located(df_text, df_node.span) if df_text else None
        target_node = node.get("target")
        target_text = scalar_text(target_node)
        target = Located(target_text, target_node.span) if target_text else None
        args = _build_args(node.get("args"))
        inline_node = node.get("dockerfile_inline")
        inline_text = scalar_text(inline_node)
        inline = Located(inline_text, inline_node.span) if inline_text else None
    else:
        return None
    remote = is_remote_context(context.value)
    context_path = None if remote else resolve_path(base_dir, context.value)
    dockerfile_path = None
    if context_path is not None and inline is None:
        name = dockerfile.value if dockerfile else "Dockerfile"
        dockerfile_path = resolve_path(context_path, name)
    return Build(context, context_path, dockerfile, dockerfile_path, target, args, remote, inline)


def _build_args(node: YNode | None) -> Mapping[str, Located[str | None]]:
    if isinstance(node, YMap):
        return MappingProxyType({key: Located(scalar_text(entry.value), entry.value.span)
                                 for key, entry in node.entries.items()})
    if isinstance(node, YSeq):
        args = {}
        for item in node.items:
            text = scalar_text(item)
            if text is None:
                continue
            key, sep, value = text.partition("=")
            args[key] = Located(value if sep else None, item.span)
        return MappingProxyType(args)
    return EMPTY


def profiles_of(node: YNode | None) -> tuple[str, ...]:
    if isinstance(node, YSeq):
        return tuple(text for text in (scalar_text(item) for item in node.items) if text)
    return ()


def service_from_node(name: str, key_span: Span, node: YMap, file: str, base_dir: str,
                      sources: SourceIndex | None, problems: list[ParseProblem] | None = None) -> Service:
    image_node = node.get("image")
    image_text = scalar_text(image_node)
    end = node.span.end or node.span.start
    return Service(
        name=name,
        name_span=key_span,
        span=Span(key_span.path, key_span.start, end) if node.span.path == key_span.path else key_span,
        file=file,
        node=node,
        image=Located(image_text, image_node.span) if image_text else None,
        build=build_of(node.get("build"), base_dir),
        command=command_part(node.get("command"), "compose-command", sources, problems),
        entrypoint=command_part(node.get("entrypoint"), "compose-entrypoint", sources, problems),
        environment=environment_of(node.get("environment")),
        depends_on=dependencies_of(node.get("depends_on")),
        profiles=profiles_of(node.get("profiles")),
    )


def services_of(root: YMap | None, file: str, base_dir: str, sources: SourceIndex | None,
                problems: list[ParseProblem] | None = None) -> dict[str, Service]:
    """Every service mapping under ``services:``; non-mappings are the schema's to report."""
    services: dict[str, Service] = {}
    section = root.get("services") if isinstance(root, YMap) else None
    if not isinstance(section, YMap):
        return services
    for name, entry in section.entries.items():
        if isinstance(entry.value, YMap):
            services[name] = service_from_node(name, entry.key.span, entry.value, file, base_dir, sources, problems)
    return services


# --------------------------------------------------------------------------- interpolation


def interpolate_tree(node: YNode | None, lookup: Callable[[str], str | None],
                     on_issue: Callable[[object, YScalar], None]) -> YNode | None:
    """A copy of the tree with every string value interpolated; keys stay as written.

    Unchanged subtrees are shared, so an anchored subtree is interpolated once.
    """
    from composelint.parsers.interpolation import interpolate

    memo: dict[int, YNode] = {}

    def visit(current: YNode) -> YNode:
        if isinstance(current, YScalar):
            value = current.value
            if not (isinstance(value, str) and "$" in value):
                return current  # most scalars: nothing to interpolate, no memo entry needed
        cached = memo.get(id(current))
        if cached is not None:
            return cached
        if isinstance(current, YScalar):
            result = current
            value = current.value
            if isinstance(value, str) and "$" in value:
                text, issues = interpolate(value, lookup)
                for issue in issues:
                    on_issue(issue, current)
                if text != value:
                    result = YScalar(text, current.span, current.tag, current.style, value)
        elif isinstance(current, YMap):  # YMap.with_values, inline: one call less per entry of every file
            entries = None
            for key, entry in current.entries.items():
                new_value = visit(entry.value)
                if new_value is not entry.value:
                    if entries is None:
                        entries = dict(current.entries)
                    entries[key] = type(entry)(entry.key, new_value, entry.merged)
            result = current if entries is None else YMap(entries, current.span, current.tag)
        else:
            items = tuple(visit(item) for item in current.items)
            changed = any(new is not old for new, old in zip(items, current.items))
            result = YSeq(items, current.span, current.tag) if changed else current
        memo[id(current)] = result
        return result

    return visit(node) if node is not None else None


def iter_nodes(node: YNode | None) -> Iterator[YNode]:
    """Every node below ``node`` (mappings, sequences and scalars), each shared node once."""
    if node is None:
        return
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, YMap):
            stack.extend(entry.value for entry in reversed(list(current.entries.values())))
        elif isinstance(current, YSeq):
            stack.extend(reversed(current.items))
