"""The rule registry: one module per rule, named after its code and name, imported only when it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from composelint.assembly.project import build_project
from composelint.config import load_config
from composelint.rules import CODES, MODULES, PREPARED, RuleCatalog, compose_only, load, resolve_codes, rule_by_key

from helpers import FIXTURES, REPO


def test_every_rule_module_is_registered_in_code_order():
    on_disk = sorted(path.stem for path in (REPO / "composelint" / "rules").glob("cl[0-9][0-9][0-9]_*.py"))
    assert list(MODULES) == on_disk
    assert list(CODES) == sorted(CODES)


@pytest.mark.parametrize("code", list(CODES))
def test_a_module_declares_the_code_and_name_it_is_named_after(code):
    meta = load(code)
    assert (meta.code, meta.name) == (code, CODES[code][6:].replace("_", "-"))
    assert rule_by_key(meta.name) is meta and rule_by_key(code.lower()) is meta
    assert resolve_codes([meta.name]) == (code,)


def test_the_rules_listed_as_prepared_are_those_that_declare_prepare():
    assert PREPARED == {code for code in CODES if load(code).prepare is not None}


def test_the_catalog_is_a_mapping_of_the_selected_rules():
    catalog = RuleCatalog(["CL101", "CL401"])
    assert list(catalog) == ["CL101", "CL401"] and len(catalog) == 2
    assert catalog["CL401"].name == "missing-workdir"
    assert catalog.get("CL301") is None  # not selected


def _compose_free_trees() -> list[Path]:
    """Every fixture directory with a Dockerfile somewhere below it and no compose file anywhere below it."""
    found = []
    for directory in sorted(path for path in FIXTURES.rglob("*") if path.is_dir()):
        names = [path.name for path in directory.rglob("*") if path.is_file()]
        if any("Dockerfile" in name for name in names) and not any(
                "compose" in name and name.endswith((".yml", ".yaml")) for name in names):
            found.append(directory)
    return found


COMPOSE_FREE = _compose_free_trees()


def test_there_are_compose_free_fixtures_to_check():
    assert len(COMPOSE_FREE) >= 20


@pytest.mark.parametrize("root", COMPOSE_FREE, ids=[str(p.relative_to(FIXTURES)) for p in COMPOSE_FREE])
def test_compose_only_rules_find_nothing_without_a_compose_file(root):
    """Why the engine may skip (and not even import) families 1 and 3 for such a project."""
    project = build_project(root, load_config(root))
    assert not project.compose_files and project.dockerfiles
    for code in CODES:
        if compose_only(code):
            meta = load(code)
            assert list(meta.check(project, meta.options())) == [], code


def test_an_opt_in_rule_runs_only_when_named_exactly(monkeypatch):
    import composelint.rules as registry

    monkeypatch.setattr(registry, "OPT_IN", frozenset({"CL404"}))
    assert "CL404" not in registry.selected_codes(("CL",))
    assert "CL404" not in registry.selected_codes(("CL4",))
    assert "CL403" in registry.selected_codes(("CL4",))
    assert "CL404" in registry.selected_codes(("CL",), extend_select=resolve_codes(["root-user"]))
    assert "CL404" in registry.selected_codes(("CL404",))
    assert "CL404" not in registry.selected_codes(("CL",), ("CL404",), ignore=("CL404",))


@pytest.mark.parametrize("code", list(CODES))
def test_equivalents_name_a_tool_and_its_code(code):
    for equivalent in load(code).equivalents:
        tool, _, other = equivalent.partition(":")
        assert tool in ("hadolint", "buildkit", "dclint", "shellcheck") and other, equivalent


@pytest.mark.parametrize("code", [code for code in CODES if load(code).equivalents])
def test_a_rule_with_equivalents_names_each_on_its_page(code):
    # The README's "Coming from hadolint" table sends readers to the page: it must say where the rule differs.
    page = next((REPO / "rules").glob(f"{code}-*.md")).read_text(encoding="utf-8")
    assert "\n## Equivalents\n" in page, f"{code}'s page has no Equivalents section"
    section = page.split("\n## Equivalents\n", 1)[1].split("\n## ", 1)[0]
    for equivalent in load(code).equivalents:
        assert equivalent.partition(":")[2].rstrip("*") in section, (code, equivalent)


def test_rules_json_lists_equivalents_and_whether_a_rule_is_on_by_default():
    import json

    from click.testing import CliRunner

    from composelint.cli import cli

    listed = {entry["code"]: entry for entry in json.loads(CliRunner().invoke(cli, ["rules", "--format", "json"]).output)}
    assert listed["CL402"]["equivalents"] == ["hadolint:DL3042"] and listed["CL402"]["default"] is True
