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
    cl008_unresolved_file,
    cl101_undefined_service,
    cl102_undeployed_service,
    cl103_unresolved_host,
    cl104_dependency_cycle,
    cl105_unhealthy_dependency,
    cl106_undefined_resource,
    cl107_unordered_dependency,
    cl201_runtime_install,
    cl202_dev_reload,
    cl203_missing_entrypoint_file,
    cl204_command_not_found,
    cl205_missing_init,
    cl206_shell_form_command,
    cl301_missing_resource_limits,
    cl302_unbounded_restart,
    cl303_missing_healthcheck,
    cl304_unpinned_image,
    cl305_missing_build_context,
    cl306_privileged,
    cl307_plaintext_secret,
    cl308_port_conflict,
    cl309_duplicate_container_name,
    cl401_missing_workdir,
    cl402_pip_cache,
    cl403_unpinned_base_image,
    cl404_root_user,
    cl405_cache_busting_copy,
    cl406_copy_source_missing,
    cl407_missing_python_dependency,
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
    cl008_unresolved_file.check,
    cl101_undefined_service.check,
    cl102_undeployed_service.check,
    cl103_unresolved_host.check,
    cl104_dependency_cycle.check,
    cl105_unhealthy_dependency.check,
    cl106_undefined_resource.check,
    cl107_unordered_dependency.check,
    cl201_runtime_install.check,
    cl202_dev_reload.check,
    cl203_missing_entrypoint_file.check,
    cl204_command_not_found.check,
    cl205_missing_init.check,
    cl206_shell_form_command.check,
    cl301_missing_resource_limits.check,
    cl302_unbounded_restart.check,
    cl303_missing_healthcheck.check,
    cl304_unpinned_image.check,
    cl305_missing_build_context.check,
    cl306_privileged.check,
    cl307_plaintext_secret.check,
    cl308_port_conflict.check,
    cl309_duplicate_container_name.check,
    cl401_missing_workdir.check,
    cl402_pip_cache.check,
    cl403_unpinned_base_image.check,
    cl404_root_user.check,
    cl405_cache_busting_copy.check,
    cl406_copy_source_missing.check,
    cl407_missing_python_dependency.check,
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
