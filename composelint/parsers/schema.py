"""Check a Compose file against composelint's own schema of the format (rule CL002).

The schema (``compose_schema.json`` beside this module) is written from the
Compose Specification and from what ``docker compose config`` accepts. It is
applied to the plain data *after* interpolation, so ``ports: ["${PORT}:80"]``
is judged on the port it becomes. Compose casts interpolated strings to
numbers, booleans, sizes and durations; the schema accepts those strings in
exactly the forms the casts accept.

jsonschema costs ~75 ms to import, so it is imported, and the validator
compiled, only for a file that the fast, sound pre-check
(:func:`composelint.parsers.schema_precheck.surely_valid`) does not find valid. The formats
Compose parses are checked by :mod:`composelint.parsers.schema_formats`; the messages are worded
by :mod:`composelint.parsers.schema_messages`.
"""

from __future__ import annotations

from typing import Any

from composelint.parsers.schema_formats import FORMAT_PROBLEMS
from composelint.parsers.schema_messages import SchemaError, explain, key_text, subject
from composelint.parsers.schema_precheck import compose_schema, surely_valid


def validate_compose(data: object) -> list[SchemaError]:
    """Every way ``data`` (one Compose file, interpolated) breaks the schema, sorted by path."""
    if data is None:
        return [SchemaError((), "the Compose file is empty; it needs at least a `services` mapping", False)]
    if surely_valid(data):
        return []  # the common case, decided without importing jsonschema
    validator = _compiled_validator()
    try:
        try:
            raw_errors = list(validator.iter_errors(data))
        except TypeError:
            # A non-string mapping key (YAML allows `80: x`) trips the pattern
            # matching of key names; Compose reads such keys as strings.
            raw_errors = list(validator.iter_errors(_with_string_keys(data)))
    except RecursionError:
        return [_TOO_DEEP]
    except Exception as crash:  # never a traceback on input: say the check could not run
        return [SchemaError((), f"the Compose file could not be checked against the schema ({crash!r})", False)]
    found: set[SchemaError] = set()
    for error in raw_errors:
        try:
            found.update(explain(error))
        except RecursionError:
            found.add(SchemaError(tuple(error.absolute_path), _TOO_DEEP.message, False))
        except Exception:  # a value this module did not foresee: still report it, in jsonschema's words
            path = tuple(error.absolute_path)
            found.add(SchemaError(path, f"{subject(path)}: {error.message}", False))
    return sorted(found, key=_sort_key)


_TOO_DEEP = SchemaError((), "the Compose file is nested too deeply to check", False)


def _sort_key(error: SchemaError) -> tuple:
    return (tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.path),
            error.message)


# --------------------------------------------------------------------------- the compiled validator

_validator: Any = None


def _compiled_validator() -> Any:
    global _validator
    if _validator is None:
        from jsonschema import Draft202012Validator, FormatChecker

        schema = compose_schema()
        checker = FormatChecker(formats=())
        for name, problem_of in FORMAT_PROBLEMS.items():
            checker.checks(name, raises=_FormatProblem)(_format_check(problem_of))
        _validator = Draft202012Validator(schema, format_checker=checker)
    return _validator


class _FormatProblem(ValueError):
    """Why a string does not have the form Compose parses."""


def _format_check(problem_of):
    def check(value: object) -> bool:
        if not isinstance(value, str):
            return True
        problem = problem_of(value)
        if problem is not None:
            raise _FormatProblem(problem)
        return True

    return check


# --------------------------------------------------------------------------- hostile input


def _with_string_keys(data: object) -> object:
    """A copy of ``data`` whose mapping keys are all strings (iterative; shared nodes copied once)."""
    copies: dict[int, object] = {}

    def shell(node: object) -> object:
        if isinstance(node, dict):
            return {}
        if isinstance(node, list):
            return [None] * len(node)
        return node

    root = shell(data)
    copies[id(data)] = root
    stack = [(data, root)]
    while stack:
        original, copy = stack.pop()
        if isinstance(original, dict):
            children = [(key_text(key), value) for key, value in original.items()]
        elif isinstance(original, list):
            children = list(enumerate(original))
        else:
            continue
        for slot, child in children:
            if isinstance(child, (dict, list)):
                child_copy = copies.get(id(child))
                if child_copy is None:
                    child_copy = shell(child)
                    copies[id(child)] = child_copy
                    stack.append((child, child_copy))
            else:
                child_copy = child
            copy[slot] = child_copy  # type: ignore[index]
    return root
