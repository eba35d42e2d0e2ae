from __future__ import annotations

import re
from dataclasses import replace

import pytest

from composelint.diagnostics import Diagnostic, Severity, Span
from composelint.reporters import render
from composelint.reporters.text import SNIPPET_WIDTH, summary

EXPECTED = """\
compose.yaml:4:21: CL201 [runtime-install] error: service 'agent' runs `pip install flask` every time it starts
  |
4 |     command: sh -c "pip install flask && python app.py"
  |                     ^^^^^^^^^^^^^^^^^
  |
  = note: my app/Dockerfile:3:1: the image's entrypoint is overridden here
  = help: install dependencies in the image (a RUN step in the Dockerfile) and start the app directly

compose.yaml:6:3: CL304 [missing-healthcheck] warning: service 'db' has no healthcheck, so `depends_on` waits only for it to start
  |
6 |   db:
  |   ^^^
  |
  = note: compose.yaml:5:18: 'agent' depends on 'db' here
  = note: ünïcode/compose.override.yml:2:3: 'db' is also defined here
  = help: add a `healthcheck:` and use `condition: service_healthy`

compose.yaml:7:12: CL310 [latest-tag] info: image `postgres:latest` uses the `latest` tag (suppressed)
  |
7 |     image: postgres:latest
  |            ^^^^^^^^^^^^^^^
  |
  = suppressed: inline: pinned by the platform team

my app/Dockerfile:2:23: CL405 [apt-cache] warning: `apt-get install` keeps /var/lib/apt/lists: 100% of it, 40 MB,\\nin the final layer
  |
2 | RUN apt-get update &&   apt-get install -y 漢字-tools
  |                         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = note: built by services 'agent' (compose.yaml:2) and 'worker' (ünïcode/compose.override.yml:4, target `final`)
  = help: add `&& rm -rf /var/lib/apt/lists/*` to the same RUN

ünïcode/compose.override.yml:1:1: CL999 [internal-error] error: rule CL207 crashed on this file: KeyError: 'x'
  |
1 | services:
  | ^

ünïcode/compose.override.yml:3:12: CL310 [latest-tag] info: image `postgres:latest` uses the `latest` tag (suppressed)
  |
3 |     image: postgres:latest
  |            ^^^^^^^^^^^^^^^
  |
  = suppressed: baseline .composelint-baseline

Found 4 problems: 2 errors, 2 warnings (2 suppressed).
"""


def _diagnostic(path: str, line: int, column: int, end_line: int | None = None, end_column: int | None = None,
                severity: Severity = Severity.WARNING, **fields) -> Diagnostic:
    return Diagnostic(code="CL304", name="missing-healthcheck", severity=severity, message=fields.pop("message", "m"),
                      span=Span.at(path, line, column, end_line, end_column), **fields)


def make_ctx(ctx, **changes):
    return replace(ctx, **changes)


def test_full_output_snapshot(diagnostics, ctx):
    assert render("text", diagnostics, ctx) == EXPECTED


def test_no_diagnostics_says_all_checks_passed(ctx):
    assert render("text", [], ctx) == "All checks passed.\n"


def test_colour_only_when_asked(diagnostics, ctx):
    plain = render("text", diagnostics, ctx)
    coloured = render("text", diagnostics, make_ctx(ctx, color=True))
    assert "\x1b[" not in plain
    assert "\x1b[1;31mCL201\x1b[0m" in coloured
    # Without the escape sequences the coloured output is the plain one.
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


@pytest.mark.parametrize("line, column, drawn, caret", [
    # tab to cell 4, "RUN echo " 9 cells, three wide characters 6 cells, a space, tab to cell 24
    ("\tRUN echo 日本語 \t|x", 16, "    RUN echo 日本語     |x", 24),
    # ASCII lines take a shortcut (one cell per character); a tab or a control character must not
    ("RUN\ta \x01 |x", 9, "RUN a \u2401 |x", 8),
])
def test_wide_characters_tabs_and_controls_keep_carets_under_their_text(ctx, line, column, drawn, caret):
    diagnostic = _diagnostic("Dockerfile", 1, column, 1, column + 1)  # the "|"
    out = render("text", [diagnostic], make_ctx(ctx, sources={"Dockerfile": line + "\n"})).splitlines()
    assert out[2] == "1 | " + drawn
    assert out[3] == "  | " + " " * caret + "^"


def test_combining_marks_take_no_cell(ctx):
    source = {"compose.yaml": "name: cafe\u0301 bar\n"}
    diagnostic = _diagnostic("compose.yaml", 1, 13, 1, 16)  # "bar"
    out = render("text", [diagnostic], make_ctx(ctx, sources=source)).splitlines()
    assert out[2] == "1 | name: cafe\u0301 bar"
    assert out[3] == "  | " + " " * 11 + "^^^"


def test_control_and_bidi_characters_are_not_sent_to_the_terminal(ctx):
    source = {"compose.yaml": "x: \x1b[2J\u202eevil\x7f\n"}
    diagnostic = _diagnostic("compose.yaml", 1, 4, 1, 8, message="bad \x1b]0;title\x07 value")
    out = render("text", [diagnostic], make_ctx(ctx, sources=source))
    assert "\x1b" not in out and "\u202e" not in out and "\x7f" not in out
    lines = out.splitlines()
    assert lines[0].endswith("warning: bad \\x1b]0;title\\x07 value")
    assert lines[2] == "1 | x: \u241b[2J\ufffdevil\u2421"
    assert lines[3] == "  |    ^^^^"


