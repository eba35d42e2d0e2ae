"""`ENV A=1 B=$A`: B gets the A from before this ENV, not the 1 written beside it."""

from __future__ import annotations

import re

from composelint.analysis.python_deps import stage_chain_of, stage_environments_of
from composelint.diagnostics import Position, Related, Span
from composelint.parsers.dockerfile import _arg_pairs, _env_pairs, substitute
from composelint.rules._rule import Violation, rule

_REFERENCE_RE = r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))"


@rule(code="CL414", name="env-self-reference", severity="warning",
      summary="`ENV A=1 B=$A`: a variable read in the same ENV that sets it gets its earlier value",
      equivalents=("hadolint:DL3044",))
def check(project, options):
    for dockerfile in project.dockerfiles.values():
        if not any(i.keyword == "ENV" and "$" in i.arguments for i in dockerfile.instructions):
            continue
        environments = stage_environments_of(project, dockerfile)
        for stage in dockerfile.stages:
            chain = stage_chain_of(dockerfile, stage.index)
            env = dict(environments[chain[1]]) if len(chain) > 1 else {}
            for instruction in stage.instructions:
                if instruction.keyword == "ENV" and "$" in instruction.arguments:
                    yield from _check_env(project, dockerfile, instruction, env)
                _update(dockerfile, instruction, env)


def _check_env(project, dockerfile, instruction, env):
    pairs = _raw_pairs(instruction.arguments, dockerfile.escape)
    if len(pairs) < 2:
        return
    defined: dict[str, tuple[str, int]] = {}  # name -> (its new value as written, its offset)
    for name, value, value_offset in pairs:
        for match in _references(value, dockerfile.escape):
            referenced = match.group(1) or match.group(2)
            if referenced == name or referenced not in defined:
                continue  # `ENV PATH=/x:$PATH` means the earlier PATH, as intended
            written, where = defined[referenced]
            new = substitute(written, env, escape=dockerfile.escape)
            old = env.get(referenced)
            if old == new:
                continue  # the same value either way
            before = f"`{old}`" if old else "the base image's value (empty if it sets none)"
            yield Violation(
                _span(project, instruction, value_offset + match.start(), len(match.group(0))),
                f"`{name}` reads `${referenced}` in the `ENV` that sets `{referenced}={written}`: it gets the "
                f"value from before this instruction, {before}, not `{new}`",
                help=f"set `{referenced}` in an `ENV` of its own before this one, or write the value out",
                related=(Related(_span(project, instruction, where, len(referenced)),
                                 f"`{referenced}` is set here, in the same instruction"),),
                anchor_text=instruction.first_line)
        defined[name] = (value, value_offset - len(name) - 1)


def _raw_pairs(arguments: str, escape: str) -> list[tuple[str, str, int]]:
    """(name, value as written, offset of the value in ``arguments``) of a `NAME=value …` ENV."""
    pairs = []
    index, length = 0, len(arguments)
    while index < length:
        while index < length and arguments[index].isspace():
            index += 1
        start = index
        quote = None
        while index < length and (quote or not arguments[index].isspace()):
            char = arguments[index]
            if char == escape and quote != "'" and index + 1 < length:
                index += 2
                continue
            if char in "\"'" and quote in (None, char):
                quote = None if quote else char
            index += 1
        word = arguments[start:index]
        if not word:
            break
        name, equals, value = word.partition("=")
        if not equals:
            return []  # the legacy `ENV NAME value` form sets one variable
        pairs.append((name, value, start + len(name) + 1))
    return pairs


def _references(value: str, escape: str):
    """The `$NAME` / `${NAME…}` a value expands: not escaped, not inside single quotes."""
    quote = None
    index = 0
    while index < len(value):
        char = value[index]
        if char == escape and quote != "'":
            index += 2
            continue
        if char == "'" and quote != '"':
            quote = None if quote == "'" else "'"
        elif char == '"' and quote != "'":
            quote = None if quote == '"' else '"'
        elif char == "$" and quote != "'":
            match = re.compile(_REFERENCE_RE).match(value, index)
            if match is not None:
                yield match
        index += 1


def _update(dockerfile, instruction, env) -> None:
    if instruction.keyword == "ENV":
        lookup = dict(env)
        for key, value in _env_pairs(instruction.arguments, dockerfile.escape):
            env[key] = substitute(value, lookup, escape=dockerfile.escape)
    elif instruction.keyword == "ARG":
        for key, default in _arg_pairs(instruction.arguments, dockerfile.escape):
            if default is not None and key not in env:
                env[key] = substitute(default, env, escape=dockerfile.escape)


def _span(project, instruction, offset: int, length: int) -> Span:
    from composelint.analysis.commands.maps import align

    start = instruction.arguments_span.start if instruction.arguments_span is not None else instruction.span.start
    positions = align(project.sources, Span(instruction.span.path, start, instruction.span.end),
                      instruction.arguments)
    if positions and offset + length <= len(positions) and positions[offset][0] == positions[offset + length - 1][0]:
        line, column = positions[offset]
        return Span(instruction.span.path, Position(line, column), Position(line, positions[offset + length - 1][1] + 1))
    return instruction.arguments_span or instruction.span
