"""A hadolint configuration at the project root (`.hadolint.yaml` / `.hadolint.yml`), read for migration.

hadolint looks for its file in the current directory first, then in the user's home and XDG
directories; composelint reads only the project root's, so that a run gives the same findings on
every machine (a file in someone's home directory is not part of the project).

Here the file is only read, with positions, into :class:`HadolintSettings`: which hadolint codes
it ignores or re-grades, the trusted registries, and the keys composelint cannot honour. What
needs no rule registry is applied here (`failure-threshold` and `no-fail` become `fail-on`);
mapping the DL codes onto composelint's rules needs the registry and happens above it
(composelint/hadolint.py, called by the engine). The composelint configuration wins wherever
both set something.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from composelint.diagnostics import Severity
from composelint.records import record

NAMES = (".hadolint.yaml", ".hadolint.yml")
# hadolint's levels; its "style" has no composelint counterpart below info.
LEVELS = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO, "style": Severity.INFO}
# failure-threshold values that never fail a run.
NEVER = ("ignore", "none")
# Keys that only shape hadolint's own output or label checks: read, reported once as not supported.
UNSUPPORTED = {
    "format": "composelint's output format is `--format` (text, json, sarif, github, …)",
    "output-format": "composelint's output format is `--format` (text, json, sarif, github, …)",
    "no-color": "composelint colours only a terminal; NO_COLOR turns that off",
    "verbose": "composelint has no verbose mode",
    "label-schema": "composelint has no LABEL schema check",
    "strict-labels": "composelint has no LABEL schema check",
}


class HadolintConfigError(ValueError):
    """The file is not a hadolint configuration (config.load_config words it as a ConfigError)."""


@record(frozen=True, slots=True)
class Written:
    """A value as written in the file, with where (1-based line and column)."""

    value: str
    line: int
    column: int


@record(frozen=True, slots=True)
class HadolintSettings:
    source: str  # the file, relative to the project root
    ignored: tuple[Written, ...] = ()  # hadolint codes
    override: tuple[tuple[Written, Severity], ...] = ()  # hadolint code -> level
    trusted_registries: tuple[str, ...] = ()
    trusted_at: Written | None = None  # the key, when present
    pragmas: bool = True  # False: `disable-ignore-pragma: true`
    unsupported: tuple[tuple[Written, str], ...] = ()  # key or value that has no effect, and why
    threshold: str | None = None  # `failure-threshold` (or "none" for `no-fail: true`), lower-cased


def find_hadolint_file(root: Path) -> Path | None:
    for name in NAMES:
        if (root / name).is_file():
            return root / name
    return None


def load_hadolint(root: Path) -> HadolintSettings | None:
    """The root's hadolint configuration, or None. A file that is not YAML is a HadolintConfigError."""
    path = find_hadolint_file(root)
    if path is None:
        return None  # most projects: no YAML parser to import (~10 ms; a cached re-run needs none)
    from composelint.parsers.yaml_loader import load_yaml
    from composelint.yamltree import YMap, YScalar, YSeq

    display = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise HadolintConfigError(f"{display}: cannot read the hadolint configuration: {exc}") from None
    document = load_yaml(text, display)
    if document.problems:
        problem = document.problems[0]
        raise HadolintConfigError(f"{problem.span}: {problem.message}")
    root_node = document.root
    if root_node is None:
        return HadolintSettings(display)
    if not isinstance(root_node, YMap):
        raise HadolintConfigError(f"{display}: a hadolint configuration is a mapping of keys")

    def written(node) -> Written:
        return Written(str(node.value) if isinstance(node, YScalar) else "", node.span.line, node.span.column)

    def codes(node, key: str) -> tuple[Written, ...]:
        if node is None:
            return ()
        if not isinstance(node, YSeq):
            raise HadolintConfigError(f"{display}:{node.span.line}:{node.span.column}: `{key}` is a list of rule codes")
        return tuple(written(item) for item in node.items if isinstance(item, YScalar) and item.value is not None)

    ignored: tuple[Written, ...] = ()
    override: list[tuple[Written, Severity]] = []
    trusted: tuple[str, ...] = ()
    trusted_at = None
    pragmas = True
    threshold = None
    unsupported: list[tuple[Written, str]] = []
    for key, entry in root_node.entries.items():
        node, at = entry.value, Written(key, entry.key.span.line, entry.key.span.column)
        if key == "ignored":
            ignored = codes(node, key)
        elif key == "override":
            for level, listed in (node.entries.items() if isinstance(node, YMap) else ()):
                where = Written(level, listed.key.span.line, listed.key.span.column)
                if level not in LEVELS:
                    unsupported.append((where, "hadolint's levels are error, warning, info and style"))
                    continue
                override.extend((code, LEVELS[level]) for code in codes(listed.value, f"override.{level}"))
        elif key in ("trustedRegistries", "trusted-registries"):
            trusted = tuple(item.value for item in codes(node, key))
            trusted_at = at
        elif key == "disable-ignore-pragma":
            pragmas = not (isinstance(node, YScalar) and node.value is True)
        elif key == "no-fail":
            if isinstance(node, YScalar) and node.value is True:
                threshold = "none"
        elif key == "failure-threshold":
            level = str(node.value).strip().lower() if isinstance(node, YScalar) else ""
            if level in LEVELS or level in NEVER:
                threshold = threshold or level
            else:
                unsupported.append((at, "hadolint's thresholds are error, warning, info, style and none"))
        else:
            unsupported.append((at, UNSUPPORTED.get(key, "it is not a key composelint knows of hadolint's")))
    return HadolintSettings(display, ignored, tuple(override), trusted, trusted_at, pragmas, tuple(unsupported),
                            threshold)


def merge(config, present: frozenset[str], root: Path):
    """``config`` (from the composelint file, whose keys are ``present``) with the root's hadolint
    settings attached, and its failure threshold as `fail-on` unless composelint's sets one."""
    settings = load_hadolint(root)
    if settings is None:
        return config
    changes: dict[str, object] = {"hadolint": settings}
    if "fail-on" not in present and settings.threshold is not None:
        changes["fail_on"] = None if settings.threshold in NEVER else LEVELS[settings.threshold]
    return dataclasses.replace(config, **changes)
