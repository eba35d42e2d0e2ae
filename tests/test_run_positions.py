"""Positions of the words and commands of Dockerfile RUN / CMD / ENTRYPOINT instructions.

Each case is a Dockerfile and, for every command it runs, the text each word is written as in the file
(quotes, escapes and line continuations included). The test reads the file text each computed span
covers and compares: a span that ends inside another word, points at an earlier occurrence of the same
word or falls back to the whole instruction fails. Spans must also come in file order and not overlap,
so a repeated word (`pip install pip`) cannot point at its first occurrence.
"""

from __future__ import annotations

import pytest
from helpers import write_tree
from hypothesis import given, settings
from hypothesis import strategies as st

from composelint.analysis.commands.maps import argument_map, heredoc_map, json_strings
from composelint.analysis.commands.start import start_analysis
from composelint.analysis.python.commands import run_commands
from composelint.analysis.python.installers import install_command
from composelint.assembly.project import build_project
from composelint.config import Config
from composelint.diagnostics import Span
from composelint.parsers.dockerfile import parse_dockerfile, stage_environment

H = "EO" + "F"  # heredoc terminator, kept out of the source so shells never see it


def written(text: str, span: Span) -> str:
    """The file text ``span`` covers (lines joined with a newline)."""
    lines = text.split("\n")
    assert span.end is not None, span
    (line, column), (end_line, end_column) = (span.start.line, span.start.column), (span.end.line, span.end.column)
    if line == end_line:
        return lines[line - 1][column - 1:end_column - 1]
    return "\n".join([lines[line - 1][column - 1:], *lines[line:end_line - 1], lines[end_line - 1][:end_column - 1]])


def run_words(text: str) -> list[list[tuple[str, Span]]]:
    """Every command of every RUN of ``text``: (file text, span) of each word."""
    dockerfile = parse_dockerfile(text, "Dockerfile")
    found = []
    for stage in dockerfile.stages:
        env = stage_environment(dockerfile, stage)
        for instruction in stage.instructions:
            for command in run_commands(dockerfile, instruction, env):
                spans = [word.span for word in command.words]
                assert all(span is not None for span in spans), command.argv
                found.append([(written(text, span), span) for span in spans])
                # The command's span runs from its first word to its last.
                whole = command.span(0, len(command.words) - 1)
                assert (whole.start, whole.end) == (spans[0].start, spans[-1].end)
    return found