def test_crlf_source_lines(ctx):
    source = {"compose.yaml": "a: 1\r\nb: 2\r\n"}
    out = render("text", [_diagnostic("compose.yaml", 2, 1, 2, 2)], make_ctx(ctx, sources=source)).splitlines()
    assert out[2] == "2 | b: 2"


def test_span_at_end_of_line_and_empty_span_get_one_caret(ctx):
    source = {"compose.yaml": "key:\n"}
    at_end = render("text", [_diagnostic("compose.yaml", 1, 5)], make_ctx(ctx, sources=source)).splitlines()
    assert at_end[3] == "  |     ^"
    empty = render("text", [_diagnostic("compose.yaml", 1, 2, 1, 2)], make_ctx(ctx, sources=source)).splitlines()
    assert empty[3] == "  |  ^"


def test_multi_line_span_is_underlined_to_the_end_of_its_first_line(ctx):
    source = {"compose.yaml": "services:\n  web:\n    image: x\n"}
    out = render("text", [_diagnostic("compose.yaml", 2, 3, 4, 1)], make_ctx(ctx, sources=source)).splitlines()
    assert out[2:4] == ["2 |   web:", "  |   ^^^^"]


def test_long_line_is_cut_around_the_span(ctx):
    line = "x" * 500 + "TARGET" + "y" * 500
    diagnostic = _diagnostic("compose.yaml", 1, 501, 1, 507)
    out = render("text", [diagnostic], make_ctx(ctx, sources={"compose.yaml": line})).splitlines()
    shown = out[2][len("1 | "):]
    assert shown.startswith("…x") and shown.endswith("y…")
    assert len(shown) == SNIPPET_WIDTH + 2
    assert shown[out[3].index("^") - len("  | "):].startswith("TARGET")
    assert out[3].endswith("^^^^^^")


def test_gutter_widens_with_the_line_number(ctx):
    source = {"compose.yaml": "\n" * 99 + "image: x\n"}
    out = render("text", [_diagnostic("compose.yaml", 100, 8, 100, 9, help="pin it")], make_ctx(ctx, sources=source))
    assert out.splitlines()[1:6] == [
        "    |",
        "100 | image: x",
        "    |        ^",
        "    |",
        "    = help: pin it",
    ]


def test_missing_source_or_line_shows_header_and_notes_only(ctx):
    out = render("text", [_diagnostic("gone.yaml", 3, 1, help="h")], ctx).splitlines()
    assert out[:2] == ["gone.yaml:3:1: CL304 [missing-healthcheck] warning: m", "  = help: h"]
    past_end = render("text", [_diagnostic("compose.yaml", 99, 1)], ctx).splitlines()
    assert past_end[:2] == ["compose.yaml:99:1: CL304 [missing-healthcheck] warning: m", ""]


def test_summary_wording():
    def some(*severities, suppressed=0, baselined=0):
        items = [_diagnostic("a", 1, 1, severity=severity) for severity in severities]
        items += [_diagnostic("a", 1, 1, suppression="compose.yaml:3") for _ in range(suppressed)]
        items += [_diagnostic("a", 1, 1, suppression="baseline") for _ in range(baselined)]
        return items

    assert summary(some(Severity.ERROR)) == "Found 1 problem: 1 error."
    assert summary(some(Severity.INFO, Severity.INFO, Severity.WARNING)) == "Found 3 problems: 1 warning, 2 info."
    assert summary(some(suppressed=1)) == "All checks passed (1 suppressed)."
    assert summary(some(baselined=1)) == "All checks passed (1 baselined)."
    # Baselined findings that are not shown are counted all the same.
    assert summary(some(Severity.ERROR, suppressed=2, baselined=1), baselined=3) == \
        "Found 1 problem: 1 error (2 suppressed, 4 baselined)."
    assert summary([]) == "All checks passed."


def test_many_builders_are_listed_compactly_and_service_relations_not_at_all(ctx):
    from composelint.diagnostics import ServiceRef

    builders = tuple(ServiceRef(f"agent-{index}", Span.at("compose.yaml", 10 * index, 3), "compose.yaml", None, "build")
                     for index in range(1, 6))
    many = _diagnostic("my app/Dockerfile", 2, 1, services=builders)
    assert "= note: built by services 'agent-1' (compose.yaml:10), 'agent-2' (compose.yaml:20) and 3 more\n" in \
        render("text", [many], ctx)
    three = _diagnostic("my app/Dockerfile", 2, 1, services=builders[:3])
    assert ("= note: built by services 'agent-1' (compose.yaml:10), 'agent-2' (compose.yaml:20) and 'agent-3' "
            "(compose.yaml:30)\n") in render("text", [three], ctx)
    about = _diagnostic("compose.yaml", 2, 3, services=(replace(builders[0], relation="service"),))
    assert "built by" not in render("text", [about], ctx)
    for fmt in ("concise", "github", "gitlab"):  # one line per finding: no note there
        assert "agent-1" not in render(fmt, [many], ctx)
