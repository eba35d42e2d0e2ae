"""The registry: the one list of rules, in code order.

To add a rule, import its module here and add its ``check`` to REGISTRY
(see CONTRIBUTING.md). Selection uses prefixes: ``CL3`` is a family, ``CL``
is everything; where select and ignore both match, the longer prefix wins.
"""

from __future__ import annotations

from composelint.rules import (
    cl001_yaml_syntax,
    cl002_compose_schema,
    cl003_dockerfile_syntax,
    cl004_duplicate_key,
    cl005_interpolation,
    cl006_unreadable_file,
    cl007_input_limit,
)
from composelint.rules._rule import RuleMeta

REGISTRY = (
    cl001_yaml_syntax.check,
    cl002_compose_schema.check,
    cl003_dockerfile_syntax.check,
    cl004_duplicate_key.check,
    cl005_interpolation.check,
    cl006_unreadable_file.check,
    cl007_input_limit.check,
)

RULES: dict[str, RuleMeta] = {check.meta.code: check.meta for check in REGISTRY}
_BY_NAME: dict[str, RuleMeta] = {meta.name: meta for meta in RULES.values()}


def rule_by_key(key: str) -> RuleMeta | None:
    """A rule by exact code (CL301) or name (missing-resource-limits)."""
    key = str(key).strip()
    return RULES.get(key.upper()) or _BY_NAME.get(key.lower())


def resolve_codes(values) -> tuple[str, ...]:
    """Validate selectors: codes, code prefixes, or rule names (turned into codes)."""
    resolved = []
    for value in values:
        text = str(value).strip()
        meta = _BY_NAME.get(text.lower())
        if meta is not None:
            resolved.append(meta.code)
            continue
        prefix = text.upper()
        if prefix == "ALL":
            resolved.append("CL")
            continue
        if not prefix.startswith("CL") or not any(code.startswith(prefix) for code in RULES):
            raise ValueError(f"`{text}` is not a rule code, code prefix or rule name")
        resolved.append(prefix)
    return tuple(resolved)


def _longest(code: str, prefixes) -> int:
    return max((len(prefix) for prefix in prefixes if code.startswith(prefix)), default=-1)


def selected_rules(select, extend_select=(), ignore=()) -> list[RuleMeta]:
    chosen = []
    selectors = tuple(select) + tuple(extend_select)
    for meta in RULES.values():
        picked = _longest(meta.code, selectors)
        dropped = _longest(meta.code, ignore)
        if picked >= 0 and picked > dropped:
            chosen.append(meta)
    return chosen


def code_matches(code: str, name: str, selectors) -> bool:
    """Whether a suppression or per-file-ignore list covers a diagnostic."""
    for selector in selectors:
        if selector == name or code.startswith(selector.upper()):
            return True
    return False
