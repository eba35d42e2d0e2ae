from __future__ import annotations

import re

from composelint.diagnostics import Diagnostic, Severity, Span
from composelint.reporters import render

EXPECTED = """\
compose.yaml:4:21: CL201 error: service 'agent' runs `pip install flask` every time it starts
compose.yaml:6:3: CL304 warning: service 'db' has no healthcheck, so `depends_on` waits only for it to start
compose.yaml:7:12: CL310 info: image `postgres:latest` uses the `latest` tag (suppressed)
my app/Dockerfile:2:23: CL405 warning: `apt-get install` keeps /var/lib/apt/lists: 100% of it, 40 MB,\\nin the final layer
ünïcode/compose.override.yml:1:1: CL999 error: rule CL207 crashed on this file: KeyError: 'x'
ünïcode/compose.override.yml:3:12: CL310 info: image `postgres:latest` uses the `latest` tag (suppressed)
"""

# The shape the rule pages' `expect` blocks and the VS Code problem matcher parse.
PROBLEM_MATCHER = re.compile(r"^(.+):(\d+):(\d+): (CL\d{3}) (error|warning|info): (.*)$")


def test_snapshot(diagnostics, ctx):
    assert render("concise", diagnostics, ctx) == EXPECTED


def test_every_line_matches_the_problem_matcher(diagnostics, ctx):
    lines = render("concise", diagnostics, ctx).splitlines()
    assert len(lines) == len(diagnostics)
    for line, diagnostic in zip(lines, diagnostics):
        path, line_number, column, code, severity, _ = PROBLEM_MATCHER.match(line).groups()
        assert (path, int(line_number), int(column), code, severity) == (
            diagnostic.span.path, diagnostic.span.line, diagnostic.span.column, diagnostic.code,
            diagnostic.severity.label)


def test_a_newline_in_a_path_cannot_forge_a_line(ctx):
    diagnostic = Diagnostic("CL201", "runtime-install", Severity.ERROR, "m",
                            Span.at("evil\ncompose.yaml:1:1: CL001 error: fake", 1, 1))
    assert render("concise", [diagnostic], ctx) == "evil\\ncompose.yaml:1:1: CL001 error: fake:1:1: CL201 error: m\n"


def test_no_output_and_no_summary_when_clean(ctx):
    assert render("concise", [], ctx) == ""
