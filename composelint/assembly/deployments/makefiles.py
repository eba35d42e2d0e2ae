"""The recipes of a Makefile as shell units, with the Makefile's own variables expanded.
"""

from __future__ import annotations

import re

from composelint.assembly.deployments.requests import COMPOSE_VARIABLES, mentions_deployment
from composelint.assembly.deployments.units import Unit
from composelint.lazyre import LazyPattern


_MAKE_ASSIGN = LazyPattern(
    r"^(?:(?:export|override|private)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(:::=|::=|:=|\?=|\+=|!=|=)\s?(.*)$")


_MAKE_MAX_EXPANSION = 100_000


def make_units(path: str, text: str, directory: str, wanted=None) -> list[Unit]:
    """Recipe lines of a Makefile with the variables defined in it expanded."""
    lines = text.split("\n")
    logical: list[tuple[int, list[tuple[str, int, int]]]] = []  # (first line, [(text, line, column)])
    index = 0
    while index < len(lines):
        first = index
        parts = []
        while True:
            line = lines[index]
            column = 1
            if index > first and line.startswith("\t"):
                line, column = line[1:], 2
            if line.endswith("\\") and not line.endswith("\\\\") and index + 1 < len(lines):
                parts.append((line[:-1] + " ", index + 1, column))
                index += 1
                continue
            parts.append((line, index + 1, column))
            index += 1
            break
        logical.append((first + 1, parts))
    variables: dict[str, list[tuple[str, int, int]]] = {}
    exported: set[str] = set()
    recipes: list[list[tuple[str, int, int]]] = []
    in_define = None
    for first, parts in logical:
        joined = "".join(part[0] for part in parts)
        if in_define is not None:
            if joined.strip() == "endef":
                in_define = None
            continue
        if joined.startswith("define "):
            in_define = joined
            continue
        if joined.startswith("\t"):
            text0, line0, column0 = parts[0]
            stripped = text0[1:]
            skip = len(stripped) - len(stripped.lstrip("@-+ \t"))
            recipes.append([(stripped[skip:], line0, column0 + 1 + skip)] + parts[1:])
            continue
        match = _MAKE_ASSIGN.match(joined)
        if match and (match.group(2) != "=" or ":" not in joined[:match.start(2)]):
            name, operator, value = match.group(1), match.group(2), match.group(3)
            text0, line0, column0 = parts[0]
            value_start = match.start(3)
            value_parts = _slice_parts(parts, value_start)
            if operator == "!=":
                value_parts = [("$(shell " + value + ")", line0, column0 + value_start)]
            if operator == "?=" and name in variables:
                continue
            if operator == "+=" and name in variables:
                variables[name] = variables[name] + [(" ", line0, column0)] + value_parts
            else:
                variables[name] = value_parts
            if name in COMPOSE_VARIABLES and re.match(r"^\s*export\s", joined):
                exported.add(name)  # `export COMPOSE_FILE = …`: in the environment of every recipe
            continue
        # `target: ; recipe` — a recipe on the rule line
        rule = re.match(r"^[^:=#\t][^:=#]*:(?!=)[^;#]*;(.*)$", joined)
        if rule:
            recipes.append(_slice_parts(parts, rule.start(1)))
    variables.setdefault("CURDIR", [(".", 0, 0)])
    environment = {}
    for name in sorted(exported):
        pieces = []
        _make_expand(variables[name], variables, pieces, 0, [0])
        environment[name] = "".join(piece[0] for piece in pieces).strip()
    units = []
    for parts in recipes:
        pieces: list[tuple[str, int, int]] = []
        _make_expand(parts, variables, pieces, 0, [0])
        mapping = []
        offset = 0
        for piece_text, line, column in pieces:
            mapping.append((offset, line, column))
            offset += len(piece_text)
        text_out = "".join(piece[0] for piece in pieces)
        if (wanted or mentions_deployment)(text_out):
            units.append(Unit(text_out, mapping or [(0, 1, 1)], directory, origin=parts[0][1:],
                               environment=dict(environment)))
    return units


def _slice_parts(parts: list[tuple[str, int, int]], offset: int) -> list[tuple[str, int, int]]:
    """``parts`` (a logical line as physical pieces) from character ``offset`` of the joined text."""
    result = []
    seen = 0
    for text, line, column in parts:
        if seen + len(text) <= offset:
            seen += len(text)
            continue
        skip = max(0, offset - seen)
        result.append((text[skip:], line, column + skip))
        seen += len(text)
    return result


def _make_expand(parts, variables, out: list, depth: int, budget: list[int]) -> None:
    """Append the expansion of ``parts`` to ``out`` as (text, line, column) runs.

    ``budget`` counts the characters emitted: past the limit the expansion stops, so variables
    that double at every level (a Makefile bomb) cost bounded time.
    """

    def emit(text: str, line: int, column: int) -> None:
        out.append((text, line, column))
        budget[0] += len(text)

    for text, line, column in parts:
        position = 0
        while position < len(text):
            if budget[0] >= _MAKE_MAX_EXPANSION:
                return
            dollar = text.find("$", position)
            if dollar < 0:
                emit(text[position:], line, column + position)
                break
            if dollar > position:
                emit(text[position:dollar], line, column + position)
            following = text[dollar + 1:dollar + 2]
            if following == "$":
                emit("$", line, column + dollar)
                position = dollar + 2
                continue
            if following in ("(", "{"):
                closer = ")" if following == "(" else "}"
                end = _balanced(text, dollar + 1, following, closer)
                name = text[dollar + 2:end].strip()
                definition = variables.get(name) if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name) else None
                if definition is not None and depth < 20:
                    _make_expand(definition, variables, out, depth + 1, budget)
                else:
                    emit(text[dollar:end + 1], line, column + dollar)
                position = end + 1
                continue
            emit(text[dollar:dollar + 2], line, column + dollar)
            position = dollar + 2


def _balanced(text: str, open_at: int, opener: str, closer: str) -> int:
    depth = 0
    for index in range(open_at, len(text)):
        if text[index] == opener:
            depth += 1
        elif text[index] == closer:
            depth -= 1
            if depth == 0:
                return index
    return len(text) - 1
