"""LazyPattern: compiled on first use, then as a compiled pattern."""

import copy
import re

from composelint.lazyre import LazyPattern


def test_compiles_on_first_use_and_keeps_the_method():
    pattern = LazyPattern(r"^(?P<key>[a-z]+)=", re.IGNORECASE)
    assert "match" not in vars(pattern)  # nothing compiled yet
    assert pattern.match("Key=value").group("key") == "Key"
    assert vars(pattern)["match"] == re.compile(r"^(?P<key>[a-z]+)=", re.IGNORECASE).match
    assert pattern.match("=value") is None
    assert [m.group(1) for m in LazyPattern(r"(\d+)").finditer("a1b22")] == ["1", "22"]


def test_unknown_attribute_and_copy():
    pattern = LazyPattern("x")
    try:
        pattern.no_such_method
    except AttributeError:
        pass
    else:
        raise AssertionError("an attribute a compiled pattern lacks must raise AttributeError")
    assert copy.copy(pattern).search("axb").group() == "x"
