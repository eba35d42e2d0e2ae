"""Property-based tests: random and mutated inputs never break the safety promises.

The strategies and oracles live in scripts/fuzz.py, which also runs the long campaign
(`python scripts/fuzz.py --minutes 60`). Here each target gets a bounded, derandomized
run so the suite stays fast and the same on every machine. An oracle fails when
anything but composelint's own diagnostics comes out: an exception, a position outside
its file, output that differs between two identical runs, or a parser's last-resort
"could not parse" fallback. Every crash the campaign found is replayed in
``test_campaign_regressions``.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest
from helpers import REPO
from hypothesis import HealthCheck, given, settings


def _load_harness():
    name = "composelint_fuzz_harness"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load_harness()
STRATEGIES = fuzz.strategies(fuzz.seeds(include_corpus=False))  # the corpus may be absent: fixtures only


def bounded(examples: int):
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])


@bounded(150)
@given(STRATEGIES["yaml"])
def test_yaml_loader_never_raises_and_positions_stay_in_the_file(text):
    fuzz.check_yaml(text)


@bounded(200)
@given(STRATEGIES["dockerfile"])
def test_dockerfile_parser_never_raises_and_positions_stay_in_the_file(text):
    fuzz.check_dockerfile(text)


@bounded(200)
@given(STRATEGIES["dotenv"])
def test_dotenv_parser_never_raises_and_positions_stay_in_the_file(text):
    fuzz.check_dotenv(text)


@bounded(300)
@given(STRATEGIES["interpolation"])
def test_interpolation_never_raises_and_offsets_stay_in_the_text(text):
    fuzz.check_interpolation(text)


@bounded(80)
@given(STRATEGIES["project"])
def test_whole_pipeline_is_safe_and_deterministic(files):
    fuzz.check_project(files)


@bounded(25)
@given(STRATEGIES["disk"])
def test_raw_bytes_on_disk_are_linted_without_writing(files):
    fuzz.check_disk(files)


@bounded(25)
@given(STRATEGIES["config"])
def test_any_configuration_is_accepted_or_one_line_exit_2(text):
    fuzz.check_config(text)


# Minimal inputs of every crash the campaign found (see the report of issue 7); each failed before its fix.
CAMPAIGN_REGRESSIONS = [
    # An upper-cased keyword can be longer than the word written (`ß` -> `SS`): the span ran past the line.
    ("dockerfile", "~f9ß"),
    ("dockerfile", "ß"),
    # A keyword cut by a continuation: the span covered the joined word, not the first line's part.
    ("dockerfile", "<<'EOF'\\\nfoo bar baz qux quux\n"),
    ("dockerfile", "FROM x\nc:\\\n"),
    # A base image name cut by a continuation: its span ran past the FROM line (found in the second campaign).
    ("dockerfile", "FROM âèñ\\\nscratch경\x82\x08scratch"),
    ("project", {"Dockerfile": "FROM âèñ\\\nscratch경\x82\x08scratch"}),
    # libyaml reports an error at the end of a text without a final newline on a line after the last.
    ("yaml", "!!int [ñ"),
    ("yaml", "? ? "),
    # libyaml breaks lines at CR, NEL, LS and PS; the model counts only LF.
    ("yaml", "\u2028r`N"),
    ("yaml", "a: 1\x85b: [\u2028 x\n"),
    ("yaml", "build: .\\'99extends:ë~ë:!reset \rbuild: ."),
    ("project", {"compose.yaml": "services:\n  web:\n    image: x\n", "sub/docker-compose.yml": "\u2028r`N"}),
    # An alias bomb under the node limit: expanding it into plain Python values took minutes.
    ("project", {"compose.yaml": "x-l0: &l0 [lol, lol]\n" + "".join(
        f"x-l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 7) + "]\n" for i in range(1, 7))
        + "services:\n  bomb:\n    image: x\n    command: *l6\n"}),
    # A configuration key holding a line break made the one-line error two lines.
    ("config", "? |\n  dockerfile-lines\n: -5.960464477539063e-08\n"),
]


@pytest.mark.parametrize("target, value", CAMPAIGN_REGRESSIONS,
                         ids=[f"{target}-{index}" for index, (target, _) in enumerate(CAMPAIGN_REGRESSIONS)])
def test_campaign_regressions(target, value):
    with fuzz._time_limit(30):
        fuzz.ORACLES[target](value)


def test_oracles_catch_what_they_promise():
    """The harness itself: a position outside the file and a swallowed crash are failures."""
    from composelint.diagnostics import Position, Span

    with pytest.raises(fuzz.BrokenPromise):
        fuzz.check_span("probe", Span("f", Position(3, 1)), {"f": "one line"})
    with pytest.raises(fuzz.BrokenPromise):
        fuzz.check_span("probe", Span("f", Position(1, 1), Position(1, 12)), {"f": "one line"})
    fuzz.check_span("probe", Span("f", Position(1, 9)), {"f": "one line"})  # just past the last character
    assert fuzz._signature("yaml", fuzz.BrokenPromise("position", "CL003 'unknown instruction `x`' (end): col 7")) \
        == fuzz._signature("yaml", fuzz.BrokenPromise("position", "CL003 'unknown instruction `yy`' (end): col 9"))
