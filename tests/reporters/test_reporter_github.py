from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from composelint.diagnostics import Diagnostic, Severity, Span
from composelint.reporters import render
from composelint.reporters.github import escape_data, escape_property

EXPECTED = """\
::error file=compose.yaml,line=4,col=21,endLine=4,endColumn=37,title=CL201 [runtime-install]::service 'agent' runs `pip install flask` every time it starts%0Ahelp: install dependencies in the image (a RUN step in the Dockerfile) and start the app directly
::warning file=compose.yaml,line=6,endLine=7,title=CL304 [missing-healthcheck]::service 'db' has no healthcheck, so `depends_on` waits only for it to start%0Ahelp: add a `healthcheck:` and use `condition: service_healthy`
::notice file=compose.yaml,line=7,col=12,endLine=7,endColumn=26,title=CL310 [latest-tag] (suppressed%3A inline%3A pinned by the platform team)::image `postgres:latest` uses the `latest` tag
::warning file=my app/Dockerfile,line=2,col=23,endLine=2,endColumn=49,title=CL405 [apt-cache]::`apt-get install` keeps /var/lib/apt/lists: 100%25 of it, 40 MB,%0Ain the final layer%0Ahelp: add `&& rm -rf /var/lib/apt/lists/*` to the same RUN
::error file=ünïcode/compose.override.yml,line=1,col=1,endLine=1,endColumn=1,title=CL999 [internal-error]::rule CL207 crashed on this file: KeyError: 'x'
::notice file=ünïcode/compose.override.yml,line=3,col=12,endLine=3,endColumn=26,title=CL310 [latest-tag] (suppressed%3A baseline .composelint-baseline)::image `postgres:latest` uses the `latest` tag
"""


def _unescape_data(text: str) -> str:
    # The runner's ActionCommand.cs order: %25 last, so "%250A" stays "%0A".
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Read a workflow command the way the Actions runner does."""
    assert line.startswith("::")
    head, message = line[2:].split("::", 1)
    name, _, rendered = head.partition(" ")
    properties = {}
    for pair in rendered.split(","):
        key, _, value = pair.partition("=")
        properties[key] = _unescape_property(value)
    return name, properties, _unescape_data(message)


def test_snapshot(diagnostics, ctx):
    assert render("github", diagnostics, ctx) == EXPECTED


def test_commands_parse_back_to_the_diagnostics(diagnostics, ctx):
    lines = render("github", diagnostics, ctx).splitlines()
    assert len(lines) == len(diagnostics)
    for line, diagnostic in zip(lines, diagnostics):
        name, properties, message = parse_command(line)
        assert properties["file"] == diagnostic.span.path
        assert int(properties["line"]) == diagnostic.span.line
        assert properties["title"].startswith(f"{diagnostic.code} [{diagnostic.name}]")
        assert message.split("\nhelp: ")[0] == diagnostic.message
    apt = parse_command(lines[3])
    assert apt[0] == "warning"
    assert apt[2] == ("`apt-get install` keeps /var/lib/apt/lists: 100% of it, 40 MB,\nin the final layer\n"
                      "help: add `&& rm -rf /var/lib/apt/lists/*` to the same RUN")


def test_hostile_path_and_message_round_trip(ctx):
    path = "we,ird:dir/100%0A/x\r\n.yml"
    message = "a::b, c:d %0A 100%\r\nnext ::error file=x::forged"
    diagnostic = Diagnostic("CL201", "runtime-install", Severity.INFO, message, Span.at(path, 2, 3, 2, 9))
    out = render("github", [diagnostic], ctx)
    assert out.count("\n") == 1  # one command, nothing forged
    name, properties, parsed_message = parse_command(out.rstrip("\n"))
    assert name == "notice"
    assert properties == {"file": path, "line": "2", "col": "3", "endLine": "2", "endColumn": "8",
                          "title": "CL201 [runtime-install]"}
    assert parsed_message == message


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_escaping_round_trips(text):
    assert _unescape_data(escape_data(text)) == text
    assert _unescape_property(escape_property(text)) == text
    assert not {"\r", "\n"} & set(escape_data(text))
    assert not {"\r", "\n", ",", ":"} & set(escape_property(text))


def test_empty(ctx):
    assert render("github", [], ctx) == ""
