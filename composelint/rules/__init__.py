"""The registry: the one list of rules, in code order.

To add a rule, add its module's name to MODULES (see CONTRIBUTING.md). Selection uses
prefixes: ``CL3`` is a family, ``CL`` is everything; where select and ignore both match, the
longer prefix wins.
"""

from __future__ import annotations

from typing import Iterator, Mapping

from composelint.rules._rule import COMPOSE_ONLY_FAMILIES, RuleMeta

# One rule, one module, named after the rule's code and name (``cl401_missing_workdir`` is CL401
# missing-workdir), in code order. Modules are imported when their rule runs, not before: a lone
# Dockerfile never pays for the graph and service rules (see README, Performance).
MODULES = (
    "cl001_yaml_syntax",
    "cl002_compose_schema",
    "cl003_dockerfile_syntax",
    "cl004_duplicate_key",
    "cl005_interpolation",
    "cl006_unreadable_file",
    "cl007_input_limit",
    "cl008_unresolved_file",
    "cl009_unused_suppression",
    "cl010_obsolete_version",
    "cl101_undefined_service",
    "cl102_undeployed_service",
    "cl103_unresolved_host",
    "cl104_dependency_cycle",
    "cl105_unhealthy_dependency",
    "cl106_undefined_resource",
    "cl107_unordered_dependency",
    "cl201_runtime_install",
    "cl202_dev_reload",
    "cl203_missing_entrypoint_file",
    "cl204_command_not_found",
    "cl205_missing_init",
    "cl206_shell_form_command",
    "cl207_volume_over_code",
    "cl208_missing_bind_source",
    "cl301_missing_resource_limits",
    "cl302_unbounded_restart",
    "cl303_missing_healthcheck",
    "cl304_unpinned_image",
    "cl305_missing_build_context",
    "cl306_privileged",
    "cl307_plaintext_secret",
    "cl308_port_conflict",
    "cl309_duplicate_container_name",
    "cl401_missing_workdir",
    "cl402_pip_cache",
    "cl403_unpinned_base_image",
    "cl404_root_user",
    "cl405_cache_busting_copy",
    "cl406_copy_source_missing",
    "cl407_missing_python_dependency",
    "cl408_copy_from_unknown_stage",
    "cl409_install_without_yes",
    "cl410_repeated_start_instruction",
    "cl411_copy_sources_to_file",
    "cl412_invalid_expose",
    "cl413_undefined_arg_in_from",
    "cl414_env_self_reference",
    "cl415_pipe_without_pipefail",
    "cl416_shellcheck",
    "cl417_sudo_in_run",
    "cl418_secret_in_build_arg",
    "cl419_add_local_file",
    "cl420_apt_lists_kept",
    "cl421_apt_install_recommends",
    "cl422_apk_cache",
    "cl423_package_manager_cache",
    "cl424_copy_whole_filesystem",
    "cl425_cd_in_run",
    "cl426_unpinned_apt_package",
    "cl427_unpinned_apk_package",
    "cl428_unpinned_pip_package",
    "cl429_unpinned_npm_package",
    "cl430_instruction_casing",
    "cl431_legacy_env_format",
    "cl432_maintainer_instruction",
    "cl433_consecutive_run",
    "cl434_non_numeric_user",
    "cl435_untrusted_registry",
)

# Rules off by default (as hadolint's and ruff's opinionated checks are for many users): only their exact
# code or name in `select` or `extend-select` turns them on; a prefix (`CL4`, `CL`, `ALL`) does not.
# Listed here, not in the rule, so that selecting needs no import.
OPT_IN: frozenset[str] = frozenset(("CL426", "CL427", "CL428", "CL429", "CL433", "CL434", "CL435"))

# Rules whose RuleMeta.prepare starts another program (CL416's ShellCheck). The engine prepares them before
# importing the other rules, and keeps them in the main process when it forks (engine.FORKED_FAMILIES): the
# program then starts at once and works on the core that the main process leaves idle while it waits for the
# forked group. Listed here, not in the rule, so that the engine knows without importing every rule (a test
# checks that the list and the rules' ``prepare`` agree).
PREPARED: frozenset[str] = frozenset(("CL416",))

