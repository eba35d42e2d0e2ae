"""Check a Compose file against composelint's own schema of the format (rule CL002).

The schema (``compose_schema.json`` beside this module) is written from the
Compose Specification and from what ``docker compose config`` accepts. It is
applied to the plain data *after* interpolation, so ``ports: ["${PORT}:80"]``
is judged on the port it becomes. Compose casts interpolated strings to
numbers, booleans, sizes and durations; the schema accepts those strings in
exactly the forms the casts accept.

jsonschema costs ~75 ms to import, so it is imported, and the validator
compiled, only for a file that the fast, sound pre-check (:func:`surely_valid`)
does not find valid.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Iterable

from composelint.parsers.ports import parse_port_spec
from composelint.records import record
from composelint.suggest import closest_name

KeyPath = tuple  # tuple[str | int, ...]: mapping keys and list indexes from the root


@record(frozen=True, slots=True)
class SchemaError:
    path: tuple[str | int, ...]  # where the error is; for an unknown key, the path including the key
    message: str
    on_key: bool  # True when the position to report is the key itself


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
            found.update(_explain(error))
        except RecursionError:
            found.add(SchemaError(tuple(error.absolute_path), _TOO_DEEP.message, False))
        except Exception:  # a value this module did not foresee: still report it, in jsonschema's words
            path = tuple(error.absolute_path)
            found.add(SchemaError(path, f"{_subject(path)}: {error.message}", False))
    return sorted(found, key=_sort_key)


_TOO_DEEP = SchemaError((), "the Compose file is nested too deeply to check", False)


# --------------------------------------------------------------------------- the fast path

_schema: Any = None


def _compose_schema() -> dict:
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
                _compose_checker = _compile(_compose_schema(), _compose_schema(), {})
            checker = _compose_checker
        return checker(data, {})
    except (_Unsure, RecursionError):
        return False
    except Exception:  # a value this module did not foresee: let jsonschema judge it
        return False


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
    for keyword, value in schema.items():
        if keyword in _ANNOTATIONS or keyword.startswith("x-") or keyword in _OBJECT_KEYWORDS:
            continue
        checks.append(_compile_keyword(keyword, value, schema, root, compiled))
    if any(keyword in schema for keyword in _OBJECT_KEYWORDS):
        checks.append(_compile_object(schema, root, compiled))
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
        problem_of = _FORMAT_PROBLEMS.get(value)
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
    """properties, patternProperties, additionalProperties, propertyNames and required, in one pass."""
    properties = {name: _compile(subschema, root, compiled) for name, subschema in schema.get("properties", {}).items()}
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
            named = properties.get(name) if isinstance(name, str) else None
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


# --------------------------------------------------------------------------- the compiled validator

_validator: Any = None


def _compiled_validator() -> Any:
    global _validator
    if _validator is None:
        from jsonschema import Draft202012Validator, FormatChecker

        schema = _compose_schema()
        checker = FormatChecker(formats=())
        for name, problem_of in _FORMAT_PROBLEMS.items():
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


# Bounded digit runs: int() of thousands of digits raises on Python 3.11+.
_PORT_RANGE = re.compile(r"([0-9]{1,12})(?:-([0-9]{1,12}))?")


def _port_range(text: str) -> tuple[int, int] | None:
    match = _PORT_RANGE.fullmatch(text)
    if match is None:
        return None
    start = int(match.group(1))
    end = int(match.group(2)) if match.group(2) is not None else start
    if end > 65535 or end < start:
        return None
    return start, end


def _is_ip_address(text: str) -> bool:
    if "%" in text:  # Go's net.ParseIP takes no IPv6 zone
        return False
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _port_problem(spec: str) -> str | None:
    """Why Compose rejects a short-syntax port ``[IP:][HOST:]CONTAINER[/PROTOCOL]``, or None."""
    if not spec:
        return "the mapping is empty"
    port = parse_port_spec(spec)
    if port.protocol and port.transport not in ("tcp", "udp", "sctp"):
        return f"the protocol `{_scalar(port.protocol)}` is not `tcp`, `udp` or `sctp`"
    host_ip, host, container = port.address, port.published, port.target
    if host_ip == port.host_ip and "[" in spec.partition("/")[0]:  # a bracket, but not around the address
        return "a bracketed IPv6 address needs both ports after it, as in `[::1]:8080:80`"
    if host_ip and not _is_ip_address(host_ip):
        return f"`{_scalar(host_ip)}` is not an IP address"
    if not container:
        return "the container port is missing"
    container_range = _port_range(container)
    if container_range is None or container_range[0] == 0:
        return f"the container port `{_scalar(container)}` is not a port from 1 to 65535 or a range such as `8000-8010`"
    if host:
        host_range = _port_range(host)
        if host_range is None:
            return f"the host port `{_scalar(host)}` is not a port from 0 to 65535 or a range such as `8000-8010`"
        container_span = container_range[1] - container_range[0]
        if container_span and host_range[1] - host_range[0] != container_span:
            return f"the host range `{_scalar(host)}` and the container range `{_scalar(container)}` differ in size"
    return None


def _volume_problem(spec: str) -> str | None:
    """Why Compose rejects a short-syntax volume ``[SOURCE:]TARGET[:OPTIONS]``, or None.

    Splits on colons as Compose does: a single letter before a colon is a
    Windows drive, and ``${...}`` is kept whole.
    """
    if not spec:
        return "the volume is empty"
    if len(spec) <= 2:
        return None
    sections = 0
    section_length = 0
    first_char = ""
    braces = 0
    length = len(spec)
    for index, char in enumerate(spec):
        if char == "$" and index + 1 < length and spec[index + 1] == "{":
            braces += 1
        elif char == "}" and braces:
            braces -= 1
        elif char == ":" and not braces:
            if section_length == 1 and first_char.isalpha():
                pass  # `C:` of a Windows path
            elif section_length == 0:
                return "it has an empty section between colons"
            elif sections == 2:
                return "it has too many colons (at most SOURCE:TARGET:OPTIONS)"
            else:
                sections += 1
                section_length = 0
                continue
        if section_length == 0:
            first_char = char
        section_length += 1
    if section_length == 0:
        return "it ends with a colon"
    return None


def _ip_problem(text: str) -> str | None:
    return None if _is_ip_address(text) else "it is not an IPv4 or IPv6 address"


_FORMAT_PROBLEMS = {
    "compose-port": _port_problem,
    "compose-volume": _volume_problem,
    "ip-address": _ip_problem,
}
_FORMAT_NOUNS = {"compose-port": "port mapping", "compose-volume": "volume", "ip-address": "IP address"}


# --------------------------------------------------------------------------- messages

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


def _explain(error) -> Iterable[SchemaError]:
    """Turn one jsonschema error into the findings a person should read."""
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    keyword = error.validator
    here = _render_path(path)

    schema_path = tuple(error.absolute_schema_path)
    if len(schema_path) >= 2 and schema_path[-2] == "propertyNames":
        # jsonschema checks a key name as the instance, at the mapping's path
        yield SchemaError(path + (str(instance),), f"empty key in `{here}`", True)
    elif keyword == "additionalProperties":
        yield from _unknown_keys(path, schema, instance)
    elif keyword == "required":
        for key in error.validator_value:
            if isinstance(instance, dict) and key not in instance:
                yield SchemaError(path, f"{_subject(path)} is missing the required key `{key}`", False)
    elif keyword == "type":
        yield SchemaError(path, f"{_subject(path)} must be {_type_phrase(error.validator_value)}, "
                                f"not {_describe(instance)}", False)
    elif keyword == "enum":
        choices = ", ".join(f"`{_scalar(choice)}`" for choice in error.validator_value)
        message = f"{_subject(path)} must be one of {choices}, not {_shown(instance)}"
        yield SchemaError(path, message + _suggestion(instance, error.validator_value), False)
    elif keyword == "pattern":
        expected = schema.get("x-expected", f"text matching `{error.validator_value}`")
        message = f"{_subject(path)} must be {expected}, not {_shown(instance)}"
        yield SchemaError(path, message + _suggestion(instance, schema.get("x-choices", ())), False)
    elif keyword == "format":
        noun = _FORMAT_NOUNS.get(error.validator_value, error.validator_value)
        reason = f": {error.cause}" if error.cause is not None else ""
        yield SchemaError(path, f"{_subject(path)} is not a valid {noun} ({_shown(instance)}){reason}", False)
    elif keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        yield SchemaError(path, f"{_subject(path)} must be {_range_phrase(schema)}, not {_shown(instance)}", False)
    elif keyword == "uniqueItems":
        yield _duplicate(path, instance)
    elif keyword in ("oneOf", "anyOf"):
        yield from _explain_alternatives(error, path, instance)
    else:
        yield SchemaError(path, f"{_subject(path)}: {error.message}", False)


def _unknown_keys(path: KeyPath, schema: dict, instance: object) -> Iterable[SchemaError]:
    if not isinstance(instance, dict):
        return
    known = schema.get("properties", {})
    patterns = [re.compile(pattern) for pattern in schema.get("patternProperties", {})]
    extensions_allowed = any(pattern.search("x-") for pattern in patterns)
    for key in instance:
        if key in known or any(pattern.search(_key_text(key)) for pattern in patterns):
            continue
        key_path = path + (key,)
        kind = schema.get("x-key-kind")
        if kind is not None and not known:
            message = f"`{_scalar(key)}` is not a valid {kind} in `{_render_path(path)}`: {_NAME_RULE}"
            yield SchemaError(key_path, message, True)
            continue
        where = _where(path)
        shown = _scalar(key)
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
                return SchemaError(path + (index,), f"{_subject(path)} lists {_shown(item)} more than once", False)
            seen.add(identity)
    return SchemaError(path, f"{_subject(path)} lists an entry more than once", False)


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
            yield from _explain(inner)
        return
    types: list[str] = []
    for branch in error.validator_value:
        declared = branch.get("type", ()) if isinstance(branch, dict) else ()
        types.extend([declared] if isinstance(declared, str) else declared)
    if types:
        yield SchemaError(path, f"{_subject(path)} must be {_type_phrase(types)}, not {_describe(instance)}", False)
    else:
        yield SchemaError(path, f"{_subject(path)} matches none of the allowed forms", False)


def _subject(path: KeyPath) -> str:
    return f"`{_render_path(path)}`" if path else "the Compose file"


def _render_path(path: KeyPath) -> str:
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
    return f"in `{_render_path(path)}`"


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


def _scalar(value: object) -> str:
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
    return f"`{_scalar(value)}`"


def _describe(value: object) -> str:
    """A value with its kind, for type errors: "the number `8080`", "a list"."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean `{_scalar(value)}`"
    if isinstance(value, (int, float)):
        return f"the number `{_scalar(value)}`"
    if isinstance(value, str):
        return f"the string `{_scalar(value)}`" if value else "an empty string"
    return f"a {type(value).__name__}"


def _sort_key(error: SchemaError) -> tuple:
    return (tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.path),
            error.message)


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
            children = [(_key_text(key), value) for key, value in original.items()]
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


def _key_text(key: object) -> str:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)
