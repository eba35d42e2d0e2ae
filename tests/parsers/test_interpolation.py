"""Compose variable interpolation: every operator, nesting, escapes, offsets, hostile input.

Three oracles back the expectations:
* the real `docker compose config` (a test extra; tests marked `oracle` skip when it is absent);
* a direct, recursive transcription of compose-go's algorithm (regular expression, brace
  count, eager arguments), compared with the linear-time evaluator on random templates;
* the hand-written table below, which the binary confirmed.
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from composelint.parsers.interpolation import MAX_ISSUES, InterpolationIssue, interpolate

ENV = {"SET": "value", "EMPTY": "", "A": "a", "ſ": "long s", "K": "kelvin"}

# (template, expected value, expected issue kinds in offset order). Lookups read ENV.
CASES = [
    # plain references
    ("$SET", "value", ()),
    ("${SET}", "value", ()),
    ("x${SET}y", "xvaluey", ()),
    ("$SET-x", "value-x", ()),
    ("$SET.x", "value.x", ()),
    ("${EMPTY}", "", ()),
    ("$UNSET", "", ("unset",)),
    ("${UNSET}", "", ("unset",)),
    ("$UNSET$UNSET", "", ("unset", "unset")),
    ("${SET}}", "value}", ()),
    ("$_", "", ("unset",)),
    # names: ASCII letters, digits after the first, `_`, and Go's case folds of [a-z]
    ("$A1_b", "", ("unset",)),
    ("${ſ}", "long s", ()),
    ("$K", "kelvin", ()),
    ("$é", "$é", ()),
    ("$1", "$1", ()),
    ("$-x", "$-x", ()),
    ("$ x", "$ x", ()),
    ("$", "$", ()),
    ("x$", "x$", ()),
    # escapes
    ("$$", "$", ()),
    ("$$SET", "$SET", ()),
    ("$${SET}", "${SET}", ()),
    ("$$$SET", "$value", ()),
    ("$$$$", "$$", ()),
    ("a$$b", "a$b", ()),
    # `:-` falls back when unset or empty; `-` only when unset
    ("${UNSET:-d}", "d", ()),
    ("${EMPTY:-d}", "d", ()),
    ("${SET:-d}", "value", ()),
    ("${UNSET-d}", "d", ()),
    ("${EMPTY-d}", "", ()),
    ("${SET-d}", "value", ()),
    ("${UNSET:-}", "", ()),
    # `:+` replaces when set and not empty; `+` when set
    ("${UNSET:+alt}", "", ()),
    ("${EMPTY:+alt}", "", ()),
    ("${SET:+alt}", "alt", ()),
    ("${UNSET+alt}", "", ()),
    ("${EMPTY+alt}", "alt", ()),
    ("${SET+alt}", "alt", ()),
    # `:?` fails when unset or empty; `?` only when unset
    ("${UNSET:?need it}", "", ("required",)),
    ("${EMPTY:?need it}", "", ("required",)),
    ("${SET:?need it}", "value", ()),
    ("${UNSET?need it}", "", ("required",)),
    ("${EMPTY?need it}", "", ()),
    ("${UNSET?}", "", ("required",)),
    ("${UNSET:?}", "", ("required",)),
    # the first operator after the name wins; the rest belongs to the argument
    ("${UNSET:-x-y}", "x-y", ()),
    ("${EMPTY-x:-y}", "", ()),
    ("${SET:?x:-y}", "value", ()),
    ("${UNSET?x-y}", "", ("required",)),
    ("${UNSET:-a:+b?c}", "a:+b?c", ()),
    # nesting: arguments are templates
    ("${UNSET:-${SET}}", "value", ()),
    ("${UNSET:-${UNSET2:-x}}", "x", ()),
    ("${UNSET:-${EMPTY-y}z}", "z", ()),
    ("${UNSET:-${B:-1}${C:-2}}", "12", ()),
    ("${UNSET:-$SET}", "value", ()),
    ("${UNSET:-$$}", "$", ()),
    ("${UNSET:-$}", "$", ()),
    ("${UNSET:-$}}", "$}", ()),
    ("${SET:+x${SET}y}", "xvaluey", ()),
    ("${UNSET-${UNSET2-${UNSET3-deep}}}", "deep", ()),
    # arguments are evaluated eagerly: warnings and errors even when the default is not used
    ("${SET:-$UNSET}", "value", ("unset",)),
    ("${SET:-${UNSET:?boom}}", "value", ("required",)),
    ("${UNSET:+${UNSET2:?boom}}", "", ("required",)),
    ("${UNSET:?msg $UNSET2}", "", ("required", "unset")),
    ("${UNSET:-${UNSET2:-${UNSET3}}}", "", ("unset",)),
    # where an expression ends: the last `}` of the line, cut at the balancing brace
    ("${UNSET:-x}}", "x}", ()),
    ("${UNSET:-x} and ${UNSET2}", "x and ", ("unset",)),
    ("x${UNSET:-a}y${UNSET2:-b}z}", "xaybz}", ()),
    ("${UNSET:-{x}y}", "{x}y", ()),
    ("${UNSET:-{}", "{", ()),
    ("${UNSET:-{}}", "{}", ()),
    ("${UNSET:-{{}}x}", "{{}x}", ()),
    ("${UNSET:-${U2:-x}y}z}", "xyz}", ()),
    ("${UNSET:-x} ${U2:-{}", "x {", ()),
    ("${UNSET:-\\}}", "\\}", ()),
    ("${UNSET:-'}'}", "''}", ()),
    ("${UNSET:-x}\n${U2:-y}", "x\ny", ()),
    ("${UNSET:-{x}\n}", "{x\n}", ()),
    # malformed: Compose rejects the whole value
    ("${}", "}", ("malformed",)),
    ("${1A}", "1A}", ("malformed",)),
    ("${ SET}", " SET}", ("malformed",)),
    ("${SET }", "SET }", ("malformed",)),
    ("${A B}", "A B}", ("malformed",)),
    ("${A:x}", "A:x}", ("malformed",)),
    ("${A:}", "A:}", ("malformed",)),
    ("${", "", ("malformed",)),
    ("${SET", "SET", ("malformed",)),
    ("${UNSET:-x", "UNSET:-x", ("malformed",)),
    ("${UNSET:-${B}", "B", ("malformed",)),
    ("${UNSET:-${}}", "}", ("malformed",)),
    ("${UNSET:-x}${B", "xB", ("malformed",)),
    ("${UNSET:-a\nb}", "UNSET:-a\nb}", ("malformed",)),
    ("${SET\n}", "SET\n}", ("malformed",)),
    ("${$SET}", "value}", ("malformed",)),
]


def lookup(name: str) -> str | None:
    return ENV.get(name)


@pytest.mark.parametrize(("template", "expected", "kinds"), CASES, ids=[repr(case[0]) for case in CASES])
def test_interpolates_like_compose(template, expected, kinds):
    value, issues = interpolate(template, lookup)
    assert value == expected
    assert tuple(issue.kind for issue in issues) == kinds
    for issue in issues:
        assert 0 <= issue.start < issue.end <= len(template)


def test_text_without_a_dollar_is_returned_as_is():
    text = "no variables here: {braces} and } and {"
    value, issues = interpolate(text, lookup)
    assert value is text
    assert issues == ()


def test_lookup_is_not_called_for_escaped_dollars():
    calls = []
    value, _ = interpolate("$$HOME and $${HOME}", lambda name: calls.append(name))
    assert value == "$HOME and ${HOME}"
    assert calls == []


# --------------------------------------------------------------------------- offsets and messages


def only_issue(template: str) -> InterpolationIssue:
    _, issues = interpolate(template, lookup)
    assert len(issues) == 1, issues
    return issues[0]


@pytest.mark.parametrize(("template", "start", "end", "variable"), [
    ("port: $PORT!", 6, 11, "PORT"),
    ("port: ${PORT}!", 6, 13, "PORT"),
    ("${SET:-$PORT}", 7, 12, "PORT"),
    ("${SET:-x${PORT}y}", 8, 15, "PORT"),
    ("a\nb ${PORT}", 4, 11, "PORT"),
])
def test_unset_issue_spans_the_reference(template, start, end, variable):
    issue = only_issue(template)
    assert (issue.kind, issue.start, issue.end, issue.variable) == ("unset", start, end, variable)
    assert issue.message.startswith(f"variable `{variable}` is not set; Compose substitutes an empty string")


def test_issues_in_an_unused_argument_say_that_compose_evaluates_it_anyway():
    _, issues = interpolate("${SET:-$PORT} ${SET:-${DB:?boom}} ${UNSET:+$HOST} ${SET:?$WHY}", lookup)
    assert [issue.variable for issue in issues] == ["PORT", "DB", "HOST", "WHY"]
    assert issues[0].message.endswith("(Compose evaluates the argument of `${SET:-…}` even when it does not use it)")
    assert issues[1].message == ("required variable `DB` is not set: boom "
                                 "(Compose evaluates the argument of `${SET:-…}` even when it does not use it)")
    assert "`${UNSET:+…}`" in issues[2].message
    assert "`${SET:?…}`" in issues[3].message


def test_issues_in_a_used_argument_carry_no_note():
    _, issues = interpolate("${UNSET:-$PORT} ${UNSET:?$WHY} ${SET:+$HOST}", lookup)
    assert [issue.variable for issue in issues] == ["PORT", "UNSET", "WHY", "HOST"]
    assert not any("Compose evaluates" in issue.message for issue in issues)


def test_required_issue_spans_the_whole_expression_and_quotes_the_reason():
    template = "password=${DB_PASSWORD:?set it in .env};"
    issue = only_issue(template)
    assert (issue.kind, issue.variable) == ("required", "DB_PASSWORD")
    assert template[issue.start:issue.end] == "${DB_PASSWORD:?set it in .env}"
    assert issue.message == "required variable `DB_PASSWORD` is not set: set it in .env"


def test_required_message_says_empty_for_an_empty_variable_and_interpolates_the_reason():
    issue = only_issue("${EMPTY:?needed by $SET}")
    assert issue.message == "required variable `EMPTY` is empty: needed by value"
    assert only_issue("${UNSET?}").message == "required variable `UNSET` is not set"


def test_nested_required_issue_points_at_the_inner_expression():
    template = "${SET:-${INNER:?boom}}"
    issue = only_issue(template)
    assert template[issue.start:issue.end] == "${INNER:?boom}"
    assert issue.variable == "INNER"


@pytest.mark.parametrize(("template", "span", "variable", "detail"), [
    ("x ${} y", "${}", None, "the variable name is empty"),
    ("${1A}", "${1A}", None, "`1` cannot start a variable name"),
    ("${A B} z", "${A B}", "A", "unexpected space after the variable name `A`"),
    ("${A:x}", "${A:x}", "A", "unexpected `:` after the variable name `A`"),
    ("a ${A", "${A", "A", "`${A` is not closed on this line"),
    ("${A:-x\ny}", "${A:-x", "A", "`${A:-` has no closing `}` on this line"),
    ("${SET:-${B}", "${B", "B", "`${B` is not closed on this line"),
    ("tail ${", "${", None, "`${` is not closed on this line"),
])
def test_malformed_issue_names_the_cause(template, span, variable, detail):
    issue = only_issue(template)
    assert issue.kind == "malformed"
    assert template[issue.start:issue.end] == span
    assert issue.variable == variable
    assert issue.message.startswith(f"invalid interpolation `{span}`: ")
    assert detail in issue.message


def test_issues_come_sorted_by_offset():
    _, issues = interpolate("${SET:?${U1}} $U2 ${U3:?x} ${", lookup)
    assert [issue.start for issue in issues] == sorted(issue.start for issue in issues)
    assert [issue.kind for issue in issues] == ["unset", "unset", "required", "malformed"]


def test_long_snippets_are_shortened_in_messages():
    issue = only_issue("${A " + "x" * 500 + "}")
    assert len(issue.message) < 250
    assert "…" in issue.message


# --------------------------------------------------------------------------- hostile input


def timed(template: str, env=None):
    started = time.perf_counter()
    value, issues = interpolate(template, (env or {}).get)
    return value, issues, time.perf_counter() - started


def test_ten_thousand_deep_nesting_is_fast_and_exact():
    depth = 10_000
    value, issues, seconds = timed("${A:-" * depth + "x" + "}" * depth)
    assert (value, issues) == ("x", ())
    assert seconds < 1.0


def test_deep_nesting_with_text_at_every_level_keeps_every_level():
    depth = 10_000
    value, issues, seconds = timed("${A:-a" * depth + "}" * depth)
    assert value == "a" * depth
    assert seconds < 1.0


def test_deep_unterminated_nesting_reports_malformed_without_recursion():
    depth = 10_000
    _, issues, seconds = timed("${A:-" * depth)
    assert issues and all(issue.kind == "malformed" for issue in issues)
    assert seconds < 2.0


@pytest.mark.parametrize("template", [
    pytest.param("x" * 1_000_000, id="no dollar"),
    pytest.param("$$" * 500_000, id="escapes"),
    pytest.param("${A:-x}" * 150_000, id="defaults on one line"),
    pytest.param("${" * 500_000, id="unclosed openers"),
    pytest.param("${A:-" * 200_000, id="unclosed operators"),
    pytest.param("${A:-{" * 150_000 + "}" * 150_000, id="braces in defaults"),
    pytest.param("$A" * 500_000, id="unset references"),
    pytest.param("${A:-a" * 100_000 + "}" * 100_000, id="100k-deep nesting"),
], )
def test_megabyte_templates_take_linear_time(template):
    # A quadratic pass over a megabyte takes hours; these bounds leave room for slow CI machines.
    _, issues, seconds = timed(template)
    assert len(issues) <= MAX_ISSUES
    assert seconds < 10.0


def test_issue_count_is_capped():
    _, issues = interpolate("$A" * (MAX_ISSUES + 50), {}.get)
    assert len(issues) == MAX_ISSUES


# --------------------------------------------------------------------------- reference transcription


_REF_NAME = "[_a-zA-Z\u017f\u212a][_a-zA-Z0-9\u017f\u212a]*"
_REF_PATTERN = re.compile(
    rf"\$(?:(?P<escaped>\$)|(?P<named>{_REF_NAME})|\{{(?:(?P<braced>{_REF_NAME}(?::?[-+?](?:.*))?)\}}|(?P<invalid>)))"
)
_REF_OPERATORS = (":?", "?", ":-", "-", ":+", "+")


class _RefError(Exception):
    pass


def reference_substitute(template: str, lookup, warnings: list[str]) -> str:
    """compose-go's Substitute, transcribed literally (recursive, quadratic): the test oracle.

    Raises _RefError where compose-go returns an error; unset plain references append to ``warnings``.
    """
    errors: list[str] = []

    def replace(match: re.Match) -> str:
        substring = match.group()
        found = [(substring.find(op), op) for op in _REF_OPERATORS if op in substring]
        operator = min(found)[1] if found else None
        rest = ""
        close = _ref_first_brace_closing(substring)
        if close > -1:
            substring, rest = substring[:close + 1], substring[close + 1:]
        groups = _REF_PATTERN.search(substring)
        if groups.group("escaped"):
            return "$"
        substitution, braced = groups.group("named"), False
        if not substitution:
            substitution, braced = groups.group("braced"), True
        if not substitution:
            errors.append("invalid")
            return ""
        if braced and operator is not None and operator in substitution:
            try:
                value = _ref_apply(substitution, operator, lookup, warnings)
                return value + reference_substitute(rest, lookup, warnings)
            except _RefError:
                errors.append("failed")
                return ""
        value = lookup(substitution)
        if value is None:
            warnings.append(substitution)
            return ""
        return value

    result = _REF_PATTERN.sub(replace, template)
    if errors:
        raise _RefError(errors[0])
    return result


def _ref_first_brace_closing(text: str) -> int:
    depth, index = 0, 0
    while index < len(text):
        if text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
        if text[index] == "{":
            depth += 1
            index += 1
        index += 1
    return -1


def _ref_apply(substitution: str, operator: str, lookup, warnings: list[str]) -> str:
    name, argument = substitution.split(operator, 1)
    argument = reference_substitute(argument, lookup, warnings)  # eager, as compose-go
    value = lookup(name)
    if operator == ":-":
        return argument if not value else value
    if operator == "-":
        return argument if value is None else value
    if operator == ":+":
        return argument if value else (value or "")
    if operator == "+":
        return argument if value is not None else ""
    if value is None or (operator == ":?" and not value):
        raise _RefError(f"required {name}")
    return value


@pytest.mark.parametrize(("template", "expected", "kinds"), CASES, ids=[repr(case[0]) for case in CASES])
def test_reference_transcription_agrees_with_the_table(template, expected, kinds):
    warnings: list[str] = []
    if any(kind != "unset" for kind in kinds):
        with pytest.raises(_RefError):
            reference_substitute(template, lookup, warnings)
    else:
        assert reference_substitute(template, lookup, warnings) == expected
        assert len(warnings) == len(kinds)


TEMPLATE_ALPHABET = st.sampled_from(list("${}:-+?AB_1 x\n") + ["${", "${A", ":-", "$$", "ſ", "}}"])
templates = st.lists(TEMPLATE_ALPHABET, max_size=24).map("".join)
REF_ENV = {"A": "a", "B": "", "AB": "ab"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(templates)
def test_evaluator_agrees_with_the_reference_transcription(template):
    warnings: list[str] = []
    try:
        expected = reference_substitute(template, REF_ENV.get, warnings)
    except _RefError:
        expected = None
    value, issues = interpolate(template, REF_ENV.get)
    errors = [issue for issue in issues if issue.kind != "unset"]
    if expected is None:
        assert errors, f"compose-go rejects {template!r}"
    else:
        assert not errors, f"compose-go accepts {template!r}"
        assert value == expected
        assert sorted(issue.variable for issue in issues) == sorted(warnings)


# --------------------------------------------------------------------------- properties


any_text = st.text(max_size=60) | templates


@settings(max_examples=200, deadline=None)
@given(any_text, st.dictionaries(st.sampled_from(["A", "B", "AB", "_", "ſ"]), st.text(max_size=5)))
def test_interpolate_never_raises_and_offsets_lie_within_the_text(template, env):
    value, issues = interpolate(template, env.get)
    assert isinstance(value, str)
    for issue in issues:
        assert issue.kind in ("malformed", "required", "unset")
        assert 0 <= issue.start < issue.end <= len(template)
        assert template[issue.start] == "$"
        assert issue.message


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_doubling_every_dollar_yields_the_text_back(text):
    assert interpolate(text.replace("$", "$$"), lookup) == (text, ())


# --------------------------------------------------------------------------- oracle: docker compose config


def compose_interpolates(directory: Path, template: str) -> tuple[str | None, list[str], str]:
    """What `docker compose config` makes of ``template`` in `environment:`: value (None: rejected), warned names."""
    (directory / "compose.yaml").write_text(
        f"services:\n  s:\n    image: busybox\n    environment:\n      V: {json.dumps(template)}\n")
    result = subprocess.run(
        [str(compose_binary()), "-f", str(directory / "compose.yaml"), "config", "--format", "json"],
        cwd=directory, env={"PATH": "/usr/bin:/bin", "HOME": str(directory), **ENV},
        capture_output=True, text=True, timeout=60,
    )
    warned = re.findall(r'The \\"(.*?)\\" variable is not set', result.stderr)
    if result.returncode != 0:
        return None, warned, result.stderr
    value = json.loads(result.stdout)["services"]["s"]["environment"]["V"]
    return value.replace("$$", "$"), warned, result.stderr  # `config` writes a literal `$` as `$$`


@pytest.fixture(scope="module")
def compose_verdicts(tmp_path_factory):
    # Directories made here, not in the threads: pytest's base temporary directory is created on
    # first use, and two threads doing that at once make two of them.
    directories = [tmp_path_factory.mktemp("interp") for _ in CASES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda pair: compose_interpolates(pair[0], pair[1][0]), zip(directories, CASES))
        return dict(zip((case[0] for case in CASES), results))


@pytest.mark.oracle
@needs_compose
@pytest.mark.parametrize(("template", "expected", "kinds"), CASES, ids=[repr(case[0]) for case in CASES])
def test_docker_compose_agrees(template, expected, kinds, compose_verdicts):
    value, warned, said = compose_verdicts[template]
    if any(kind != "unset" for kind in kinds):
        assert value is None, f"compose accepted {template!r} as {value!r}"
    else:
        assert value == expected, said
        _, issues = interpolate(template, lookup)
        assert sorted(warned) == sorted(issue.variable for issue in issues)
