"""The fast, sound pre-check of the Compose schema: most files are valid, and proving it needs no jsonschema.

The schema is compiled into plain checks; a document they accept is valid. Whatever they do not
decide (:class:`_Unsure`) goes to jsonschema (:mod:`composelint.parsers.schema`), which costs ~75 ms
to import.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from composelint.parsers.schema_formats import FORMAT_PROBLEMS

_schema: Any = None


def compose_schema() -> dict:
    global _schema
    if _schema is None:
        # Read beside this module: importlib.resources would cost ~10 ms of imports.
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "compose_schema.json"),
                  encoding="utf-8") as stream:
            _schema = json.load(stream)
    return _schema


class _Unsure(Exception):
    """The fast path met something it does not decide; jsonschema will."""


# Keywords that assert nothing (documentation, definitions, composelint's message hints).
_ANNOTATIONS = frozenset(("$schema", "$id", "$defs", "title", "description", "default", "examples", "$comment"))
_OBJECT_KEYWORDS = ("properties", "patternProperties", "additionalProperties", "propertyNames", "required")
_compose_checker: Any = None


def surely_valid(data: object, schema: dict | None = None) -> bool:
    """True only when jsonschema would find no error in ``data``: a sound, partial check.

    Importing jsonschema and compiling its validator costs more than linting a whole
    repository, and almost every file is valid. This decides validity for the keywords the
    schemas use, with jsonschema's semantics (Draft 2020-12, the format checks of this
    module); False means "invalid, or not sure", and the caller asks jsonschema, which then
    words the findings exactly as before. ``schema`` defaults to the Compose schema (the
    configuration's is checked the same way). A subtree shared through YAML aliases is
    checked once per subschema, so the cost stays linear in the distinct nodes.
    """
    global _compose_checker
    try:
        if schema is not None:
            checker = _compile(schema, schema, {})
        else:
            if _compose_checker is None:
                _compose_checker = _compile(compose_schema(), compose_schema(), {})
            checker = _compose_checker
        return checker(data, {})
    except (_Unsure, RecursionError):
        return False
    except Exception:  # a value this module did not foresee: let jsonschema judge it
        return False


def _undecided(instance: object, memo: dict) -> bool:
    raise _Unsure("a schema this module does not decide")


def _always(instance: object, memo: dict) -> bool:
    return True


def _never(instance: object, memo: dict) -> bool:
    return False


def _is_integer(instance: object) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())


def _is_number(instance: object) -> bool:
    return isinstance(instance, (int, float)) and not isinstance(instance, bool)


_TYPE_TESTS = {
    "string": lambda instance: isinstance(instance, str),
    "boolean": lambda instance: isinstance(instance, bool),
    "object": lambda instance: isinstance(instance, dict),
    "array": lambda instance: isinstance(instance, list),
    "null": lambda instance: instance is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _compile(schema: object, root: dict, compiled: dict):
    """A function ``check(instance, memo) -> bool`` deciding ``schema``; raises _Unsure for what it cannot."""
    if schema is True:
        return _always
    if schema is False:
        return _never
    if not isinstance(schema, dict):
        raise _Unsure("schema")
    known = compiled.get(id(schema))
    if known is not None:
        return known
    checks: list = []

    def check(instance: object, memo: dict) -> bool:
        if isinstance(instance, (dict, list)):
            key = (id(instance), id(checks))
            done = memo.get(key)
            if done is None:
                memo[key] = _Unsure  # re-entered before it is decided: a recursive structure
                done = True
                for test in checks:
                    if not test(instance, memo):
                        done = False
                        break
                memo[key] = done
            elif done is _Unsure:
                raise _Unsure("recursive data")
            return done
        for test in checks:
            if not test(instance, memo):
                return False
        return True

    compiled[id(schema)] = check  # before the subschemas: a $ref may lead back here
    try:
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS or keyword.startswith("x-") or keyword in _OBJECT_KEYWORDS:
                continue
            checks.append(_compile_keyword(keyword, value, schema, root, compiled))
        if any(keyword in schema for keyword in _OBJECT_KEYWORDS):
            checks.append(_compile_object(schema, root, compiled))
    except _Unsure:
        # Properties compile when first met (_compile_object), so the checker lives on after this: what already
        # holds this check (a $ref back to it, in a finished subschema) must find it undecided, never half-built.
        checks[:] = [_undecided]
        raise
    if not checks:
        compiled[id(schema)] = _always
        return _always
    return check


def _compile_keyword(keyword: str, value: object, schema: dict, root: dict, compiled: dict):
    if keyword == "type":
        names = [value] if isinstance(value, str) else list(value)
        if any(name not in _TYPE_TESTS for name in names):
            raise _Unsure(keyword)
        tests = tuple(_TYPE_TESTS[name] for name in names)
        if len(tests) == 1:
            test = tests[0]
            return lambda instance, memo: test(instance)
        return lambda instance, memo: any(test(instance) for test in tests)
    if keyword == "$ref":
        if not isinstance(value, str) or not value.startswith("#/"):
            raise _Unsure(value)
        target: object = root
        for part in value[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise _Unsure(value)
            target = target[part]
        return _compile(target, root, compiled)
    if keyword == "items":
        item = _compile(value, root, compiled)
        prefix = len(schema.get("prefixItems", []))
        return lambda instance, memo: not isinstance(instance, list) or all(
            item(entry, memo) for entry in instance[prefix:])
    if keyword == "prefixItems":
        firsts = [_compile(subschema, root, compiled) for subschema in value]
        return lambda instance, memo: not isinstance(instance, list) or all(
            test(entry, memo) for entry, test in zip(instance, firsts))
    if keyword in ("oneOf", "anyOf", "allOf"):
        branches = [_compile(subschema, root, compiled) for subschema in value]
        wanted = {"oneOf": lambda count: count == 1, "anyOf": lambda count: count > 0,
                  "allOf": lambda count: count == len(branches)}[keyword]
        return lambda instance, memo: wanted(sum(1 for branch in branches if branch(instance, memo)))
    if keyword == "enum":
        if not all(isinstance(each, str) for each in value):
            raise _Unsure(keyword)
        choices = frozenset(value)
        return lambda instance, memo: isinstance(instance, str) and instance in choices
    if keyword == "uniqueItems":
        if value is False:
            return _always
        if value is not True:
            raise _Unsure(keyword)
        return _unique
    if keyword == "pattern":
        search = re.compile(value).search
        return lambda instance, memo: not isinstance(instance, str) or search(instance) is not None
    if keyword == "format":
        problem_of = FORMAT_PROBLEMS.get(value)
        if problem_of is None:
            return _always  # formats the checker does not know assert nothing
        return lambda instance, memo: not isinstance(instance, str) or problem_of(instance) is None
    if keyword in ("minLength", "minItems", "maxItems", "minimum", "maximum"):
        bound = value
        if keyword == "minLength":
            return lambda instance, memo: not isinstance(instance, str) or len(instance) >= bound
        if keyword == "minItems":
            return lambda instance, memo: not isinstance(instance, list) or len(instance) >= bound
        if keyword == "maxItems":
            return lambda instance, memo: not isinstance(instance, list) or len(instance) <= bound
        if keyword == "minimum":
            return lambda instance, memo: not _is_number(instance) or instance >= bound
        return lambda instance, memo: not _is_number(instance) or instance <= bound
    raise _Unsure(keyword)


def _unique(instance: object, memo: dict) -> bool:
    if not isinstance(instance, list) or not instance:
        return True
    if all(isinstance(item, str) for item in instance):
        return len(set(instance)) == len(instance)
    raise _Unsure("uniqueItems")


def _compile_object(schema: dict, root: dict, compiled: dict):
    """properties, patternProperties, additionalProperties, propertyNames and required, in one pass.

    A property's subschema is compiled when a document first has it: a run meets a few of the Compose
    schema's hundreds (half the cost of compiling it all, ~3.5 ms, on the awesome-compose corpus)."""
    declared = schema.get("properties", {})
    properties: dict[str, Any] = {}

    def property_check(name: str):
        check = properties.get(name)
        if check is None and name in declared:
            check = properties[name] = _compile(declared[name], root, compiled)
        return check

    patterns = [(re.compile(pattern).search, _compile(subschema, root, compiled))
                for pattern, subschema in schema.get("patternProperties", {}).items()]
    has_additional = "additionalProperties" in schema
    additional = schema.get("additionalProperties", True)
    if isinstance(additional, dict):
        additional_check = _compile(additional, root, compiled)
    else:
        additional_check = _always if additional else _never
    names = _compile(schema["propertyNames"], root, compiled) if "propertyNames" in schema else None
    required = tuple(schema.get("required", ()))
    needs_text_keys = bool(patterns) or has_additional

    def test(instance: object, memo: dict) -> bool:
        if not isinstance(instance, dict):
            return True
        for name in required:
            if name not in instance:
                return False
        for name, value in instance.items():
            if needs_text_keys and not isinstance(name, str):
                raise _Unsure(name)  # jsonschema matches patterns on text keys only
            named = property_check(name) if isinstance(name, str) else None
            if named is not None and not named(value, memo):
                return False
            matched = False
            for search, subschema in patterns:
                if search(name):
                    matched = True
                    if not subschema(value, memo):
                        return False
            if has_additional and named is None and not matched:
                if not additional_check(value, memo):
                    return False
            if names is not None and not names(name, memo):
                return False
        return True

    return test
