"""What a schema error says: the words of CL002's findings (and of the configuration's errors).

jsonschema's own messages name JSON types and regular expressions; these name what a Compose
author wrote, what was expected instead, and the nearest valid key.
"""

from __future__ import annotations

import json
import re
from typing import Iterable

from composelint.records import record
from composelint.suggest import closest_name

KeyPath = tuple  # tuple[str | int, ...]: mapping keys and list indexes from the root


@record(frozen=True, slots=True)
class SchemaError:
    path: tuple[str | int, ...]  # where the error is; for an unknown key, the path including the key
    message: str
    on_key: bool  # True when the position to report is the key itself


FORMAT_NOUNS = {"compose-port": "port mapping", "compose-volume": "volume", "ip-address": "IP address"}


_TYPE_ORDER = ("boolean", "string", "integer", "number", "array", "object", "null")
_TYPE_NOUNS = {
    "boolean": "boolean",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "array": "list",
    "object": "mapping",
    "null": "null",
}
_RESOURCE_NOUNS = {
    "services": "service",
    "networks": "network",
    "volumes": "volume",
    "secrets": "secret",
    "configs": "config",
    "models": "model",
}
_NAME_RULE = "use only letters, digits, `.`, `_` and `-`"
_SHOWN_LENGTH = 60


