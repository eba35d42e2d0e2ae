"""The settings of a run: Config and its parts, ConfigError, and the helpers that derive one Config from
another. Plain data that assembly, the rules and the engine read; loading one from a file, which checks
rule codes, names and options against the rule registry, is config.py's (it sits with the rules).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from composelint.diagnostics import Severity
from composelint.records import record

EMPTY: Mapping = MappingProxyType({})
CONFIG_NAMES = (".composelint.yaml", ".composelint.yml")


class ConfigError(Exception):
    """One line: where the configuration is wrong and how."""


@record(frozen=True, slots=True)
class Limits:
    max_file_size: int = 10 * 1024 * 1024
    yaml_nodes: int = 1_000_000
    yaml_depth: int = 100
    dockerfile_lines: int = 200_000


@record(frozen=True, slots=True)
class DeploymentSpec:
    files: tuple[str, ...]
    profiles: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()
    name: str | None = None
    project_directory: str | None = None
    origin: str = ""  # "path:line" of the config entry, for messages


@record(frozen=True)
class Config:
    select: tuple[str, ...] = ("CL",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=lambda: EMPTY)
    fail_on: Severity | None = Severity.WARNING  # None: `fail-on: never`, findings never fail the run
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: EMPTY)
    env: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    env_files: tuple[str, ...] = ()  # `env-file` / --env-file: the deployment environment, as Compose's --env-file
    deployments: tuple[DeploymentSpec, ...] = ()
    known_hosts: tuple[str, ...] = ()
    python_module_map: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    rule_options: Mapping[str, Mapping[str, object]] = field(default_factory=lambda: EMPTY)  # code -> raw options (validated)
    limits: Limits = field(default_factory=Limits)
    use_environment: bool = False  # opt-in: interpolate from the linting machine's environment too
    inline_ignores: bool = True
    path_base: str | None = None  # `path-base`, relative to the project root; None: the repository root
    source: str | None = None  # the file the config came from
    # Nested configurations (issue 17): project-relative directory -> the configuration that governs
    # the findings whose file is below it (closest wins, as in ruff). Only SUBTREE_KEYS matter there.
    nested: Mapping[str, "Config"] = field(default_factory=lambda: EMPTY)
    # The root's .hadolint.yaml, read for migration (composelint/hadolint_config.py); its codes are
    # mapped onto rules by the engine (composelint/hadolint.py).
    hadolint: object = None

    def fingerprint(self) -> str:
        """What a cache must be invalidated by: every setting, as canonical JSON."""
        return json.dumps(_plain_setting(self), sort_keys=True, default=repr)


def find_config_file(root: Path) -> Path | None:
    for name in CONFIG_NAMES:
        candidate = root / name
        if candidate.is_file():
            return candidate
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            if b"[tool.composelint" in pyproject.read_bytes():
                return pyproject
        except OSError:
            return None
    return None


def nested_exclude(directory: str, patterns) -> tuple[str, ...]:
    """A nested configuration's `exclude` as project-relative patterns: a bare name (`vendor`, `*.bak`)
    matches at any depth below the directory, a path (`legacy/old.yml`) from the directory."""
    prefixed = []
    for pattern in patterns:
        prefixed.append(f"{directory}/{pattern}")
        if "/" not in pattern.rstrip("/"):
            prefixed.append(f"{directory}/*/{pattern}")
    return tuple(prefixed)


def _plain_setting(value: object) -> object:
    """A setting as JSON-ready data (``dataclasses.asdict`` cannot copy a MappingProxyType)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"@" + type(value).__name__: {item.name: _plain_setting(getattr(value, item.name))
                                             for item in dataclasses.fields(value)}}
    if isinstance(value, Mapping):
        return {"@map": [[_plain_setting(key), _plain_setting(item)] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_plain_setting(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return {"@set": sorted((_plain_setting(item) for item in value), key=repr)}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return [type(value).__name__, value]
    return repr(value)


def with_overrides(config: Config, **overrides) -> Config:
    """Command-line values over file values; None means "not given"."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return dataclasses.replace(config, **given) if given else config
