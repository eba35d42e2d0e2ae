"""Configuration: defaults < config file < command line, validated once.

The file is ``.composelint.yaml`` (or ``.yml``) at the project root, else
``[tool.composelint]`` in the root's ``pyproject.toml``, else the path given
with ``--config``. A bad key or value is a :class:`ConfigError` naming the key
path (and the line, for YAML); the CLI turns it into exit code 2. Loading checks rule codes, names and
options against the rule registry, so this module sits with the rules (tests/test_architecture.py).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from composelint.diagnostics import Severity
# The settings themselves are settings.py's, beneath assembly (which reads them); Config, ConfigError,
# find_config_file and with_overrides are re-exported here, where the commands, the server and the tests
# load a configuration.
from composelint.settings import (CONFIG_NAMES, Config, ConfigError, DeploymentSpec, Limits, find_config_file,
                                  nested_exclude, with_overrides)


# --------------------------------------------------------------------------- loading


def load_config(root: Path, explicit: Path | None = None, parsed=None) -> Config:
    """The configuration for a project rooted at ``root`` (no CLI overrides yet), with the root's
    hadolint configuration, if any, under it (the composelint one wins where both set something).

    ``parsed``: YAML configurations as parsed and checked before, by their text (the result cache's
    cache.ParsedConfigs: ``get(text)`` -> data or None, ``put(text, data)``), or None.
    """
    from composelint.hadolint_config import HadolintConfigError, merge

    try:
        return _load_config(root, explicit, merge, parsed)
    except HadolintConfigError as exc:
        raise ConfigError(str(exc)) from None


def _load_config(root: Path, explicit: Path | None, merge, parsed) -> Config:
    path = explicit if explicit is not None else find_config_file(root)
    if path is None:
        return merge(Config(), frozenset(), root)
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    display = _display(path, root)
    data, locate, origin = _read(path, display, parsed)
    if data is None:
        return merge(Config(source=display), frozenset(), root)
    config = config_from_data(data, display, locate, checked=origin is KEPT)
    _remember(parsed, origin, data)
    return merge(config, frozenset(data) if isinstance(data, dict) else frozenset(), root)


KEPT = object()  # _read's origin of data ``parsed`` kept, checked when it was kept


def _read(path: Path, display: str, parsed=None):
    """The data, its locator (for messages), and its origin: the YAML text parsed here, KEPT, or None
    (a TOML file, or no document)."""
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        return (*_load_toml(path, display), None)
    return _load_yaml(path, display, parsed)


def _remember(parsed, origin: object, data: object) -> None:
    """Keep the data of a YAML text that has just passed every check (config_from_data's: a pure
    function of the data and composelint's code), so that the same text needs no parse next time."""
    if parsed is not None and isinstance(origin, str):
        parsed.put(origin, data)


# What a nested configuration governs for the files below it: which findings are reported, at which
# severity, and which files are read. Everything else shapes the one cross-file model (deployments,
# interpolation, hosts, rule options, limits) or the run (fail-on, path-base), so it is the root
# configuration's alone.
SUBTREE_KEYS = frozenset(("select", "extend-select", "ignore", "severity", "per-file-ignores", "exclude", "root"))


def nested_config_dirs(all_files) -> list[str]:
    """Project-relative directories below the root that hold a configuration file, outermost first."""
    found = set()
    for relpath in all_files:
        directory, _, name = relpath.rpartition("/")
        if directory and (name in CONFIG_NAMES or name == "pyproject.toml"):
            found.add(directory)
    return sorted(found, key=lambda d: (d.count("/"), d))


def load_nested_config(root: Path, directory: str, parsed=None) -> "Config | None":
    """The configuration of ``directory`` (project-relative) below the root, or None when it has none
    (a pyproject.toml without [tool.composelint]). A project-wide key is a ConfigError."""
    path = find_config_file(root / directory)
    if path is None:
        return None
    display = _display(path, root)
    data, locate, origin = _read(path, display, parsed)
    if data is None:
        return Config(source=display)
    if isinstance(data, dict):
        for key in data:
            if key not in SUBTREE_KEYS:
                raise ConfigError(
                    f"{locate([key], True) or display}: `{key}` applies to the whole project, so a nested "
                    f"configuration cannot set it (one governs only {', '.join(sorted(SUBTREE_KEYS - {'root'}))} "
                    f"for the files below it): move it to the root configuration, or add `root: true` to "
                    f"lint {directory}/ as a project of its own")
    config = config_from_data(data, display, locate, checked=origin is KEPT)
    _remember(parsed, origin, data)
    return config


def with_nested(root: Path, config: Config, explicit: bool = False, parsed=None):
    """The root configuration with the nested ones below it, and the files of the project (one walk,
    two when a nested configuration excludes files).

    As ruff does, the closest configuration governs a file: a `.composelint.yaml` (or a pyproject
    with [tool.composelint]) below the root decides selection, severities, per-file ignores and
    exclusions for the files below it, whichever directory the run starts from. A directory whose
    configuration says `root: true` is a project of its own, left out here. An explicit --config
    governs every file (ruff's --config does the same).
    """
    from composelint.assembly.discovery import is_root_config, walk

    fileset = walk(root, config.exclude, config.limits.max_file_size)
    if explicit:
        return config, fileset
    nested, separate, exclude = {}, [], list(config.exclude)
    for directory in nested_config_dirs(fileset.all_files):
        if any(directory.startswith(other + "/") for other in separate):
            continue
        path = find_config_file(root / directory)
        if path is not None and is_root_config(path):
            separate.append(directory)
            exclude.append(directory)
            continue
        loaded = load_nested_config(root, directory, parsed)
        if loaded is None:
            continue
        nested[directory] = loaded
        exclude.extend(nested_exclude(directory, loaded.exclude))
    if len(exclude) > len(config.exclude):
        config = with_overrides(config, exclude=tuple(exclude))
        fileset = walk(root, config.exclude, config.limits.max_file_size)
        nested = {directory: loaded for directory, loaded in nested.items()
                  if f"{directory}/{find_config_file(root / directory).name}" in fileset.all_files}
    if nested:
        config = with_overrides(config, nested=MappingProxyType(nested))
    return config, fileset


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _load_toml(path: Path, display: str):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10
        import tomli as tomllib
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read configuration: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display}: invalid TOML: {exc}") from None
    tool = document.get("tool", {})
    section = tool.get("composelint") if isinstance(tool, dict) else None
    if path.name == "pyproject.toml":
        return section, (lambda _path, key=False: f"{display} [tool.composelint]")
    return (section if section is not None else document), (lambda _path, key=False: display)


