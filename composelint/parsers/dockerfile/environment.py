"""The build args and ENV values in force in each stage of a parsed Dockerfile."""

from __future__ import annotations

import re
from typing import Mapping

from composelint.model import Dockerfile, Instruction, Stage
from composelint.parsers.dockerfile.expand import substitute
from composelint.parsers.dockerfile.words import _parse_words


def stage_environment(dockerfile: Dockerfile, stage: Stage) -> dict[str, str]:
    """Build args (their defaults) and ENV values in force at the end of ``stage`` (see
    :func:`stage_environments`)."""
    return stage_environments(dockerfile)[stage.index]


def stage_environments(dockerfile: Dockerfile) -> list[dict[str, str]]:
    """Build args (their defaults) and ENV values in force at the end of each stage, by stage index.

    A stage built ``FROM`` an earlier stage starts with that stage's ENV (not its ARGs, which BuildKit
    does not carry over). Stage ARGs get their default, or the global ARG default when they re-declare
    a global ARG without one; ARGs with no value at all are left out. ENV beats ARG of the same name.
    """
    by_index: list[dict[str, str]] = []  # ENV at the end of each stage, computed front to back
    global_defaults = _arg_defaults(dockerfile.global_args, dockerfile.escape)
    names: dict[str, int] = {}
    result: list[dict[str, str]] = []
    for current in dockerfile.stages:
        parent = names.get(current.base_resolved.lower()) if current.base_resolved else None
        envs = dict(by_index[parent]) if parent is not None else {}
        args: dict[str, str] = {}
        for instruction in current.instructions:
            if instruction.keyword == "ENV":
                lookup = _lookup(envs, args)
                for key, value in _env_pairs(instruction.arguments, dockerfile.escape):
                    envs[substitute(key, lookup, escape=dockerfile.escape)] = substitute(
                        value, lookup, escape=dockerfile.escape)
            elif instruction.keyword == "ARG":
                lookup = _lookup(envs, args)
                for key, default in _arg_pairs(instruction.arguments, dockerfile.escape):
                    if default is not None:
                        args[key] = substitute(default, lookup, escape=dockerfile.escape)
                    elif key in global_defaults:
                        args[key] = global_defaults[key]
        by_index.append(envs)
        result.append({**args, **envs})
        if current.name:
            names[current.name] = current.index
    return result


def _env_pairs(arguments: str, escape: str) -> list[tuple[str, str]]:
    words = _parse_words(arguments, escape)
    if not words:
        return []
    if "=" not in words[0]:  # the legacy `ENV NAME value with spaces` form
        parts = re.split(r"[\t\v\f\r ]+", arguments, maxsplit=1)
        return [(parts[0], parts[1])] if len(parts) == 2 else []
    return [(key, value) for key, _, value in (word.partition("=") for word in words if "=" in word)]


def _arg_pairs(arguments: str, escape: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for word in _parse_words(arguments, escape):
        key, equals, value = word.partition("=")
        pairs.append((key, value if equals else None))
    return pairs


def _arg_defaults(arg_instructions: tuple[Instruction, ...] | list[Instruction], escape: str) -> dict[str, str]:
    """Default values of ARG instructions read in order (a default may use earlier ones)."""
    values: dict[str, str] = {}
    for instruction in arg_instructions:
        lookup = dict(values)  # all pairs of one ARG see the values from before it, as in BuildKit
        for key, default in _arg_pairs(instruction.arguments, escape):
            if default is not None:
                values[key] = substitute(default, lookup, escape=escape)
    return values


def _lookup(envs: Mapping[str, str], args: Mapping[str, str]) -> dict[str, str]:
    merged = dict(args)
    merged.update(envs)
    return merged