def explain(error) -> Iterable[SchemaError]:
    """Turn one jsonschema error into the findings a person should read."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    keyword = error.validator
    here = render_path(path)

    schema_path = tuple(error.absolute_schema_path)
    if len(schema_path) >= 2 and schema_path[-2] == "propertyNames":
        # jsonschema checks a key name as the instance, at the mapping's path
        yield SchemaError(path + (str(instance),), f"empty key in `{here}`", True)
    elif keyword == "additionalProperties":
        yield from _unknown_keys(path, schema, instance)
    elif keyword == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                yield SchemaError(path, f"{subject(path)} is missing the required key `{key}`", False)
    elif keyword == "type":
        yield SchemaError(path, f"{subject(path)} must be {_type_phrase(error.validator_value)}, "
                                f"not {_describe(instance)}", False)
    elif keyword == "enum":
        choices = ", ".join(f"`{scalar(choice)}`" for choice in error.validator_value)
        message = f"{subject(path)} must be one of {choices}, not {_shown(instance)}"
        yield SchemaError(path, message + _suggestion(instance, error.validator_value), False)
    elif keyword == "pattern":
        expected = schema.get("x-expected", f"text matching `{error.validator_value}`")
        message = f"{subject(path)} must be {expected}, not {_shown(instance)}"
        yield SchemaError(path, message + _suggestion(instance, schema.get("x-choices", ())), False)
    elif keyword == "format":
        noun = FORMAT_NOUNS.get(error.validator_value, error.validator_value)
        reason = f": {error.cause}" if error.cause is not None else ""
        yield SchemaError(path, f"{subject(path)} is not a valid {noun} ({_shown(instance)}){reason}", False)
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        yield SchemaError(path, f"{subject(path)} must be {_range_phrase(schema)}, not {_shown(instance)}", False)
    elif keyword == "uniqueItems":
        yield _duplicate(path, instance)
    elif keyword in ("oneOf", "anyOf"):
        yield from _explain_alternatives(error, path, instance)
    else:
        yield SchemaError(path, f"{subject(path)}: {error.message}", False)


def _unknown_keys(path: KeyPath, schema: dict, instance: object) -> Iterable[SchemaError]:
    if not isinstance(instance, dict):
        return
    known = schema.get("properties", {})
    patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
    extensions_allowed = any(pattern.search("x-") for pattern in patterns)
    for key in instance:
        if key in known or any(pattern.search(key_text(key)) for pattern in patterns):
            continue
        key_path = path + (key,)
        kind = schema.get("x-key-kind")
        if kind is not None and not known:
            message = f"`{scalar(key)}` is not a valid {kind} in `{render_path(path)}`: {_NAME_RULE}"
            yield SchemaError(key_path, message, True)
            continue
        where = _where(path)
        shown = scalar(key)
        message = f"unknown top-level key `{shown}`" if not path else f"unknown key `{shown}` {where}"
        message += _key_hint(key, known, extensions_allowed)
        yield SchemaError(key_path, message, True)


def _key_hint(key: object, known: dict, extensions_allowed: bool) -> str:
    looks_like_extension = isinstance(key, str) and key[:2].lower() in ("x-", "x_")
    if looks_like_extension:
        if extensions_allowed:
            return "; extension keys must start with lowercase `x-`"
        return "; extension keys (`x-`) are not allowed here"
    return _suggestion(key, known)


def _suggestion(value: object, candidates: Iterable[object]) -> str:
    if not isinstance(value, str) or not value or len(value) > _SHOWN_LENGTH:
        return ""
    close = closest_name(value, [candidate for candidate in candidates if isinstance(candidate, str)])
    return f"; did you mean `{close}`?" if close else ""


def _duplicate(path: KeyPath, items: object) -> SchemaError:
    seen: set[str] = set()
    if isinstance(items, list):
        for index, item in enumerate(items):
            identity = json.dumps(item, sort_keys=True, default=repr)
            if identity in seen:
                return SchemaError(path + (index,), f"{subject(path)} lists {_shown(item)} more than once", False)
            seen.add(identity)
    return SchemaError(path, f"{subject(path)} lists an entry more than once", False)


def _explain_alternatives(error, path: KeyPath, instance: object) -> Iterable[SchemaError]:
    """A oneOf/anyOf failed: explain the alternative meant for this kind of value.

    The schema avoids these (type lists keep messages specific), but should
    one be added, report the inner errors of the branch whose type fits, not
    jsonschema's "is not valid under any of the given schemas".
    """
    by_branch: dict[int, list] = {}
    for inner in error.context or ():
        by_branch.setdefault(inner.relative_schema_path[0], []).append(inner)
    fitting = [
        inner_errors
        for inner_errors in by_branch.values()
        if not any(inner.validator == "type" and not inner.relative_path for inner in inner_errors)
    ]
    if fitting:
        for inner in min(fitting, key=len):
            yield from explain(inner)
        return
    types: list[str] = []
    for branch in error.validator_value:
        declared = branch.get("type", ()) if isinstance(branch, dict) else ()
        types.extend([declared] if isinstance(declared, str) else declared)
    if types:
        yield SchemaError(path, f"{subject(path)} must be {_type_phrase(types)}, not {_describe(instance)}", False)
    else:
        yield SchemaError(path, f"{subject(path)} matches none of the allowed forms", False)


def subject(path: KeyPath) -> str:
    return f"`{render_path(path)}`" if path else "the Compose file"


def render_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _where(path: KeyPath) -> str:
    if len(path) == 2 and path[0] in _RESOURCE_NOUNS:
        return f"in {_RESOURCE_NOUNS[path[0]]} `{path[1]}`"
    return f"in `{render_path(path)}`"


def _type_phrase(types: object) -> str:
    names = [types] if isinstance(types, str) else list(types)
    if "integer" in names and "number" in names:
        names.remove("integer")
    names = sorted(set(names), key=lambda name: _TYPE_ORDER.index(name) if name in _TYPE_ORDER else 99)
    nouns = [_TYPE_NOUNS.get(name, name) for name in names]
    if not nouns:
        return "something else"
    first = nouns[0]
    article = "" if first == "null" else ("an " if first[0] in "aeiou" else "a ")
    phrase = article + first
    if len(nouns) > 1:
        phrase = ", ".join([phrase, *nouns[1:-1]]) + f" or {nouns[-1]}"
    return phrase


def _range_phrase(schema: dict) -> str:
    if "x-expected" in schema:
        return schema["x-expected"]
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f"between {low} and {high}"
    if low is not None:
        return f"at least {low}"
    if high is not None:
        return f"at most {high}"
    return "in the allowed range"


def scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def _shown(value: object) -> str:
    """A value as the user wrote it, for "must be X, not `value`"."""
    if isinstance(value, (dict, list)):
        return _describe(value)
    if isinstance(value, str) and not value:
        return "an empty string"
    return f"`{scalar(value)}`"


def _describe(value: object) -> str:
    """A value with its kind, for type errors: "the number `8080`", "a list"."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean `{scalar(value)}`"
    if isinstance(value, (int, float)):
        return f"the number `{scalar(value)}`"
    if isinstance(value, str):
        return f"the string `{scalar(value)}`" if value else "an empty string"
    return f"a {type(value).__name__}"


def key_text(key: object) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)
