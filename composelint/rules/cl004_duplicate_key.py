"""The same key twice in one YAML mapping: Compose refuses the file."""

from __future__ import annotations

from dataclasses import replace

from composelint.diagnostics import Edit, Fix
from composelint.rules import _fix
from composelint.rules._input import problems_of
from composelint.rules._rule import rule
from composelint.yamltree import YMap, YSeq


@rule(code="CL004", name="duplicate-key", severity="error",
      summary="the same key appears twice in one YAML mapping")
def check(project, options):
    for violation in problems_of(project, "CL004"):
        fix = _remove_earlier(project, violation) if violation.related else None
        yield replace(violation, fix=fix) if fix is not None else violation


def _remove_earlier(project, violation):
    """Delete the earlier entry's lines, key through value, so that the later one is the only one.

    Unsafe: it drops a value. Compose refuses the file as it is; YAML readers that accept a repeated
    key (PyYAML, docker-compose v1) take the later value, which is what stays. Only for a block entry
    that has its lines to itself and defines no anchor (an alias elsewhere may use it)."""
    later, earlier = violation.span, violation.related[0].span
    compose = project.compose_files.get(earlier.path)
    if compose is None or earlier.path != later.path:
        return None
    entry = _entry_at(compose.document, earlier)
    if entry is None or not _fix.starts_line(project, earlier):
        return None
    end = entry.value.span.end or entry.value.span.start
    last = end.line - 1 if end.column == 1 and end.line > earlier.line else end.line
    if last >= later.line or (last == end.line and not _fix.rest_is_yaml_comment(project, end, earlier.path)):
        return None
    lines = [_fix.line(project, earlier.path, number) or "" for number in range(earlier.line, last + 1)]
    if any("&" in text for text in lines):
        return None
    key = entry.key.value
    return Fix.unsafe(f"Remove the earlier `{key}` (line {earlier.line}); the later value (line {later.line}) "
                      "is what YAML readers that accept the repetition used",
                      Edit.delete_lines(earlier.path, earlier.line, last))


def _entry_at(document, key_span):
    """The mapping entry whose key is written at ``key_span`` (the first of a repeated key is kept)."""
    pending = [document.root, *document.more_roots]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue  # an alias shares its anchor's node
        seen.add(id(node))
        if isinstance(node, YMap):
            for entry in node.entries.values():
                if entry.key.span == key_span:
                    return entry
                pending.append(entry.value)
        elif isinstance(node, YSeq):
            pending.extend(node.items)
    return None
