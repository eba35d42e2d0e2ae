"""Developer commands: ``python -m composelint.dev table``, ``schema``, ``record-inits`` and ``new-rule CODE name``.

``schema`` rewrites the published configuration schema (composelint/data/composelint.schema.json,
the file editors load through its URL in the repository) from the base schema and every rule's
options; a test fails when it is stale. ``record-inits`` rewrites composelint/record_inits.py, every
record's ``__init__`` compiled ahead (composelint/records.py; a test fails when it is stale).

``table`` rewrites the rule table in rules/README.md and the "Coming from hadolint" table in
README.md from the registry (a test fails when either is stale; ``hadolint-table`` rewrites only
the latter). ``new-rule`` creates the rule module and its page
from templates and registers the rule, so adding a rule starts from three
files that already pass the structure tests once filled in.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- rules-table:begin -->", "<!-- rules-table:end -->"


def rules_table() -> str:
    from composelint.rules import RULES

    lines = [BEGIN, "| code | name | severity | family | what it flags |", "|---|---|---|---|---|"]
    for meta in RULES.values():
        lines.append(f"| [{meta.code}]({meta.page}) | `{meta.name}` | {meta.severity.label} | {meta.family} | "
                     f"{_escape(meta.summary)} |")
    lines.append(END)
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


HADOLINT_BEGIN, HADOLINT_END = "<!-- hadolint-table:begin -->", "<!-- hadolint-table:end -->"


def hadolint_table() -> str:
    """README's "Coming from hadolint" table: each hadolint code some rule declares as its equivalent."""
    from composelint.hadolint import mapping
    from composelint.rules import OPT_IN, load

    lines = [HADOLINT_BEGIN, "| hadolint | composelint | default |", "|---|---|---|"]
    for foreign, codes in mapping().items():
        shown = f"`{foreign}`" if foreign.endswith("*") else \
            f"[{foreign}](https://github.com/hadolint/hadolint/wiki/{foreign})"
        rules = ", ".join(f"[{code} `{load(code).name}`](rules/{load(code).page})" for code in codes)
        defaults = ", ".join(load(code).severity.label + (" (off by default)" if code in OPT_IN else "")
                             for code in codes)
        lines.append(f"| {shown} | {rules} | {defaults} |")
    lines.append(HADOLINT_END)
    return "\n".join(lines)


def _replace_between(path: Path, begin: str, end: str, table: str) -> None:
    text = path.read_text(encoding="utf-8")
    if begin in text and end in text:
        text = text[:text.index(begin)] + table + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    path.write_text(text, encoding="utf-8")


def write_hadolint_table() -> None:
    _replace_between(REPO / "README.md", HADOLINT_BEGIN, HADOLINT_END, hadolint_table())


def write_table() -> None:
    readme = REPO / "rules" / "README.md"
    text = readme.read_text(encoding="utf-8") if readme.exists() else "# Rules\n\n"
    table = rules_table()
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + table + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + table + "\n"
    readme.write_text(text, encoding="utf-8")


MODULE_TEMPLATE = '''"""{summary}."""

from __future__ import annotations

from composelint.rules._rule import Violation, rule


@rule(code="{code}", name="{name}", severity="{severity}",
      summary="{summary}")
def check(project, options):
    for deployment, service in project.deployed_services():
        if False:  # replace with the condition
            yield Violation(service.name_span, f"service '{{service.name}}' …", help="…",
                            subject=f"service '{{service.name}}'")
'''

PAGE_TEMPLATE = """# {code} {name}

**Severity:** {severity} · **Family:** {family} · **Since:** 0.1.0 · **Options:** none

## What it does

## Why is this bad

## Example

```yaml file=compose.yaml
services:
  web:
    image: nginx:1.27
```

```text expect
```

## Use instead

```yaml file=compose.yaml
services:
  web:
    image: nginx:1.27
```

## Options

None.

## How to suppress

```yaml
# composelint: ignore[{code}] -- reason
```
"""


