"""`.env` parsing as Compose does it: syntax variety, positions, recovery, hostile input.

The table's expectations were confirmed with the real `docker compose config` (an
`env_file:` shows every parsed key); the `oracle` tests re-check them against the
binary when it is installed and skip, saying why, when it is not.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers import compose_binary, needs_compose
from hypothesis import given, settings
from hypothesis import strategies as st

from composelint.parsers.dotenv import MAX_REPORTS, Dotenv, DotenvEntry, DotenvProblem, parse_dotenv

SHELL = {"FROM_SHELL": "shell", "X": "shell-x"}


def shell(name: str) -> str | None:
    return SHELL.get(name)


# (file text, expected values(), whether Compose refuses the file). Lookups read SHELL.
CASES = [
    # basics, comments, blank lines
    ("A=1\nB=2\n", {"A": "1", "B": "2"}, False),
    ("A=1\nB=2", {"A": "1", "B": "2"}, False),
    ("# comment\n\n  # indented comment\n\t A=1\n", {"A": "1"}, False),
    ("A=1 # inline comment\nB=x#not-a-comment\nC=x\t# tab is no comment separator\n",
     {"A": "1", "B": "x#not-a-comment", "C": "x\t# tab is no comment separator"}, False),
    ("A= # kept as the value\nB=\t#also\n", {"A": "# kept as the value", "B": "#also"}, False),
    ("A=1\n#B=2\n C=3 # x # y\n", {"A": "1", "C": "3"}, False),
    ("A=\nB=\n", {"A": "", "B": ""}, False),
    ("A=  inner  spaces kept  \n", {"A": "inner  spaces kept"}, False),
    # export, YAML-style colon, key characters
    ("export A=1\nexport  B = 2\nexportC=3\nexport\nD=4\n", {"A": "1", "B": "2", "exportC": "3", "D": "4"}, False),
    ("export\tA=1\n", {"A": "1"}, False),
    ("A: 1\nB :2\nC:x=y\n", {"A": "1", "B": "2", "C": "x=y"}, False),
    ("A.B=1\nC-D=2\nE[0]=3\n1A=4\n_=5\né=6\n", {"A.B": "1", "C-D": "2", "E[0]": "3", "1A": "4", "_": "5", "é": "6"},
     False),
    ("A\tB=1\n", {"A\tB": "1"}, False),
    # bare keys come from the environment (left out of values())
    ("A\nB=2\n", {"B": "2"}, False),
    ("FROM_SHELL_UNSET\n", {}, False),
    # the last line without `=` or line break: Compose's empty key
    ("A=1\nLAST", {"A": "1", "": "LAST"}, False),
    ("=x\n", {"": "x"}, False),
    ("export =1\n", {"": "1"}, False),
    # single quotes: literal, multi-line, backslash only escapes the quote
    ("A='x\\ny $FROM_SHELL ${X}'\n", {"A": "x\\ny $FROM_SHELL ${X}"}, False),
    ("A='a\\'b'\n", {"A": "a'b"}, False),
    ("A='line1\nline2'\nB=after\n", {"A": "line1\nline2", "B": "after"}, False),
    ("A='a\"b'\nB=\"a'b\"\n", {"A": "a\"b", "B": "a'b"}, False),
    # double quotes: escapes, multi-line, interpolation
    ('A="x\\ny\\t\\\\ \\" \\$Q"\n', {"A": "x\ny\t\\ \" $Q"}, False),
    ('A="line1\nline2"\nB=after\n', {"A": "line1\nline2", "B": "after"}, False),
    ('A="a\\\\"\nB=1"\n', {"A": "a\\", "B": '1"'}, False),
    ('A="\\0123\\01\\0\\a\\c"\n', {"A": "S\\1\\\a\\c"}, False),
    ('A="\\0400\\0377\\0189"\n', {"A": "\\400\u00ff\\189"}, False),
    ('A="\\b\\f\\r\\v"\n', {"A": "\b\f\r\v"}, False),
    ('A="x\\\ny"\n', {"A": "x\\\ny"}, False),
    ('A="${FROM_SHELL}"\nB="\\\\$X"\n', {"A": "shell", "B": "\\shell-x"}, False),
    ('A = "x"  \nB=\t\'y\'\n', {"A": "x", "B": "y"}, False),
    ('A="x"  # c\nB="y"#c\n', {"A": "x", "B": "y"}, False),
    # text after a closing quote is the next statement
    ('A="x" junk\n', {"A": "x"}, False),
    ('A="x"B=1\n', {"A": "x", "B": "1"}, False),
    # interpolation: the environment first, then the entries above
    ("A=${X:-def}\nB=${A}-$A\nC='${A}'\nD=\"${A}\"\n",
     {"A": "shell-x", "B": "shell-x-shell-x", "C": "${A}", "D": "shell-x"}, False),
    ("X=1\nA=${X}\n", {"X": "1", "A": "shell-x"}, False),
    ("L=1\nA=${L}\nL=2\nB=$L\n", {"L": "2", "A": "1", "B": "2"}, False),
    ("A=${UNSET}\n", {"A": ""}, False),
    ("A=${UNSET:-d}\nB=${A:+set}\n", {"A": "d", "B": "set"}, False),
    ("A=\\$X\nB=$$X\n", {"A": "\\shell-x", "B": "$X"}, False),
    # line ends, byte order mark, Unicode blank space
    ("A=1\r\nB=2\r\nC=\"q\"\r\n", {"A": "1", "B": "2", "C": "q"}, False),
    ('C="m\r\nn"\r\n', {"C": "m\r\nn"}, False),
    ("\ufeffA=1\n", {"A": "1"}, False),
    ("A=x\u00a0\n", {"A": "x"}, False),
    ("A\u00a0B=1\n", {"A\u00a0B": "1"}, False),
    ("\u3000A=1\u2003\n", {"A": "1"}, False),
    # errors: Compose refuses the file
    ('A="unterminated\nB=2\n', {"A": "unterminated", "B": "2"}, True),
    ("A='unterminated\n", {"A": "unterminated"}, True),
    ('A="ends with escape\\"\n', {"A": "ends with escape\\\""}, True),
    ("A B=1\n", {}, True),
    ("A B\n", {}, True),
    ("A=1\n$B=2\nC=3\n", {"A": "1", "C": "3"}, True),
    ("A-B!=1\n", {}, True),
    ('"A"=1\n', {}, True),
    ('A="x" y z\n', {"A": "x"}, True),
    ("A=${UNSET?boom}\n", {"A": ""}, True),
    ("A=${UNSET:?}\n", {"A": ""}, True),
    ("A=${\n", {"A": ""}, True),
    ('A="${B"\n', {"A": "B"}, True),
    ("A=${B:-${C}\n", {"A": "C"}, True),
]


@pytest.mark.parametrize(("text", "expected", "refused"), CASES, ids=[repr(case[0]) for case in CASES])
def test_parses_like_compose(text, expected, refused):
    parsed = parse_dotenv(text, shell)
    assert parsed.values() == expected
    assert bool(parsed.problems) is refused, parsed.problems


def test_values_keep_the_last_definition_and_leave_bare_keys_out():
    parsed = parse_dotenv("A=1\nB\nA=2\n")
    assert [entry.key for entry in parsed.entries] == ["A", "B", "A"]
    assert parsed.entries[1].value is None
    assert parsed.values() == {"A": "2"}


def test_default_lookup_treats_everything_as_unset():
    parsed = parse_dotenv("A=${HOME}\n")
    assert parsed.values() == {"A": ""}
    assert [warning.message for warning in parsed.warnings] == [
        "variable `HOME` is not set; Compose substitutes an empty string "
        "(define it above this line or in the environment)"]


def test_empty_and_blank_files_have_nothing():
    for text in ("", "\n\n", "   \t\n", "# only a comment", "\ufeff"):
        assert parse_dotenv(text) == Dotenv((), ())


# --------------------------------------------------------------------------- positions


def test_entries_carry_the_line_and_column_of_their_key():
    parsed = parse_dotenv('A=1\n  export  B=2\n\nC="multi\nline"\n\tD\nE: 5\n')
    assert [(entry.key, entry.line, entry.column) for entry in parsed.entries] == [
        ("A", 1, 1), ("B", 2, 11), ("C", 4, 1), ("D", 6, 2), ("E", 7, 1)]


def test_a_byte_order_mark_takes_no_column_and_crlf_keeps_lines():
    parsed = parse_dotenv("\ufeffA=1\r\n B=2\r\n")
    assert [(entry.key, entry.line, entry.column) for entry in parsed.entries] == [("A", 1, 1), ("B", 2, 2)]


def problem_at(text: str) -> DotenvProblem:
    parsed = parse_dotenv(text)
    assert len(parsed.problems) == 1, parsed.problems
    return parsed.problems[0]


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ('A=1\nB= "open\nC=3\n', 2, 4, "double-quoted value is not closed"),
    ("A=1\nB='open\n", 2, 3, "single-quoted value is not closed"),
    ("A=1\n  $B=2\n", 2, 3, "unexpected `$` in variable name `$B=2`"),
    ("OK=1\nA-B!=1\n", 2, 4, "unexpected `!`"),
    ("A=1\nMY KEY=2\n", 2, 1, "variable name `MY KEY` contains a space"),
    ("A=1\nB=x ${C:?set C first} y\n", 2, 5, "required variable `C` is not set: set C first"),
    ("A=1\nB=${C D}\n", 2, 3, "invalid interpolation `${C D}`"),
    ('B="\\n\\t\\"${C:?x}"\n', 1, 10, "required variable `C` is not set: x"),
    ('B="\\0101\n${C:?x}"\n', 2, 1, "required variable `C`"),
    ("B='x'\nC=\"${\"\n", 2, 4, "invalid interpolation `${`"),
])
def test_problems_point_at_the_offending_character(text, line, column, words):
    problem = problem_at(text)
    assert (problem.line, problem.column) == (line, column)
    assert words in problem.message


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("A=1\nLAST", 2, 1, "`LAST` on the last line has no `=` and no line break after it"),
    ("A=1\n=x\n", 2, 1, "`=` without a variable name"),
    ('A="x" junk\n', 1, 7, "Compose reads `junk` as the next variable"),
    ("A= # note\n", 1, 4, "Compose reads `# note` as the value, not as a comment"),
    ('A=1\nB="a\\tb $NOPE"\n', 2, 9, "variable `NOPE` is not set"),
])
def test_warnings_point_at_what_compose_misreads(text, line, column, words):
    parsed = parse_dotenv(text)
    assert parsed.problems == ()
    assert len(parsed.warnings) == 1, parsed.warnings
    warning = parsed.warnings[0]
    assert (warning.line, warning.column) == (line, column)
    assert words in warning.message


def test_a_value_that_starts_with_a_hash_right_after_the_equals_sign_is_not_flagged():
    assert parse_dotenv("PASSWORD=#s3cret\n").warnings == ()


def test_parsing_goes_on_after_each_problem():
    parsed = parse_dotenv('A B=1\nC=2\n$D=3\nE="open\nF=4\nG=${\nH=5\n')
    assert [problem.line for problem in parsed.problems] == [1, 3, 4, 6]
    assert {key: parsed.values()[key] for key in ("C", "F", "H")} == {"C": "2", "F": "4", "H": "5"}


def test_an_unterminated_quote_keeps_its_key_defined_so_references_do_not_cascade():
    parsed = parse_dotenv('TOKEN="abc\nURL=http://x/?t=${TOKEN}\n')
    assert len(parsed.problems) == 1
    assert parsed.warnings == ()
    assert parsed.values()["URL"] == "http://x/?t=abc"


# --------------------------------------------------------------------------- hostile input


def timed_parse(text: str) -> tuple[Dotenv, float]:
    started = time.perf_counter()
    parsed = parse_dotenv(text)
    return parsed, time.perf_counter() - started


MEGABYTE = 1_000_000


@pytest.mark.parametrize(("text", "value"), [
    pytest.param("A=" + "x" * MEGABYTE + "\n", "x" * MEGABYTE, id="unquoted"),
    pytest.param("A='" + "x" * MEGABYTE + "'\n", "x" * MEGABYTE, id="single-quoted"),
    pytest.param('A="' + "x\n" * (MEGABYTE // 2) + '"\n', "x\n" * (MEGABYTE // 2), id="double-quoted multi-line"),
    pytest.param('A="' + "\\n" * (MEGABYTE // 2) + '"\n', "\n" * (MEGABYTE // 2), id="escapes"),
    pytest.param('A="' + '\\"' * (MEGABYTE // 2) + '"\n', '"' * (MEGABYTE // 2), id="escaped quotes"),
    pytest.param("A=" + "$$" * (MEGABYTE // 2) + "\n", "$" * (MEGABYTE // 2), id="escaped dollars"),
    pytest.param("A=" + "${B:-" * 20_000 + "x" + "}" * 20_000 + "\n", "x", id="deep nesting"),
])
def test_megabyte_values_parse_in_linear_time(text, value):
    parsed, seconds = timed_parse(text)
    assert parsed.values() == {"A": value}
    assert parsed.problems == ()
    assert seconds < 10.0


@pytest.mark.parametrize("text", [
    pytest.param('A="' + "x" * MEGABYTE, id="unterminated quote"),
    pytest.param("A" * MEGABYTE, id="key without equals"),
    # A quarter megabyte of tiny statements: enough for a quadratic pass to take hours.
    pytest.param('A="x"B="y"' * (MEGABYTE // 40), id="statements glued on one line"),
    pytest.param("$\n" * (MEGABYTE // 8), id="bad keys"),
    pytest.param("A=1\n" * (MEGABYTE // 16), id="many lines"),
    pytest.param("A=${\n" * (MEGABYTE // 20), id="malformed values"),
    pytest.param('"\n' * (MEGABYTE // 8), id="quotes"),
])
def test_hostile_files_parse_in_bounded_time_with_bounded_reports(text):
    parsed, seconds = timed_parse(text)
    assert len(parsed.problems) <= MAX_REPORTS
    assert len(parsed.warnings) <= MAX_REPORTS
    assert seconds < 15.0


# --------------------------------------------------------------------------- properties


DOTENV_ALPHABET = st.sampled_from(list("AB=:#'\"\\$ {}\t\r\n-x") + ["export ", "${A", "\\n", "\ufeff", "\u00a0"])
dotenv_texts = st.lists(DOTENV_ALPHABET, max_size=40).map("".join) | st.text(max_size=60)


def line_lengths(text: str) -> list[int]:
    return [len(line) for line in text.split("\n")]


@settings(max_examples=200, deadline=None)
@given(dotenv_texts)
def test_parse_never_raises_and_positions_lie_within_the_text(text):
    parsed = parse_dotenv(text, {"A": "a"}.get)
    lengths = line_lengths(text)
    for item in (*parsed.entries, *parsed.problems, *parsed.warnings):
        assert 1 <= item.line <= len(lengths)
        assert 1 <= item.column <= lengths[item.line - 1] + 1
    for entry in parsed.entries:
        assert isinstance(entry, DotenvEntry)
        assert entry.value is None or isinstance(entry.value, str)
    assert set(parsed.values()) <= {entry.key for entry in parsed.entries}


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True),
                       st.text(st.characters(blacklist_characters="\\'\r", blacklist_categories=("Cs",)),
                               max_size=20), max_size=6))
def test_single_quoted_values_round_trip(values):
    text = "".join(f"{key}='{value}'\n" for key, value in values.items())
    assert parse_dotenv(text).values() == values


# --------------------------------------------------------------------------- oracle: docker compose config


def compose_reads_env_file(directory: Path, text: str) -> tuple[dict | None, str]:
    """The environment `docker compose config` builds from ``text`` as an env_file (None: refused)."""
    (directory / "test.env").write_bytes(text.encode("utf-8"))
    (directory / "compose.yaml").write_text("services:\n  s:\n    image: busybox\n    env_file: test.env\n")
    result = subprocess.run(
        [str(compose_binary()), "-f", str(directory / "compose.yaml"), "config", "--format", "json"],
        cwd=directory, env={"PATH": "/usr/bin:/bin", "HOME": str(directory), **SHELL},
        capture_output=True, text=True, timeout=60,
    )
    if result.returncode != 0:
        return None, result.stderr
    environment = json.loads(result.stdout)["services"]["s"].get("environment", {})
    # `config` writes a literal `$` as `$$`.
    return {key: value.replace("$$", "$") for key, value in environment.items()}, result.stderr


@pytest.fixture(scope="module")
def compose_env_files(tmp_path_factory):
    # The directories are made here, not in the threads: pytest creates its base temporary directory
    # on first use, and two threads doing that at once make two of them (mktemp then refuses one).
    directories = [tmp_path_factory.mktemp("dotenv") for _ in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda pair: compose_reads_env_file(pair[0], pair[1][0]), zip(directories, CASES))
        return dict(zip((case[0] for case in CASES), results))


@pytest.mark.oracle
@needs_compose
@pytest.mark.parametrize(("text", "expected", "refused"), CASES, ids=[repr(case[0]) for case in CASES])
def test_docker_compose_agrees(text, expected, refused, compose_env_files):
    environment, said = compose_env_files[text]
    if refused:
        assert environment is None, f"compose accepted {text!r} as {environment!r}"
    else:
        assert environment == expected, said
        warned = set(re.findall(r'The \\"(.*?)\\" variable is not set', said))
        unset = {re.search(r"`(.*?)`", w.message).group(1) for w in parse_dotenv(text, shell).warnings
                 if "is not set" in w.message}
        assert warned == unset
