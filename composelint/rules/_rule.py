"""How a rule is declared: metadata, options, and what a check yields.

A rule is a module with one ``check(project, options)`` generator decorated
with :func:`rule`. The engine stamps code, name and configured severity on
what the check yields, so a rule cannot emit another rule's code.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator

from composelint.diagnostics import Fix, Related, ServiceRef, Severity, Span
from composelint.records import record

DOCS_BASE_URL = "https://github.com/composelint/composelint/blob/main/rules/"

FAMILIES = {
    "0": "input",
    "1": "deployment graph",
    "2": "start command",
    "3": "service configuration",
    "4": "image build",
}
# Families whose rules read services and deployments only: in a project without a compose file
# they are not even imported (a rule in these families must never look at a lone Dockerfile).
COMPOSE_ONLY_FAMILIES = frozenset("13")


@record(frozen=True, slots=True)
class Violation:
    span: Span
    message: str
    help: str | None = None
    related: tuple[Related, ...] = ()
    subject: str | None = None  # "service 'agent'", "stage 'builder'"
    severity: Severity | None = None  # only for rules whose catalogue entry is conditional
    anchor_text: str = ""  # offending text for fingerprints; defaults to the message
    sensitive: bool = False  # the text at `span` is a secret: reporters never show it
    # The services it concerns; None lets the engine work it out (composelint/concerns.py).
    services: tuple[ServiceRef, ...] | None = None
    # The finding is about `subject` + `anchor_text` (a stage without USER, a service without limits),
    # and `span` only shows where to look: baselines key on those alone, not on the text at `span`.
    keyed_on_anchor: bool = False
    # Edits that remove the finding (see CONTRIBUTING.md, "Adding a fix"); None when none is mechanical.
    fix: Fix | None = None


@record(frozen=True, slots=True)
class NoOptions:
    """A rule without options."""


@record(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    severity: Severity
    summary: str
    options: type  # a frozen dataclass; its fields are the rule's config keys (kebab-case in config)
    check: Callable[..., Iterator[Violation]]
    # The same check in other tools, "tool:CODE" (hadolint:DL3015, buildkit:JSONArgsRecommended):
    # `composelint rules --format json` lists them, and `# hadolint ignore=` maps through them.
    equivalents: tuple[str, ...] = ()
    # Called with the project before the rules of its process run: starts work that another program does
    # (CL416's ShellCheck), so that it overlaps the other rules instead of adding to them.
    prepare: Callable[..., None] | None = None

    @property
    def family(self) -> str:
        return FAMILIES.get(self.code[2:3], "other")

    @property
    def page(self) -> str:
        return f"{self.code}-{self.name}.md"

    @property
    def url(self) -> str:
        return DOCS_BASE_URL + self.page

    def option_names(self) -> dict[str, dataclasses.Field]:
        return {f.name.replace("_", "-"): f for f in dataclasses.fields(self.options)}


def rule(*, code: str, name: str, severity: str, summary: str, options: type = NoOptions,
         equivalents: tuple[str, ...] = (), prepare: Callable[..., None] | None = None):
    """Declare a rule; the decorated ``check`` gets a ``meta`` attribute."""

    def decorate(check):
        check.meta = RuleMeta(code=code, name=name, severity=Severity.parse(severity), summary=summary,
                              options=options, check=check, equivalents=tuple(equivalents), prepare=prepare)
        return check

    return decorate