def new_rule(code: str, name: str, severity: str = "warning") -> None:
    from composelint.rules._rule import FAMILIES

    if not re.fullmatch(r"CL\d{3}", code) or not re.fullmatch(r"[a-z][a-z0-9-]*", name):
        sys.exit("usage: python -m composelint.dev new-rule CL123 kebab-name [severity]")
    module_name = f"{code.lower()}_{name.replace('-', '_')}"
    module = REPO / "composelint" / "rules" / f"{module_name}.py"
    page = REPO / "rules" / f"{code}-{name}.md"
    if module.exists() or page.exists():
        sys.exit(f"{module} or {page} exists already")
    summary = "TODO: one line"
    module.write_text(MODULE_TEMPLATE.format(code=code, name=name, severity=severity, summary=summary))
    page.write_text(PAGE_TEMPLATE.format(code=code, name=name, severity=severity,
                                         family=FAMILIES.get(code[2], "other")))
    registry = REPO / "composelint" / "rules" / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    listed = re.search(r"MODULES = \(\n(.*?)\)", text, re.DOTALL)
    names = sorted(set(re.findall(r'"(\w+)",', listed.group(1))) | {module_name})
    text = text.replace(listed.group(0), "MODULES = (\n" + "".join(f'    "{n}",\n' for n in names) + ")")
    registry.write_text(text, encoding="utf-8")
    print(f"created {module.relative_to(REPO)} and {page.relative_to(REPO)}; registered {code}")


SCHEMA_FILE = REPO / "composelint" / "data" / "composelint.schema.json"
SCHEMA_URL = "https://raw.githubusercontent.com/composelint/composelint/main/composelint/data/composelint.schema.json"


def schema_text() -> str:
    import json

    from composelint.config import config_schema

    schema = {**config_schema(), "$id": SCHEMA_URL}
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


RECORD_INITS = REPO / "composelint" / "record_inits.py"


def record_inits_text() -> str:
    """composelint/record_inits.py for the records of every module as they are now (composelint/records.py)."""
    sources, _ = record_init_sources()
    ordered = sorted(sources)
    lines = ['"""The ``__init__`` of every record, compiled ahead: generated by `python -m composelint.dev record-inits`',
             "from the records' fields (composelint/records.py), do not edit. A record whose fields changed since",
             'compiles its own, as without this module (a test fails while this one is stale)."""',
             "# fmt: off", "# flake8: noqa", "",
             "__MISSING = None  # the defaults are the class's own, given when records.py makes the function", ""]
    lines += [source.replace("def __init__(", f"def _{index}(", 1) for index, source in enumerate(ordered)]
    lines += ["", "", "AHEAD = {"]
    lines += [f"    {source!r}: _{index}," for index, source in enumerate(ordered)]
    lines += ["}"]
    return "\n".join(lines) + "\n"


def record_init_sources() -> tuple[set[str], list[str]]:
    """The :func:`~composelint.records.init_source` texts of the records of every module that imports here,
    and the modules that do not (the language server's, without the lsp extra)."""
    import importlib
    import pkgutil

    import composelint
    from composelint.records import init_source, is_record

    sources, skipped = set(), []
    for found in pkgutil.walk_packages(composelint.__path__, "composelint."):
        if found.name == "composelint.record_inits":
            continue
        try:
            module = importlib.import_module(found.name)
        except ImportError:
            skipped.append(found.name)
            continue
        sources.update(init_source(value) for value in vars(module).values()
                       if is_record(value) and value.__module__ == found.name)
    return sources, skipped


def main(argv: list[str]) -> None:
    if argv[:1] == ["table"]:  # both generated tables: a rule's equivalents show in the README's
        write_table()
        write_hadolint_table()
    elif argv[:1] == ["hadolint-table"]:
        write_hadolint_table()
    elif argv[:1] == ["schema"]:
        SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    elif argv[:1] == ["record-inits"]:
        RECORD_INITS.write_text(record_inits_text(), encoding="utf-8")
    elif argv[:1] == ["new-rule"] and len(argv) >= 3:
        new_rule(*argv[1:4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