# Rules whose findings are a function of the Dockerfile models alone (each one's text with it: the parse cache
# keeps a model while its text is the same) and of their options: no service, build, context or other file. The
# engine reuses a run's findings of these while every Dockerfile is the same object (engine._run_rule), as a
# language server's run after an edit that parses no Dockerfile. A rule reading anything else (compose `target:`,
# build args, a context's files, what ships) must not be listed.
DOCKERFILE_ALONE: frozenset[str] = frozenset((
    "CL403", "CL405", "CL409", "CL410", "CL412", "CL414", "CL415", "CL417", "CL418", "CL419", "CL424", "CL425",
    "CL430", "CL431", "CL432"))
# Rules whose findings are a function of the Dockerfile models (as above) and of which of their stages ship
# (analysis.python.builds.shipped_stages: the final stage, a compose `target:`, and what they are built FROM):
# reused while both are the same.
DOCKERFILE_AND_SHIPPED: frozenset[str] = frozenset(("CL402", "CL420", "CL421", "CL422", "CL423"))

CODES: dict[str, str] = {module[:5].upper(): module for module in MODULES}  # code -> module
_BY_NAME: dict[str, str] = {module[6:].replace("_", "-"): module[:5].upper() for module in MODULES}


def load(code: str) -> RuleMeta:
    """The metadata (and check) of a rule, importing its module on first use."""
    # __import__, not importlib.import_module: ``python -X importtime`` reports only the former,
    # and the import-budget test reads that report.
    meta = __import__(f"{__name__}.{CODES[code]}", fromlist=("check",)).check.meta
    if meta.code != code:
        raise RuntimeError(f"{CODES[code]} declares {meta.code}; a rule's module is named after its code")
    return meta


def compose_only(code: str) -> bool:
    """Whether the rule reads only compose files: with none in the project it cannot find anything."""
    return code[2:3] in COMPOSE_ONLY_FAMILIES


class RuleCatalog(Mapping[str, RuleMeta]):
    """Rules by code, each module imported when its metadata is first asked for."""

    def __init__(self, codes) -> None:
        self._codes = tuple(codes)

    def __getitem__(self, code: str) -> RuleMeta:
        if code not in self._codes:
            raise KeyError(code)
        return load(code)

    def __contains__(self, code: object) -> bool:  # without importing the rule
        return code in self._codes

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


def __getattr__(name: str):
    if name == "RULES":  # every rule, loaded: for listings and docs, never on the lint path
        return {code: load(code) for code in CODES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def rule_by_key(key: str) -> RuleMeta | None:
    """A rule by exact code (CL301) or name (missing-resource-limits)."""
    key = str(key).strip()
    code = key.upper() if key.upper() in CODES else _BY_NAME.get(key.lower())
    return load(code) if code is not None else None


def resolve_codes(values) -> tuple[str, ...]:
    """Validate selectors: codes, code prefixes, or rule names (turned into codes)."""
    resolved = []
    for value in values:
        text = str(value).strip()
        code = _BY_NAME.get(text.lower())
        if code is not None:
            resolved.append(code)
            continue
        prefix = text.upper()
        if prefix == "ALL":
            resolved.append("CL")
            continue
        if not prefix.startswith("CL") or not any(code.startswith(prefix) for code in CODES):
            raise ValueError(f"`{text}` is not a rule code, code prefix or rule name")
        resolved.append(prefix)
    return tuple(resolved)


def _longest(code: str, prefixes) -> int:
    return max((len(prefix) for prefix in prefixes if code.startswith(prefix)), default=-1)


def selected_codes(select, extend_select=(), ignore=()) -> list[str]:
    chosen = []
    selectors = tuple(select) + tuple(extend_select)
    for code in CODES:
        if code in OPT_IN and code not in selectors:
            continue
        picked = _longest(code, selectors)
        dropped = _longest(code, ignore)
        if picked >= 0 and picked > dropped:
            chosen.append(code)
    return chosen


def code_matches(code: str, name: str, selectors) -> bool:
    """Whether a suppression or per-file-ignore list covers a diagnostic."""
    for selector in selectors:
        if selector == name or code.startswith(selector.upper()):
            return True
    return False