CASES = [
    ("repeated word", "FROM python:3.12\nRUN pip install pip\n", [["pip", "install", "pip"]]),
    ("word inside an earlier word", "FROM python:3.12\nRUN pip install a\n", [["pip", "install", "a"]]),
    ("word named like the program", "FROM python:3.12\nRUN cd /install && pip install install\n",
     [["cd", "/install"], ["pip", "install", "install"]]),
    ("&& chain", "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc && pip install -r r.txt\n",
     [["apt-get", "update"], ["apt-get", "install", "-y", "gcc"], ["pip", "install", "-r", "r.txt"]]),
    ("continuation lines",
     "FROM python:3.12\nRUN pip install \\\n      --no-cache-dir \\\n      -r requirements.txt\n",
     [["pip", "install", "--no-cache-dir", "-r", "requirements.txt"]]),
    ("comment and blank lines inside a continuation",
     "FROM python:3.12\nRUN apt-get update \\\n    # refresh the index\n\t\n    && pip install x\n",
     [["apt-get", "update"], ["pip", "install", "x"]]),
    ("blanks after the backslash", "FROM python:3.12\nRUN pip install \\   \n    x\n", [["pip", "install", "x"]]),
    ("a word split by a continuation", "FROM python:3.12\nRUN pip ins\\\ntall x\n", [["pip", "ins\\\ntall", "x"]]),
    ("--mount flag", "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip pip install pip\n",
     [["pip", "install", "pip"]]),
    ("flags on their own lines",
     "FROM python:3.12\nRUN --mount=type=cache,target=/pip \\\n    --mount=type=bind,source=r.txt,target=/r.txt \\\n"
     "    pip install -r /r.txt\n", [["pip", "install", "-r", "/r.txt"]]),
    ("indented lower-case keyword", "FROM python:3.12\n    run pip install x\n", [["pip", "install", "x"]]),
    ("tabs", "FROM python:3.12\nRUN\tpip\tinstall\t\tx\n", [["pip", "install", "x"]]),
    ("unicode", "FROM python:3.12\nRUN echo \"héllo 😀 wörld\" && pip install naïve\n",
     [["echo", "\"héllo 😀 wörld\""], ["pip", "install", "naïve"]]),
    ("quotes", "FROM python:3.12\nRUN pip install 'a b' \"c\" d\\ e\n", [["pip", "install", "'a b'", '"c"', "d\\ e"]]),
    ("ARG expansion", "FROM python:3.12\nARG PKG=x\nRUN pip install $PKG\n", [["pip", "install", "$PKG"]]),
    ("wrappers", "FROM python:3.12\nRUN sudo -u app env A=1 nice -n 5 pip install z\n", [["pip", "install", "z"]]),
    ("if / then", "FROM python:3.12\nRUN if [ -f r.txt ]; then pip install -r r.txt; fi\n",
     [["[", "-f", "r.txt", "]"], ["pip", "install", "-r", "r.txt"]]),
    ("sh -c in single quotes", "FROM python:3.12\nRUN sh -c 'pip install y'\n", [["pip", "install", "y"]]),
    ("sh -c in double quotes with escapes", "FROM python:3.12\nRUN sh -c \"echo \\\"x\\\" && pip install y\"\n",
     [["echo", "\\\"x\\\""], ["pip", "install", "y"]]),
    ("sh -c inside sh -c", "FROM python:3.12\nRUN sh -c \"bash -c 'pip install pip'\"\n", [["pip", "install", "pip"]]),
    ("exec form", "FROM python:3.12\nRUN [\"pip\",  \"install\", \"x\"]\n", [["pip", "install", "x"]]),
    ("exec form across lines", "FROM python:3.12\nRUN [\"pip\", \\\n     \"install\", \"pip\"]\n",
     [["pip", "install", "pip"]]),
    ("exec form sh -c", "FROM python:3.12\nRUN [\"sh\", \"-c\", \"pip install a && pip install b\"]\n",
     [["pip", "install", "a"], ["pip", "install", "b"]]),
    ("exec form JSON escapes", "FROM python:3.12\nRUN [\"sh\", \"-c\", \"echo \\\"pip\\\" && pip install \\u0070ip\"]\n",
     [["echo", "\\\"pip\\\""], ["pip", "install", "\\u0070ip"]]),
    ("heredoc", f"FROM python:3.12\nRUN <<{H}\npip install a\n  pip install pip\n{H}\n",
     [["pip", "install", "a"], ["pip", "install", "pip"]]),
    ("heredoc with stripped tabs", f"FROM python:3.12\nRUN <<-{H}\n\tpip install a\n\t\tpip install \\\n\t\tb\n\t{H}\n",
     [["pip", "install", "a"], ["pip", "install", "b"]]),
    ("heredoc run by bash", f"FROM python:3.12\nRUN bash <<{H}\nset -e\npip install pip\n{H}\n",
     [["set", "-e"], ["pip", "install", "pip"]]),
    ("heredoc after a command", f"FROM python:3.12\nRUN pip install a && cat <<{H} > /f\npip install never\n{H}\n",
     [["pip", "install", "a"], ["cat"]]),
    ("flag and heredoc", f"FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache \\\n    <<{H}\npip install x\n{H}\n",
     [["pip", "install", "x"]]),
    ("backtick escape", "# escape=`\nFROM python:3.12\nRUN pip install `\n    -r requirements.txt && echo C:\\path\n",
     [["pip", "install", "-r", "requirements.txt"], ["echo", "C:\\path"]]),
    ("backtick escape in exec form", "# escape=`\nFROM python:3.12\nRUN [\"pip\", `\n  \"install\", \"x\"]\n",
     [["pip", "install", "x"]]),
    ("CRLF line endings", "FROM python:3.12\r\nRUN pip install \\\r\n    pip\r\n", [["pip", "install", "pip"]]),
    ("two stages", "FROM python:3.12 AS a\nRUN pip install a\nFROM a\nRUN pip install a a\n",
     [["pip", "install", "a"], ["pip", "install", "a", "a"]]),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_every_word_of_a_run_step_points_at_itself(text, expected):
    found = run_words(text)
    assert [[source for source, _ in command] for command in found] == expected
    spans = [span for command in found for _, span in command]
    for before, after in zip(spans, spans[1:]):
        assert before.end <= after.start, (before, after)  # in file order, no overlap


def test_a_script_changed_by_expansion_points_at_the_word_it_came_from():
    text = "FROM python:3.12\nARG S=\"pip install q\"\nRUN sh -c \"$S\" && pip install r\n"
    found = run_words(text)
    assert [[source for source, _ in command] for command in found] == [
        ['"$S"', '"$S"', '"$S"'], ["pip", "install", "r"]]


def test_install_span_covers_program_and_subcommand():
    text = "FROM python:3.12\nRUN pip -q install a && python3 -X dev -m pip install a\n"
    dockerfile = parse_dockerfile(text, "Dockerfile")
    (run,) = dockerfile.stages[0].instructions
    installs = [install_command(command) for command in run_commands(dockerfile, run, {})]
    assert [written(text, install.span()) for install in installs] == ["pip -q install",
                                                                       "python3 -X dev -m pip install"]


def test_requirement_spans_point_at_the_requirement(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM python:3.12\nRUN pip install flask \\\n    requests==2.0 flask\n"})
    project = build_project(tmp_path, Config())
    from composelint.analysis import python_deps as pd

    parsed = project.dockerfiles["Dockerfile"]
    install = pd.installed_python(project, parsed, parsed.stage(None))
    text = (tmp_path / "Dockerfile").read_text()
    found = [(r.name, written(text, r.span), r.span.start.line) for r in install.sources]
    assert found == [("flask", "flask", 2), ("requests", "requests==2.0", 3), ("flask", "flask", 3)]


# --------------------------------------------------------------------------- CMD / ENTRYPOINT


START_CASES = [
    ("shell form across lines", "CMD pip install -r r.txt && \\\n    python app.py\n",
     [["pip", "install", "-r", "r.txt"], ["python", "app.py"]]),
    ("shell form repeated words", "CMD python python.py python\n", [["python", "python.py", "python"]]),
    ("backtick escape", "CMD pip install x `\n    && python app.py\n", [["pip", "install", "x"], ["python", "app.py"]]),
    ("exec form across lines", "CMD [\"python\", \\\n  \"app.py\"]\n", [["python", "app.py"]]),
    ("exec form sh -c with escapes",
     "ENTRYPOINT [\"sh\", \"-c\", \"pip install \\\"x\\\" && exec python app.py\"]\n",
     [["pip", "install", "\\\"x\\\""], ["python", "app.py"]]),
]


@pytest.mark.parametrize("body, expected", [case[1:] for case in START_CASES], ids=[case[0] for case in START_CASES])
def test_every_word_of_a_start_command_points_at_itself(tmp_path, body, expected):
    escape = "# escape=`\n" if "`\n" in body else ""
    text = f"{escape}FROM python:3.12\n{body}"
    write_tree(tmp_path, {"Dockerfile": text, "compose.yaml": "services:\n  s:\n    build: .\n"})
    project = build_project(tmp_path, Config())
    (deployment,) = project.deployments
    analysis = start_analysis(project, deployment.services["s"].effective_start)
    mains = [invocation for invocation in analysis.invocations if invocation.role == "main"]
    assert [[written(text, word.span) for word in invocation.words] for invocation in mains] == expected
    spans = [word.span for invocation in mains for word in invocation.words]
    for before, after in zip(spans, spans[1:]):
        assert before.end <= after.start


# --------------------------------------------------------------------------- the maps themselves


def test_argument_map_refuses_text_it_cannot_rebuild():
    dockerfile = parse_dockerfile("FROM python:3.12\nRUN pip install x\n", "Dockerfile")
    run = dockerfile.stages[0].instructions[0]
    assert argument_map(run).span(0, 3) is not None
    from dataclasses import replace

    assert argument_map(replace(run, arguments="something else")) is None
    assert heredoc_map(run, 1) is None


@pytest.mark.parametrize("text", ['["a", "b\\"c", "\\u00e9\\ud83d\\ude00", ""]', "[]", ' [ "x" ] '])
def test_json_strings_decode_like_json(text):
    import json

    found = json_strings(text)
    assert [value for value, _, _ in found] == json.loads(text)
    for value, starts, ends in found:
        assert len(starts) == len(ends) == len(value)
        assert all(json.loads('"' + text[a:b] + '"') == char for char, a, b in zip(value, starts, ends))


@pytest.mark.parametrize("text", ['["a",]', '["a" "b"]', "[1]", '["a"', "", '["\\x"]', '["a"] x'])
def test_json_strings_refuse_what_is_not_an_array_of_strings(text):
    assert json_strings(text) is None


# --------------------------------------------------------------------------- what the rules report


def test_cl405_note_points_at_the_install_not_at_an_earlier_command(tmp_path):
    from helpers import lint

    dockerfile = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm config set fund false && npm ci\n"
    write_tree(tmp_path, {"Dockerfile": dockerfile, "package.json": "{}\n", ".composelint.yaml": ""})
    (finding,) = lint(tmp_path, select=("CL405",)).diagnostics
    (note,) = finding.related
    assert written(dockerfile, note.span) == "npm ci"


def test_cl407_note_points_at_the_python_install(tmp_path):
    from helpers import lint

    dockerfile = (f"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN <<-{H}\n\tpip install --upgrade pip\n"
                  f"\tpip install -r requirements.txt\n\t{H}\nCMD [\"python\", \"main.py\"]\n")
    write_tree(tmp_path, {"Dockerfile": dockerfile, "requirements.txt": "flask\n", "main.py": "import yaml\n",
                          "compose.yaml": "services:\n  app:\n    build: .\n", ".composelint.yaml": ""})
    (finding,) = lint(tmp_path, select=("CL407",)).diagnostics
    notes = [note for note in finding.related if "installs its Python requirements" in note.message]
    assert [(note.span.line, written(dockerfile, note.span)) for note in notes] == [(5, "pip install")]


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["RUN ", "run\t", "  RUN ", "CMD ", "pip", " install", " a", "\\", "`", " ", "\t",
                                 "\n", "\n# c\n", "\n\n", "&&", "é", "😀", '"', "'", "--mount=x ", "<<EOF\n", "EOF\n",
                                 "# escape=`\n"]), max_size=40))
def test_argument_map_puts_every_character_where_the_file_has_it(pieces):
    text = "".join(pieces)
    dockerfile = parse_dockerfile(text, "Dockerfile")
    lines = text.split("\n")
    for instruction in dockerfile.instructions:
        where = argument_map(instruction, dockerfile.escape)
        if not instruction.arguments:
            continue
        assert where is not None, instruction
        for offset, char in enumerate(instruction.arguments):
            position = where.position(offset)
            assert lines[position.line - 1][position.column - 1] == char
        for number, heredoc in enumerate(instruction.heredocs, 1):
            body = heredoc_map(instruction, number)
            assert body is not None
            for offset, char in enumerate(heredoc.body):
                if char != "\n":
                    position = body.position(offset)
                    assert lines[position.line - 1][position.column - 1] == char


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F600), max_size=6), max_size=4))
def test_json_strings_agree_with_json(values):
    import json

    text = json.dumps(values, ensure_ascii=bool(len(values) % 2))
    assert [value for value, _, _ in json_strings(text)] == values