def _load_yaml(path: Path, display: str, parsed=None):
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display}: cannot read configuration: {exc}") from None
    if _only_comments(text):
        # What the YAML parser makes of it, without importing it.
        return None, lambda key_path, key=False: display, None
    known = parsed.get(text) if parsed is not None else None
    if known is not None:
        located = []

        def where_kept(key_path, key: bool = False) -> str:
            # Only a check the kept data has not passed needs a location (a root configuration's
            # key in a nested one): then, and only then, the text is parsed for it.
            if not located:
                located.append(_parse_yaml(text, display)[1])
            return located[0](key_path, key)

        return known, where_kept, KEPT
    return (*_parse_yaml(text, display), text)


def _parse_yaml(text: str, display: str):
    from composelint.parsers.yaml_loader import load_yaml
    from composelint.yamltree import locate, plain

    document = load_yaml(text, display)
    if document.problems:
        problem = document.problems[0]
        raise ConfigError(f"{problem.span}: {problem.message}")
    root = document.root

    def where(key_path, key: bool = False) -> str:
        span = locate(root, key_path, key=key)
        return f"{display}:{span.line}:{span.column}" if span else display

    return plain(root), where


def _only_comments(text: str) -> bool:
    """Blank lines and ``#`` comments only (a root marker, as in the benchmarks): no document."""
    for line in text.split("\n"):
        line = line.rstrip("\r").lstrip(" ")
        if line and (line[0] != "#" or not line.isprintable()):
            return False
    return True


def _key_path(parts) -> str:
    from composelint.parsers.schema_messages import render_path

    return render_path(parts) or "(top level)"


