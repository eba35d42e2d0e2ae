"""Hand-built diagnostics covering what reporters must get right.

Several files, a path with a space, a non-ASCII path, a multi-line span,
related locations, help, every severity, suppressions (inline and baseline),
a code outside the enabled rules, and a message with newline, percent, colon
and comma.
"""

from __future__ import annotations

import pytest

from composelint.diagnostics import Diagnostic, Related, ServiceRef, Severity, Span
from composelint.reporters import RenderContext
from composelint.rules._rule import NoOptions, RuleMeta

PROJECT_ROOT = "/srv/fleet repo/ünï"


def _no_check(project, options):
    yield from ()


def _meta(code: str, name: str, severity: Severity, summary: str) -> RuleMeta:
    return RuleMeta(code=code, name=name, severity=severity, summary=summary, options=NoOptions,
                    check=_no_check)


RULES = {
    meta.code: meta
    for meta in (
        _meta("CL201", "runtime-install", Severity.ERROR, "start command installs packages at run time"),
        _meta("CL304", "missing-healthcheck", Severity.WARNING, "a depended-on service has no healthcheck"),
        _meta("CL310", "latest-tag", Severity.INFO, "image uses the `latest` tag"),
        _meta("CL405", "apt-cache", Severity.WARNING, "apt lists are kept in the image"),
    )
}

SOURCES = {
    "compose.yaml": (
        "services:\n"
        "  agent:\n"
        "    build: ./my app\n"
        '    command: sh -c "pip install flask && python app.py"\n'
        "    depends_on: [db]\n"
        "  db:\n"
        "    image: postgres:latest\n"
    ),
    "my app/Dockerfile": (
        "FROM python:3.12\n"
        "RUN apt-get update &&\tapt-get install -y 漢字-tools\n"
        'ENTRYPOINT ["python", "app.py"]\n'
    ),
    "ünïcode/compose.override.yml": "services:\n  db:\n    image: postgres:latest\n",
}


def make_diagnostics() -> list[Diagnostic]:
    """Sorted as the engine sorts them (Diagnostic.sort_key)."""
    diagnostics = [
        Diagnostic(
            code="CL201", name="runtime-install", severity=Severity.ERROR,
            message="service 'agent' runs `pip install flask` every time it starts",
            span=Span.at("compose.yaml", 4, 21, 4, 38),
            help="install dependencies in the image (a RUN step in the Dockerfile) and start the app directly",
            related=(Related(Span.at("my app/Dockerfile", 3, 1, 3, 32), "the image's entrypoint is overridden here"),),
            subject="service 'agent'",
            anchor_text="pip install flask",
            services=(ServiceRef("agent", Span.at("compose.yaml", 2, 3, 2, 8), "compose.yaml"),),
        ),
        Diagnostic(
            code="CL304", name="missing-healthcheck", severity=Severity.WARNING,
            message="service 'db' has no healthcheck, so `depends_on` waits only for it to start",
            span=Span.at("compose.yaml", 6, 3, 8, 1),
            help="add a `healthcheck:` and use `condition: service_healthy`",
            related=(
                Related(Span.at("compose.yaml", 5, 18, 5, 20), "'agent' depends on 'db' here"),
                Related(Span.at("ünïcode/compose.override.yml", 2, 3, 2, 5), "'db' is also defined here"),
            ),
            subject="service 'db'",
        ),
        Diagnostic(
            code="CL310", name="latest-tag", severity=Severity.INFO,
            message="image `postgres:latest` uses the `latest` tag",
            span=Span.at("compose.yaml", 7, 12, 7, 27),
            subject="service 'db'",
            suppression="inline: pinned by the platform team",
        ),
        Diagnostic(
            code="CL405", name="apt-cache", severity=Severity.WARNING,
            message="`apt-get install` keeps /var/lib/apt/lists: 100% of it, 40 MB,\nin the final layer",
            span=Span.at("my app/Dockerfile", 2, 23, 2, 50),
            help="add `&& rm -rf /var/lib/apt/lists/*` to the same RUN",
            # One service built by two deployments, and one of a file no deployment runs.
            services=(ServiceRef("agent", Span.at("compose.yaml", 2, 3, 2, 8), "compose.yaml", None, "build"),
                      ServiceRef("agent", Span.at("compose.yaml", 2, 3, 2, 8), "prod", None, "build"),
                      ServiceRef("worker", Span.at("ünïcode/compose.override.yml", 4, 3, 4, 9), None, "final",
                                 "build")),
        ),
        Diagnostic(
            code="CL999", name="internal-error", severity=Severity.ERROR,
            message="rule CL207 crashed on this file: KeyError: 'x'",
            span=Span.at("ünïcode/compose.override.yml", 1, 1),
        ),
        Diagnostic(
            code="CL310", name="latest-tag", severity=Severity.INFO,
            message="image `postgres:latest` uses the `latest` tag",
            span=Span.at("ünïcode/compose.override.yml", 3, 12, 3, 27),
            subject="service 'db'",
            suppression="baseline .composelint-baseline",
        ),
    ]
    return sorted(diagnostics, key=Diagnostic.sort_key)


def make_context(**changes) -> RenderContext:
    values = dict(rules=RULES, sources=SOURCES, root=PROJECT_ROOT, version="0.1.0", show_suppressed=True)
    values.update(changes)
    return RenderContext(**values)


@pytest.fixture
def diagnostics() -> list[Diagnostic]:
    return make_diagnostics()


@pytest.fixture
def ctx() -> RenderContext:
    return make_context()
