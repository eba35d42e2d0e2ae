"""Patterns with an ASCII twin (composelint/lazyre.py): a text with characters beyond ASCII still gets the
full pattern's meaning, an ASCII text the same result from the twin."""

from composelint.parsers.compose import is_remote_context
from composelint.parsers.dotenv import parse_dotenv
from composelint.parsers.interpolation import interpolate
from composelint.reporters import one_line


def test_interpolation_names_fold_as_go_does():
    values = {"\u017fecret": "long-s", "\u212aey": "kelvin", "KEY": "ascii"}
    assert interpolate("${\u017fecret}-$\u212aey-${KEY}", values.get)[0] == "long-s-kelvin-ascii"
    assert interpolate("$KEY/${KEY}", values.get)[0] == "ascii/ascii"


def test_remote_context_folds_case_on_any_text():
    assert is_remote_context("HTTPS://example.com/repo.git")
    assert is_remote_context("GIT@github.com:org/repo.git")
    assert is_remote_context("\u212a8s://cluster/context")  # the Kelvin sign folds to k under IGNORECASE
    assert not is_remote_context("./app")
    assert not is_remote_context("\u00e9t\u00e9/app")


def test_dotenv_skips_unicode_white_space_between_statements():
    parsed = parse_dotenv("\u3000\u2003A=1\n\u00a0\u1680B=2\n  C=3\n")
    assert parsed.values() == {"A": "1", "B": "2", "C": "3"}
    assert not parsed.problems


def test_one_line_escapes_controls_and_bidi_overrides():
    # no twin here (reports often hold text beyond ASCII): a regression test of the escaping alone
    assert one_line("a\nb\x1b[31m\tc") == "a\\nb\\x1b[31m\tc"
    assert one_line("user\u202etxt.exe\u2028x\x85") == "user\\u202etxt.exe\\u2028x\\x85"