def config_from_data(data: object, display: str, where=lambda _path, key=False: "", checked: bool = False) -> Config:
    """``checked``: the same data passed every check of this function before, with this code (see
    _remember): the schema need not be loaded again."""
    if not isinstance(data, dict):
        raise ConfigError(f"{display}: the configuration must be a mapping of keys, not {type(data).__name__}")
    if not checked:
        _validate_schema(data, display, where)
    from composelint.rules import resolve_codes, rule_by_key

    def codes(key: str) -> tuple[str, ...]:
        values = data.get(key, [])
        try:
            return resolve_codes(values)
        except ValueError as exc:
            index = next((i for i, v in enumerate(values) if str(v) in str(exc)), 0)
            raise ConfigError(f"{where([key, index]) or display}: `{key}[{index}]`: {exc}") from None

    severity = {}
    for code, level in (data.get("severity") or {}).items():
        meta = rule_by_key(code)
        if meta is None:
            raise ConfigError(f"{where(['severity', code], True) or display}: `severity.{code}`: no rule has that code or name")
        severity[meta.code] = Severity.parse(level)
    per_file = {}
    for glob, value in (data.get("per-file-ignores") or {}).items():
        try:
            per_file[glob] = resolve_codes(value)
        except ValueError as exc:
            raise ConfigError(f"{where(['per-file-ignores', glob]) or display}: `per-file-ignores.{glob}`: {exc}") from None
    rule_options = {}
    for key, options in (data.get("rules") or {}).items():
        meta = rule_by_key(key)
        if meta is None:
            raise ConfigError(f"{where(['rules', key], True) or display}: `rules.{key}`: no rule has that code or name")
        rule_options[meta.code] = MappingProxyType(dict(options))
        try:
            build_options(meta, options)
        except ConfigError as exc:
            raise ConfigError(f"{where(['rules', key]) or display}: `rules.{key}`: {exc}") from None
    module_map = data.get("python-module-map") or {}
    if module_map:
        # The top-level key is shorthand for CL407's `module-map` option, where the rule reads it.
        cl407 = dict(rule_options.get("CL407", {}))
        cl407["module-map"] = list(cl407.get("module-map", ())) + [f"{k}={v}" for k, v in module_map.items()]
        rule_options["CL407"] = MappingProxyType(cl407)
    limits_data = data.get("limits") or {}
    limits = Limits(**{name.replace("-", "_"): value for name, value in limits_data.items()})
    deployments = []
    for index, entry in enumerate(data.get("deployments") or []):
        origin = where(["deployments", index]) or display
        if isinstance(entry, list):
            deployments.append(DeploymentSpec(tuple(entry), origin=origin))
        else:
            env_file = entry.get("env-file") or ()
            deployments.append(DeploymentSpec(
                tuple(entry["files"]), tuple(entry.get("profiles") or ()),
                (env_file,) if isinstance(env_file, str) else tuple(env_file),
                entry.get("name"), entry.get("project-directory"), origin))
    env = {key: _env_text(value) for key, value in (data.get("env") or {}).items()}
    env_file = data.get("env-file") or ()
    return Config(
        select=codes("select") if "select" in data else ("CL",),
        extend_select=codes("extend-select"),
        ignore=codes("ignore"),
        severity=MappingProxyType(severity),
        fail_on=(None if data["fail-on"] == "never" else Severity.parse(data["fail-on"])) if "fail-on" in data
        else Severity.WARNING,
        exclude=tuple(data.get("exclude") or ()),
        per_file_ignores=MappingProxyType(per_file),
        env=MappingProxyType(env),
        env_files=(env_file,) if isinstance(env_file, str) else tuple(env_file),
        deployments=tuple(deployments),
        known_hosts=tuple(data.get("known-hosts") or ()),
        python_module_map=MappingProxyType(dict(data.get("python-module-map") or {})),
        rule_options=MappingProxyType(rule_options),
        limits=limits,
        path_base=data.get("path-base"),
        source=display,
    )


