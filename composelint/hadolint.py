"""Migration from hadolint: its codes mapped onto composelint's rules through each rule's `equivalents`.

Nothing here lists codes: a rule that declares ``equivalents=("hadolint:DL3015",)`` is what makes
``# hadolint ignore=DL3015`` and ``ignored: [DL3015]`` in a `.hadolint.yaml` reach it. An entry
ending in ``*`` (``hadolint:SC*``) stands for every code with that prefix; a finding of such a rule
is then covered only when its message starts with the code (ShellCheck findings start with theirs),
and a `.hadolint.yaml` that ignores such codes puts them in that rule's `ignore` option.

hadolint's pragmas, as hadolint reads them (its Pragma module):

- ``# hadolint ignore=DL3008,SC2086`` covers the instruction that starts on the very next line, all
  its lines (hadolint reports a finding on the instruction's first line; composelint at the token);
  a blank or another comment in between, and it covers nothing, as in hadolint.
- ``# hadolint global ignore=…`` covers the whole file, wherever it is written.
- ``# hadolint stage ignore=…`` covers from the next instruction to the end of its stage.

The codes are upper-case letters D, L, S, C and digits, separated by commas; anything else makes
hadolint ignore the whole comment, and composelint too.
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

from composelint.lazyre import LazyPattern

TOOL = "hadolint"
# The rule `trustedRegistries` turns on (off by default otherwise).
UNTRUSTED_REGISTRY = "CL435"
_PRAGMA = LazyPattern(r"#[ \t]*hadolint[ \t]+(?:(?P<scope>global|stage)[ \t]+)?ignore[ \t]*=[ \t]*"
                       r"(?P<codes>[DLSC0-9]+(?:[ \t]*,[ \t]*[DLSC0-9]+)*)[ \t]*(?:#.*)?$")


@lru_cache(maxsize=None)
def _declared() -> tuple[tuple[str, str], ...]:
    """(equivalent code or prefix*, composelint code) for every rule that reads Dockerfiles, from the registry
    (the compose-only families never see a Dockerfile, and a lone Dockerfile's run never imports them)."""
    from composelint.rules import CODES, compose_only, load

    pairs = []
    for code in CODES:
        if compose_only(code):
            continue
        for equivalent in load(code).equivalents:
            tool, _, foreign = equivalent.partition(":")
            if tool == TOOL and foreign:
                pairs.append((foreign, code))
    return tuple(pairs)


def rules_for(foreign: str) -> tuple[str, ...]:
    """The composelint codes whose rules check what hadolint's ``foreign`` code checks."""
    foreign = foreign.strip().upper()
    found = []
    for declared, code in _declared():
        if declared == foreign or (declared.endswith("*") and foreign.startswith(declared[:-1])):
            if code not in found:
                found.append(code)
    return tuple(found)


def covers(foreign: str, diagnostic) -> bool:
    """Whether a suppression of hadolint's ``foreign`` code covers a composelint finding."""
    for declared, code in _declared():
        if code != diagnostic.code:
            continue
        if declared == foreign:
            return True
        if declared.endswith("*") and foreign.startswith(declared[:-1]):
            return diagnostic.message.startswith(foreign)
    return False


def mapping() -> dict[str, tuple[str, ...]]:
    """hadolint code (or prefix*) -> composelint codes, in hadolint code order: the README's table."""
    table: dict[str, list[str]] = {}
    for declared, code in _declared():
        table.setdefault(declared, []).append(code)
    return {foreign: tuple(codes) for foreign, codes in sorted(table.items())}


# --------------------------------------------------------------------------- configuration


def resolve(config):
    """``config`` with its .hadolint.yaml's ignored codes, severity overrides and trusted registries
    turned into composelint settings. The composelint configuration (and the command line) wins: a
    code it selects, re-grades or configures by name keeps its setting."""
    settings = config.hadolint
    if settings is None:
        return config
    from types import MappingProxyType

    chosen = set(config.select) | set(config.extend_select) | set(config.ignore)
    ignore = list(config.ignore)
    for code in _fully_ignored(settings):
        if code not in chosen and code not in ignore:
            ignore.append(code)
    severity = dict(config.severity)
    for written, level in settings.override:
        for code in rules_for(written.value):
            if code not in config.severity:
                severity[code] = level
    changes = {"ignore": tuple(ignore), "severity": MappingProxyType(severity)}
    options = dict(config.rule_options)
    for code, codes in _ignored_by_option(settings).items():
        if code not in options:
            from composelint.rules import load

            default = load(code).options().ignore
            options[code] = MappingProxyType({"ignore": [*default, *codes]})
            changes["rule_options"] = MappingProxyType(options)
    if settings.trusted_registries:
        if UNTRUSTED_REGISTRY not in options:
            options[UNTRUSTED_REGISTRY] = MappingProxyType({"registries": list(settings.trusted_registries)})
            changes["rule_options"] = MappingProxyType(options)
        if UNTRUSTED_REGISTRY not in chosen:
            changes["extend_select"] = (*config.extend_select, UNTRUSTED_REGISTRY)
    return dataclasses.replace(config, **changes)


def _fully_ignored(settings) -> list[str]:
    """The rules all of whose hadolint equivalents the file ignores (one rule may stand for several
    hadolint codes, e.g. CL403 for DL3006 and DL3007: ignoring only one keeps the rule on)."""
    ignored = {written.value for written in settings.ignored}
    by_rule: dict[str, set[str]] = {}
    for declared, code in _declared():
        by_rule.setdefault(code, set()).add(declared)
    return [code for code, foreign in by_rule.items() if foreign <= ignored]


def _ignored_by_option(settings) -> dict[str, list[str]]:
    """Codes under a rule's wildcard equivalent (``hadolint:SC*``): that rule reports many codes of the
    other tool and takes the ignored ones in its `ignore` option (CL416 and ShellCheck's codes)."""
    found: dict[str, list[str]] = {}
    for written in settings.ignored:
        for declared, code in _declared():
            if declared.endswith("*") and written.value.startswith(declared[:-1]):
                found.setdefault(code, []).append(written.value)
    return found


def _partly_ignored(settings, foreign: str) -> list[str]:
    """The rules ``foreign`` maps to that stay on because the file leaves others of their codes."""
    ignored = set(_fully_ignored(settings)) | set(_ignored_by_option(settings))
    return [code for code in rules_for(foreign) if code not in ignored]


def config_notes(settings):
    """What of the hadolint configuration composelint cannot honour: (line, column, width, message, help)."""
    notes = []
    seen = set()
    for key, written in [("ignored", w) for w in settings.ignored] + [("override", w) for w, _ in settings.override]:
        if written.value in seen or rules_for(written.value):
            continue
        seen.add(written.value)
        notes.append((written.line, written.column, len(written.value),
                      f"`{written.value}` in `{key}` of {settings.source} has no composelint equivalent, so it "
                      f"changes nothing here",
                      "`composelint rules --format json` lists each rule's hadolint equivalents; the README's "
                      "\"Coming from hadolint\" table shows them"))
    for written in settings.ignored:
        partly = _partly_ignored(settings, written.value)
        if partly and written.value not in seen:
            seen.add(written.value)
            others = sorted({declared for declared, code in _declared() if code in partly} - {written.value})
            notes.append((written.line, written.column, len(written.value),
                          f"`{written.value}` in `ignored` of {settings.source} maps to {', '.join(partly)}, which "
                          f"also checks {', '.join(others)}, so it stays on",
                          f"to turn it off too, add {', '.join(partly)} to `ignore` in .composelint.yaml, or "
                          f"suppress its findings where they occur"))
    for written, why in settings.unsupported:
        notes.append((written.line, written.column, len(written.value),
                      f"`{written.value}` of {settings.source} is not supported by composelint, so it has no effect",
                      why))
    return notes


# --------------------------------------------------------------------------- pragmas


def scan_pragmas(path: str, text: str, dockerfile, suppression_type) -> list:
    """The ``# hadolint`` ignore pragmas of a Dockerfile, as suppressions of the mapped rules."""
    if "hadolint" not in text:
        return []
    starts = {instruction.span.line: instruction for instruction in dockerfile.instructions}
    inside = set()
    for instruction in dockerfile.instructions:
        inside.update(range(instruction.span.line, instruction.span.end_line + 1))
    stage_starts = sorted(stage.from_instruction.span.line for stage in dockerfile.stages)
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        number = index + 1
        if "hadolint" not in line or number in inside:
            continue  # a heredoc body's "#" is shell text, not a Dockerfile comment
        match = _PRAGMA.match(line.lstrip(" \t"))
        if match is None:
            continue
        offset = len(line) - len(line.lstrip(" \t"))
        selectors, columns = [], []
        for part in re.finditer(r"[DLSC0-9]+", match.group("codes")):
            selectors.append(part.group())
            columns.append(offset + match.start("codes") + part.start() + 1)
        scope = match.group("scope")
        if scope == "global":
            start, end, kind = 1, len(lines), "file"
        else:
            following = starts.get(number + 1)
            start = number + 1
            if following is None:
                end = start = number  # nothing directly below: covers nothing, as in hadolint
            elif scope == "stage":
                end = next((line_ - 1 for line_ in stage_starts if line_ > start), len(lines))
            else:
                end = following.span.end_line
            kind = "none" if following is None else "stage" if scope == "stage" else "node"
        found.append(suppression_type(
            path, start, end, tuple(selectors), None, number, kind, column=offset + 1,
            end_column=offset + match.end("codes") + 1, selector_columns=tuple(columns), origin=TOOL,
            targets=tuple(rules_for(selector) for selector in selectors)))
    return found
