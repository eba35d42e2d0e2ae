"""The Dockerfile parser: BuildKit's reading of instructions, heredocs, directives, flags and stages."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composelint.diagnostics import Position, Severity
from composelint.parsers.dockerfile import (
    MAX_PROBLEMS,
    parse_dockerfile,
    stage_environment,
    substitute,
)

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "dockerfiles"
CORPUS = REPO.parent / "shared" / "corpus" / "awesome-compose"


def parse(text: str):
    return parse_dockerfile(text, "Dockerfile")


def fixture(name: str):
    return parse_dockerfile((FIXTURES / name).read_text(encoding="utf-8"), f"fixtures/dockerfiles/{name}")


def keywords(dockerfile) -> list[str]:
    return [instruction.keyword for instruction in dockerfile.instructions]


def messages(dockerfile) -> list[str]:
    return [problem.message for problem in dockerfile.problems]


def where(span) -> tuple[int, int, int, int]:
    return span.start.line, span.start.column, span.end.line, span.end.column


# --------------------------------------------------------------------------- heredocs


def test_heredoc_fixture_instruction_list():
    dockerfile = fixture("heredocs.Dockerfile")
    assert dockerfile.problems == ()
    assert keywords(dockerfile) == ["FROM", "RUN", "RUN", "FROM", "RUN", "COPY", "COPY", "COPY", "RUN", "RUN", "RUN",
                                    "CMD"]
    assert [instruction.stage for instruction in dockerfile.instructions] == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]


def test_heredoc_body_keeps_backslashes_and_hash_lines():
    run = fixture("heredocs.Dockerfile").instructions[1]
    assert run.arguments == "<<EOT bash"
    (heredoc,) = run.heredocs
    assert heredoc.delimiter == "EOT"
    assert heredoc.body == (
        "    set -ex\n    apt-get update\n    apt-get install -y \\\n        git \\\n        clang\n"
        "    # a comment inside the body is part of the script\n    rustup target add wasm32-wasi\n")
    assert not heredoc.quoted and not heredoc.strip_tabs
    # The body runs from line 5 to the terminator on line 12; the instruction covers both.
    assert where(heredoc.span) == (5, 1, 12, 4)
    assert where(run.span) == (4, 1, 12, 4)
    assert run.text.splitlines()[0] == "RUN <<EOT bash" and run.text.splitlines()[-1] == "EOT"


def test_comment_after_heredoc_terminator_is_a_comment():
    dockerfile = fixture("heredocs.Dockerfile")
    after = dockerfile.instructions[2]
    assert after.keyword == "RUN" and after.span.start.line == 14
    assert after.arguments.startswith("curl -sSf")


def test_copy_heredoc_and_quoted_tab_stripped_heredoc():
    copies = [i for i in fixture("heredocs.Dockerfile").instructions if i.keyword == "COPY"]
    plain, literal = copies[1].heredocs[0], copies[2].heredocs[0]
    assert (plain.delimiter, plain.body, plain.quoted) == ("EOF", "mode=$MODE\n", False)
    assert (literal.delimiter, literal.body, literal.quoted, literal.strip_tabs) == (
        "END", "keep $HOME literal\n", True, True)


def test_several_heredocs_in_one_instruction():
    run = fixture("heredocs.Dockerfile").instructions[8]
    assert [(h.delimiter, h.body, h.quoted) for h in run.heredocs] == [
        ("FIRST", "one\n", False), ("SECOND", "two $NOT_EXPANDED\n", True)]
    assert [where(h.span)[::2] for h in run.heredocs] == [(30, 31), (32, 33)]
    assert where(run.span)[::2] == (29, 33)


def test_heredoc_inside_a_shell_command():
    dockerfile = fixture("heredocs.Dockerfile")
    python, start_script = dockerfile.instructions[9], dockerfile.instructions[10]
    assert python.heredocs[0].body == 'print("hello")\n'
    assert start_script.arguments.startswith("cat <<EOF > /usr/local/bin/start.sh")
    assert start_script.heredocs[0].body == '#!/bin/sh\nexec "$@"\n'
    assert dockerfile.instructions[11].exec_args == ("cargo", "run", "--offline")


@pytest.mark.parametrize("text", [
    'FROM a\nRUN ["sh", "-c", "cat <<EOF"]\n',  # exec form: no heredoc
    "FROM a\nRUN echo '<<EOF'\n",  # quoted: not a marker
    "FROM a\nRUN cat<<EOF\n",  # BuildKit needs `<<` at the start of a word
    "FROM a\nRUN cat <<<word\n",  # a here-string, not a heredoc
])
def test_things_that_are_not_heredocs(text):
    dockerfile = parse(text)
    assert dockerfile.instructions[1].heredocs == ()
    assert dockerfile.problems == ()


def test_heredoc_only_in_run_copy_add_and_onbuild():
    dockerfile = parse("FROM a\nONBUILD RUN <<EOF\necho hi\nEOF\nCMD <<EOF\necho hi\nEOF\n")
    assert dockerfile.instructions[1].heredocs[0].body == "echo hi\n"
    assert keywords(dockerfile) == ["FROM", "ONBUILD", "CMD", "ECHO", "EOF"]
    assert len(dockerfile.problems) == 2
    assert "Docker reads heredocs only in RUN, COPY and ADD" in dockerfile.problems[0].help


def test_heredoc_marker_on_a_continued_line():
    dockerfile = parse("FROM a\nRUN <<EOF \\\n  bash\nbody\nEOF\nRUN next\n")
    run = dockerfile.instructions[1]
    assert run.arguments == "<<EOF   bash"
    assert run.heredocs[0].body == "body\n"
    assert where(run.span)[::2] == (2, 5)
    assert keywords(dockerfile) == ["FROM", "RUN", "RUN"]


def test_unterminated_heredoc_with_an_indented_terminator():
    dockerfile = fixture("unterminated-heredoc.Dockerfile")
    (problem,) = dockerfile.problems
    assert problem.code == "CL003"
    assert problem.message.startswith("unterminated heredoc: `<<EOF` is never closed by a line `EOF`")
    assert "line 4 holds `EOF`" in problem.help and "<<-" in problem.help
    assert where(problem.span) == (2, 6, 2, 11)
    assert where(dockerfile.instructions[1].span)[::2] == (2, 4)


def test_heredoc_destination_is_rejected():
    assert messages(parse("FROM a\nCOPY a <<EOF\nx\nEOF\n")) == ["`COPY` cannot take a heredoc as its destination"]


# --------------------------------------------------------------------------- directives and escapes


def test_directives_are_read_before_anything_else():
    dockerfile = parse("# syntax=docker/dockerfile:1\n#check = skip=all\n# escape=`\nFROM x\nRUN a `\n b\n")
    assert dict(dockerfile.directives) == {"syntax": "docker/dockerfile:1", "check": "skip=all", "escape": "`"}
    assert dockerfile.escape == "`"
    assert dockerfile.instructions[1].arguments == "a  b"


def test_windows_escape_fixture():
    dockerfile = fixture("windows-escape.Dockerfile")
    assert dockerfile.problems == ()
    assert [i.arguments for i in dockerfile.instructions[1:3]] == ["C:\\app", ". C:\\app\\"]
    run = dockerfile.instructions[3]
    assert where(run.span)[::2] == (6, 8)
    assert run.arguments == "powershell -Command     $ErrorActionPreference = 'Stop';     Write-Host 'done'"


def test_invalid_escape_directive():
    dockerfile = parse("# escape=x\nFROM alpine\nRUN a \\\n  b\n")
    (problem,) = dockerfile.problems
    assert problem.message.startswith("invalid escape directive `x`")
    assert where(problem.span) == (1, 10, 1, 11)
    assert dockerfile.escape == "\\" and dockerfile.instructions[1].arguments == "a   b"


def test_repeated_directive():
    dockerfile = parse("# escape=\\\n# escape=`\nFROM a\n")
    assert messages(dockerfile) == ["the `escape` parser directive is given twice (first on line 1)"]
    assert dockerfile.escape == "\\"


def test_directive_after_a_comment_is_only_a_comment():
    dockerfile = parse("# A Windows image\n# escape=`\nFROM a\nRUN a `\n")
    assert dockerfile.escape == "\\" and dict(dockerfile.directives) == {}
    (problem,) = dockerfile.problems
    assert problem.severity is Severity.WARNING
    assert problem.message.startswith("`# escape=` on line 2 is not a parser directive")


def test_bom_crlf_and_columns():
    dockerfile = parse("\ufeffFROM x\r\nRUN a \\\r\n  b\r\n")
    assert [i.arguments for i in dockerfile.instructions] == ["x", "a   b"]
    assert where(dockerfile.instructions[0].span) == (1, 1, 1, 7)
    assert where(dockerfile.instructions[1].span) == (2, 1, 3, 4)


# --------------------------------------------------------------------------- continuation lines


def test_comments_and_blank_lines_inside_a_continued_instruction():
    dockerfile = fixture("continuations.Dockerfile")
    assert dockerfile.problems == ()
    assert keywords(dockerfile) == ["FROM", "RUN", "HEALTHCHECK", "ENV", "RUN"]
    run = dockerfile.instructions[1]
    assert "comments inside" not in run.arguments
    assert re.sub(r"\s+", " ", run.arguments) == (
        "apt-get update && apt-get install -y --no-install-recommends curl ca-certificates "
        "&& rm -rf /var/lib/apt/lists/*")
    assert where(run.span)[::2] == (3, 9)


def test_continuation_at_end_of_file():
    dockerfile = parse("FROM x\nRUN a \\")
    assert dockerfile.problems == ()
    assert dockerfile.instructions[1].arguments == "a"
    assert where(dockerfile.instructions[1].span) == (2, 1, 2, 8)


def test_escaped_escape_at_end_of_line_does_not_continue():
    # BuildKit: a continuation character preceded by another escape character is literal.
    dockerfile = parse("FROM x\nRUN echo foo\\\\\nRUN next\n")
    assert [i.arguments for i in dockerfile.instructions] == ["x", "echo foo\\\\", "next"]


def test_indented_instruction_columns():
    dockerfile = parse("FROM x\n   RUN   echo hi  \n")
    run = dockerfile.instructions[1]
    assert where(run.span) == (2, 4, 2, 19)
    assert where(run.arguments_span) == (2, 10, 2, 17)
    assert run.text == "RUN   echo hi  "


# --------------------------------------------------------------------------- flags and forms


def test_flags_values_and_spans():
    dockerfile = fixture("multistage.Dockerfile")
    run = dockerfile.instructions[9]
    assert [(flag.name, flag.value) for flag in run.flags] == [
        ("mount", "type=cache,target=/root/.cache/pip"),
        ("mount", "type=bind,source=requirements.txt,target=/tmp/requirements.txt")]
    assert where(run.flags[0].span) == (11, 5, 11, 47)
    assert where(run.flags[1].span) == (12, 5, 12, 75)
    assert run.arguments.startswith("python -m venv")
    assert where(run.arguments_span)[:2] == (13, 5)
    copy = dockerfile.instructions[14]
    assert [(flag.name, flag.value) for flag in copy.flags] == [
        ("from", "builder"), ("chown", "app:app"), ("chmod", "0755"), ("link", None)]
    assert copy.flag("from").value == "builder" and copy.flag("parents") is None
    assert copy.arguments == "/app /app"


def test_flag_quotes_and_double_dash():
    run = parse('FROM a\nRUN --mount="type=secret,id=x" -- --not-a-flag\n').instructions[1]
    assert [(flag.name, flag.value) for flag in run.flags] == [("mount", "type=secret,id=x")]
    assert run.arguments == "--not-a-flag"


@pytest.mark.parametrize(("line", "message", "help_part"), [
    ("COPY --frm=x a b", "unknown flag `--frm` for `COPY`: Docker refuses to build this instruction",
     "did you mean `--from`?"),
    ("RUN --mont=type=cache echo", "unknown flag `--mont` for `RUN`", "did you mean `--mount`?"),
    ("COPY --from a b", "flag `--from` of `COPY` needs a value", "--from=<value>"),
    ("COPY --link=yes a b", "flag `--link` takes `true` or `false`, not `yes`", None),
    ("COPY --from=a --from=b x y", "flag `--from` is given twice", None),
    ("CMD --help", "`CMD` takes no flags, but `--help` is written where a flag would go", "JSON form"),
    ("HEALTHCHECK --intervl=5s CMD true", "unknown flag `--intervl` for `HEALTHCHECK`", "`--interval`"),
])
def test_bad_flags(line, message, help_part):
    (problem,) = parse(f"FROM a\n{line}\n").problems
    assert problem.message.startswith(message)
    if help_part:
        assert help_part in problem.help
    assert problem.span.start.line == 2 and problem.span.start.column > 1


def test_repeatable_flags_and_healthcheck_none_are_accepted():
    text = ("FROM --platform=$BUILDPLATFORM a\nRUN --mount=a --mount=b --network=none echo\n"
            "ADD --checksum=sha256:x --keep-git-dir --chmod=644 --unpack=false https://x /y\nHEALTHCHECK NONE\n")
    assert parse(text).problems == ()


@pytest.mark.parametrize(("line", "form", "exec_args"), [
    ('CMD ["python", "app.py"]', "exec", ("python", "app.py")),
    ("CMD ['python', 'app.py']", "shell", None),  # not JSON: Docker runs it through /bin/sh -c
    ('ENTRYPOINT [ "kafka.wasm" ]', "exec", ("kafka.wasm",)),
    ("ENTRYPOINT java -jar app.jar", "shell", None),
    ('RUN ["a", "b"] && c', "shell", None),  # trailing text: not a JSON document
    ('SHELL ["powershell", "-Command"]', "exec", ("powershell", "-Command")),
    ('HEALTHCHECK --retries=3 CMD ["curl", "-f", "http://x/"]', "exec", ("curl", "-f", "http://x/")),
    ("HEALTHCHECK CMD curl -f http://x/ || exit 1", "shell", None),
    ("HEALTHCHECK NONE", None, None),
    ("EXPOSE 80", None, None),
])
def test_exec_and_shell_forms(line, form, exec_args):
    dockerfile = parse(f"FROM a\n{line}\n")
    instruction = dockerfile.instructions[1]
    assert (instruction.form, instruction.exec_args) == (form, exec_args)
    assert dockerfile.problems == ()


def test_json_form_with_non_strings():
    dockerfile = parse('FROM a\nCMD ["echo", 1]\n')
    assert dockerfile.instructions[1].form == "shell"
    assert messages(dockerfile) == ["`CMD` uses the JSON form with an element that is not a string"]


# --------------------------------------------------------------------------- stages


def test_stages_names_platforms_and_resolved_bases():
    dockerfile = fixture("multistage.Dockerfile")
    assert dockerfile.problems == ()
    assert [i.keyword for i in dockerfile.global_args] == ["ARG", "ARG", "ARG"]
    assert [(s.index, s.name, s.base.value, s.base_resolved, s.platform) for s in dockerfile.stages] == [
        (0, "builder", "${BASE}:${TAG}", "python:3.12-slim", None),
        (1, "test", "builder", "builder", None),
        (2, None, "${BASE}:${TAG}", "python:3.12-slim", "linux/amd64"),
    ]
    assert where(dockerfile.stages[0].base.span) == (5, 6, 5, 20)
    assert dockerfile.stages[1].from_instruction.span.start == Position(15, 1)
    assert [i.keyword for i in dockerfile.stages[1].instructions] == ["ENV", "RUN"]
    assert dockerfile.stage("BUILDER") is dockerfile.stages[0]
    assert dockerfile.stage(None) is dockerfile.stages[-1]
    assert dockerfile.stage(1) is dockerfile.stages[1] and dockerfile.stage("missing") is None


def test_stage_environment_follows_from_inheritance():
    dockerfile = fixture("multistage.Dockerfile")
    builder, test, final = dockerfile.stages
    assert stage_environment(dockerfile, builder) == {
        "VERSION": "3.12", "PIP_INDEX": "https://pypi.org/simple",
        "APP_HOME": "/app", "PYTHONUNBUFFERED": "1", "VENV": "/app/venv"}
    # ENV carries over to a stage built FROM builder; its ARGs do not.
    assert stage_environment(dockerfile, test) == {
        "APP_HOME": "/app", "PYTHONUNBUFFERED": "1", "VENV": "/app/venv", "MODE": "test"}
    assert stage_environment(dockerfile, final) == {}


def test_stage_environment_rules():
    dockerfile = parse(
        "ARG GLOBAL=g\nFROM a\nARG GLOBAL\nARG X=1\nENV X=2\nARG X=3\nENV A=1 B=$A\nENV LEGACY some value\n"
        "ARG EMPTY\nENV C='$A' D=\"${A}\"\n")
    environment = stage_environment(dockerfile, dockerfile.stages[0])
    assert environment == {"GLOBAL": "g", "X": "2", "A": "1", "B": "", "LEGACY": "some value", "C": "$A", "D": "1"}


def test_instructions_before_from():
    dockerfile = fixture("problems.Dockerfile")
    assert dockerfile.instructions[0].stage == -1
    assert messages(dockerfile)[0] == (
        "`RUN` comes before the first `FROM`: there is no build stage for it to act on")


# --------------------------------------------------------------------------- problems


def test_problems_fixture():
    dockerfile = fixture("problems.Dockerfile")
    assert [(p.code, p.span.start.line, p.span.start.column) for p in dockerfile.problems] == [
        ("CL003", 2, 1), ("CL003", 4, 1), ("CL003", 5, 6), ("CL003", 6, 6), ("CL003", 7, 1), ("CL003", 8, 5),
        ("CL003", 9, 6), ("CL003", 10, 7)]
    unknown = dockerfile.problems[1]
    assert unknown.message == "unknown instruction `RUNN`: Docker refuses to build a Dockerfile that contains it"
    assert unknown.help == "did you mean `RUN`?"
    assert where(unknown.span) == (4, 1, 4, 5)
    assert dockerfile.problems[6].message == "stage name `base` is already used by the stage on line 3"
    assert all(p.help for p in dockerfile.problems)


@pytest.mark.parametrize(("line", "message"), [
    ("RUN", "`RUN` has no command to run"),
    ("WORKDIR", "`WORKDIR` needs a path"),
    ("USER", "`USER` needs a user"),
    ("EXPOSE", "`EXPOSE` needs at least one port"),
    ("VOLUME", "`VOLUME` needs at least one path"),
    ('VOLUME [""]', "`VOLUME` lists an empty path"),
    ("ARG", "`ARG` needs a name"),
    ("ARG =x", "`ARG` has a default without a name"),
    ("ENV", "`ENV` needs at least one `name=value` pair"),
    ("ENV FOO", "`ENV FOO` has a name but no value"),
    ("ENV A=1 B", "`B` in `ENV` is not of the form `name=value`"),
    ("LABEL =x", "`LABEL` has a value without a name: `=x`"),
    ("ADD only-source", "`ADD` needs at least one source and a destination, but has 1 argument"),
    ("SHELL /bin/sh -c", "`SHELL` must be written as a JSON array"),
    ("SHELL []", "`SHELL` needs at least one element"),
    ("HEALTHCHECK", "`HEALTHCHECK` needs `CMD <command>` or `NONE`"),
    ("HEALTHCHECK CMD", "`HEALTHCHECK CMD` has no command"),
    ("HEALTHCHECK NONE x", "`HEALTHCHECK NONE` takes no arguments"),
    ("HEALTHCHECK RUN x", "unknown `HEALTHCHECK` type `RUN`"),
    ("ONBUILD", "`ONBUILD` needs an instruction to run later"),
    ("ONBUILD ONBUILD RUN x", "`ONBUILD ONBUILD` is not allowed"),
    ("ONBUILD FROM x", "`FROM` is not allowed as an `ONBUILD` trigger"),
    ("FROM", "`FROM` needs a base image"),
    ("FROM a b", "`FROM` expects `<image> [AS <name>]` but has 2 arguments"),
    ("FROM a AS 1st", "invalid stage name `1st`"),
    ("STOPSIGNAL", "`STOPSIGNAL` needs a signal"),
])
def test_missing_or_malformed_arguments(line, message):
    dockerfile = parse(f"FROM a\n{line}\n")
    assert [p.message for p in dockerfile.problems if p.span.start.line == 2][0].startswith(message)


@pytest.mark.parametrize("line", [
    "CMD", "ENTRYPOINT", "ENV A=1", "ENV A 1 2", "LABEL a=b c=\"d e\"", "ARG A B=2", "EXPOSE 80/tcp 443",
    "USER 1000:1000", "STOPSIGNAL SIGTERM", "MAINTAINER someone", "ONBUILD RUN make", "VOLUME /a /b",
    "FROM a AS b.c_d-e", "COPY --parents --exclude=*.pyc src/ /dst/", "ARG A=1 B",
])
def test_valid_instruction_arguments(line):
    assert parse(f"FROM a\n{line}\n").problems == ()


def test_unknown_instruction_that_continues_the_line_above():
    dockerfile = parse("FROM a\nRUN apt-get update &&\n    apt-get install -y curl\n")
    (problem,) = dockerfile.problems
    assert problem.message.startswith("unknown instruction `apt-get`")
    assert problem.help == "if this line continues the instruction above, end line 2 with `\\`"
    assert where(problem.span) == (3, 5, 3, 12)


def test_no_from_at_all():
    assert messages(parse("ARG A=1\n")) == [
        "the Dockerfile has no `FROM` instruction, so Docker has no base image to build on"]
    assert messages(parse("# nothing but a comment\n")) == messages(parse("ARG A=1\n"))
    assert parse("").problems == () and parse("\n  \n").problems == ()


@pytest.mark.parametrize("text", ["\x00\x01binary", "".join(chr(code) for code in range(1, 32)) * 40])
def test_binary_content_is_one_problem(text):
    dockerfile = parse(text)
    assert messages(dockerfile) == [
        "this file is not a text Dockerfile: it contains NUL bytes or mostly control characters"]
    assert dockerfile.instructions == ()


def test_problem_count_is_capped():
    garbage = "".join(f"word{index} x\n" for index in range(MAX_PROBLEMS * 3))
    dockerfile = parse(garbage)
    assert len(dockerfile.problems) == MAX_PROBLEMS + 1
    assert dockerfile.problems[-1].message.startswith(f"{MAX_PROBLEMS * 2 + 1} more Dockerfile problems")


# --------------------------------------------------------------------------- variable substitution


@pytest.mark.parametrize(("text", "expected"), [
    ("$A", "a"), ("${A}", "a"), ("${A}x", "ax"), ("$Ax", ""), ("${UNSET}", ""), ("pre-$UNSET-post", "pre--post"),
    ("${UNSET:-word}", "word"), ("${EMPTY:-word}", "word"), ("${A:-word}", "a"),
    ("${UNSET-word}", "word"), ("${EMPTY-word}", ""), ("${A-word}", "a"),
    ("${A:+word}", "word"), ("${EMPTY:+word}", ""), ("${UNSET:+word}", ""),
    ("${EMPTY+word}", "word"), ("${UNSET+word}", ""),
    ("${UNSET:-${A}b}", "ab"), ("${UNSET:-$A}", "a"),
    ("\\$A", "$A"), ("\\${A}", "${A}"), ("'$A'", "$A"), ('"$A"', "a"), ('"\\$A"', "$A"),
    ("$", "$"), ("a$", "a$"), ("$1", ""), ("${A:?must be set}", "a"),
    ("${FILE#*.}", "tar.gz"), ("${FILE##*.}", "gz"), ("${FILE%.*}", "foo.tar"), ("${FILE%%.*}", "foo"),
    ("${FILE/o/0}", "f0o.tar.gz"), ("${FILE//o/0}", "f00.tar.gz"),
    ("${unterminated", "${unterminated"), ("${}", "${}"),
])
def test_substitute(text, expected):
    env = {"A": "a", "EMPTY": "", "FILE": "foo.tar.gz"}
    assert substitute(text, env) == expected


def test_substitute_keep_quotes_and_backtick_escape():
    assert substitute("echo \"$A\" '$A' \\$A \\n", {"A": "x"}, keep_quotes=True) == "echo \"x\" '$A' $A \\n"
    assert substitute("`$A ${A}", {"A": "x"}, escape="`") == "$A x"


def test_substitute_deep_nesting_is_bounded():
    text = "${A:-" * 5000 + "x" + "}" * 5000
    assert substitute(text, {}).startswith("${A:-")


# --------------------------------------------------------------------------- the corpus


CORPUS_DOCKERFILES = sorted(CORPUS.rglob("*Dockerfile*")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_DOCKERFILES, reason=f"the awesome-compose corpus is not at {CORPUS}")
def test_corpus_parses_cleanly_and_fast():
    assert len(CORPUS_DOCKERFILES) == 35
    texts = [(path.read_text(encoding="utf-8"), str(path.relative_to(CORPUS))) for path in CORPUS_DOCKERFILES]
    start = time.perf_counter()
    results = [parse_dockerfile(text, name) for text, name in texts]
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0  # ~10 ms on a loaded 2-core machine; a regression to quadratic would be seconds
    heredoc_files = 0
    for (text, name), dockerfile in zip(texts, results):
        assert dockerfile.problems == (), name
        assert all(re.fullmatch(r"[A-Z]+", keyword) for keyword in keywords(dockerfile)), name
        lines = text.split("\n")
        # Each FROM line starts a stage; nothing inside a heredoc body became an instruction.
        assert len(dockerfile.stages) == sum(1 for line in lines if line.upper().startswith("FROM ")), name
        starts = {instruction.span.start.line for instruction in dockerfile.instructions}
        for instruction in dockerfile.instructions:
            for heredoc in instruction.heredocs:
                assert not starts & set(range(heredoc.span.start.line, heredoc.span.end.line + 1)), name
                assert lines[heredoc.span.end.line - 1] == heredoc.delimiter
        markers = sum(len(re.findall(r"<<EO[FT]", line)) for line in lines)
        assert sum(len(i.heredocs) for i in dockerfile.instructions) == markers, name
        heredoc_files += bool(markers)
    assert heredoc_files >= 23


@pytest.mark.skipif(not CORPUS_DOCKERFILES, reason=f"the awesome-compose corpus is not at {CORPUS}")
def test_corpus_instruction_list_of_a_heredoc_file():
    path = CORPUS / "wasmedge-kafka-mysql" / "etl" / "Dockerfile"
    dockerfile = parse_dockerfile(path.read_text(encoding="utf-8"), "Dockerfile")
    assert [(i.keyword, i.span.start.line, i.span.end.line) for i in dockerfile.instructions] == [
        ("FROM", 2, 2), ("RUN", 3, 10), ("RUN", 12, 12), ("FROM", 14, 14), ("COPY", 15, 15), ("COPY", 16, 16),
        ("RUN", 18, 21), ("RUN", 23, 23), ("FROM", 25, 25), ("ENTRYPOINT", 26, 26), ("COPY", 27, 27)]
    assert [(f.name, f.value) for f in dockerfile.instructions[-1].flags] == [("link", None), ("from", "build")]


# --------------------------------------------------------------------------- robustness


HOSTILE = {
    "empty": "",
    "only comments": "# a\n# b\n",
    "nul bytes": "FROM a\x00\nRUN b\n",
    "100k lines": "FROM x\n" + "RUN echo hi\n" * 50_000 + "# end\n" * 50_000,
    "1 MB single line": "FROM x\nRUN " + "a" * 1_000_000 + "\n",
    "long continuation": "FROM x\nRUN a \\\n" + "  b \\\n" * 50_000 + "  c\n",
    "continuation lines only": "\\\n" * 50_000,
    "unterminated heredoc": "FROM x\nRUN <<EOF\n" + "line\n" * 50_000,
    "many heredoc markers": "FROM x\nRUN " + "<<A " * 20_000 + "\nA\n" * 10,
    "many flags": "FROM x\nRUN " + "--mount=x " * 20_000 + "echo\n",
    "garbage": "".join(f"{index:x}qq zz\n" for index in range(30_000)),
    "deep substitution": "ARG A=" + "${A:-" * 50_000 + "}" * 50_000 + "\nFROM ${A}\n",
    "deep json": "FROM x\nCMD " + "[" * 50_000 + "\n",
    "unbalanced quotes": "FROM x\nRUN " + '"' * 50_001 + " <<EOF\nEOF\n",
    "carriage returns only": "FROM x\rRUN a\r" * 5_000,
    "lone surrogates": "FROM x\nRUN \udcff\udc80 echo\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_input_never_raises_and_stays_linear(name):
    start = time.perf_counter()
    dockerfile = parse(HOSTILE[name])
    assert time.perf_counter() - start < 15  # generous: the largest take ~1 s; quadratic would take minutes
    assert all(problem.code == "CL003" for problem in dockerfile.problems)
    assert len(dockerfile.problems) <= MAX_PROBLEMS + 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("FROMRUNCOPYADD ARG<<EOF-\"'`\\$[]{}=\t\n\r#:/ax")), max_size=300))
def test_fuzzed_dockerfiles_never_raise_and_spans_stay_in_the_file(text):
    dockerfile = parse(text)
    line_count = max(1, len(text.split("\n")))
    for instruction in dockerfile.instructions:
        assert 1 <= instruction.span.start.line <= instruction.span.end.line <= line_count
        assert instruction.span.start.column >= 1
        for flag in instruction.flags:
            assert instruction.span.start <= flag.span.start
    for problem in dockerfile.problems:
        assert not problem.message.startswith("composelint could not parse"), problem.message