def _env_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def config_schema(rules=None) -> dict:
    """The whole configuration schema: the packaged base with every rule's options filled in.

    The published copy (composelint/data/composelint.schema.json, for editors) is this, written by
    ``python -m composelint.dev schema``; a test fails when it is stale. ``rules``: only these rules'
    options (RuleMeta), the others' keys then refused.
    """
    from composelint.datafiles import DATA_DIR

    with open(f"{DATA_DIR}/config-schema.json", encoding="utf-8") as stream:
        schema = json.load(stream)
    schema["properties"]["rules"] = rule_options_schema(rules)
    return schema


def _validate_schema(data: dict, display: str, where) -> None:
    from composelint.parsers.schema_precheck import surely_valid
    from composelint.rules import rule_by_key

    # The schema of every rule's options imports every rule (~30 ms, most of a cached re-run): the
    # fast check needs only the rules the file names. A key of another rule fails it, and the full
    # schema below then words the error.
    named = data.get("rules") if isinstance(data.get("rules"), dict) else {}
    metas = {meta.code: meta for meta in map(rule_by_key, named) if meta is not None}
    if surely_valid(data, config_schema(metas.values())):
        return  # decided without importing jsonschema (~75 ms); an invalid file is worded by jsonschema
    schema = config_schema()
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return
    error = errors[0]
    path = list(error.absolute_path)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if unknown:
            path = path + [unknown[0]]
            known = sorted(error.schema.get("properties", {}))
            from composelint.suggest import closest_name

            close = closest_name(unknown[0], known)
            if close:
                hint = f"; did you mean `{close}`?"
            elif len(known) <= 12:
                hint = f"; known keys: {', '.join(known) or 'none'}"
            else:
                hint = " (see `composelint rules` for codes and names)" if path[:1] == ["rules"] else ""
            raise ConfigError(f"{where(path, True) or display}: unknown key `{_key_path(path)}`{hint}")
    message = error.message
    if error.validator == "enum":
        message = f"{error.instance!r} is not one of {', '.join(map(str, error.validator_value))}"
    elif error.validator == "oneOf":
        message = f"{json.dumps(error.instance)[:80]} is not a valid entry (see the documentation of `{path[0]}`)"
    raise ConfigError(f"{where(path) or display}: `{_key_path(path)}`: {message}")


# --------------------------------------------------------------------------- rule options


def _option_schema(default: object) -> dict:
    if isinstance(default, bool):
        return {"type": "boolean"}
    if isinstance(default, int):
        return {"type": "integer"}
    if isinstance(default, str):
        return {"type": "string"}
    if isinstance(default, tuple):
        return {"type": "array", "items": {"type": "string"}}
    return {}


def rule_options_schema(rules=None) -> dict:
    """The `rules` section of the config schema, generated from each rule's Options dataclass (of
    ``rules``, RuleMeta; by default every rule)."""
    if rules is None:
        from composelint.rules import RULES

        rules = RULES.values()
    properties = {}
    for meta in rules:
        options = {}
        for name, field_ in meta.option_names().items():
            default = field_.default if field_.default is not dataclasses.MISSING else field_.default_factory()
            options[name] = _option_schema(default)
        entry = {"type": "object", "additionalProperties": False, "properties": options,
                 "description": f"options of {meta.code} {meta.name}"}
        properties[meta.code] = entry
        properties[meta.name] = entry
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "description": "Rule options by code or name: {CL301: {require: [memory]}}"}


def build_options(meta, raw: Mapping[str, object] | None):
    """The rule's Options dataclass from raw config values, type-checked against the defaults."""
    fields = meta.option_names()
    values = {}
    for key, value in (raw or {}).items():
        name = str(key)
        field_ = fields.get(name) or fields.get(name.replace("_", "-"))
        if field_ is None:
            known = ", ".join(sorted(fields)) or "none"
            raise ConfigError(f"unknown option `{name}` (options of {meta.code}: {known})")
        default = field_.default if field_.default is not dataclasses.MISSING else field_.default_factory()
        values[field_.name] = _coerce(name, value, default)
    return meta.options(**values)


def _coerce(name: str, value: object, default: object) -> object:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"option `{name}` must be true or false, not {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"option `{name}` must be an integer, not {value!r}")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"option `{name}` must be a string, not {value!r}")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ConfigError(f"option `{name}` must be a list of strings, not {value!r}")
        return tuple(value)
    return value

