"""The registry, `render`, and properties every format shares."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import composelint
from composelint.diagnostics import Diagnostic, Severity, Span
from composelint.reporters import FORMATS, REPORTERS, render

REPO_ROOT = Path(composelint.__file__).resolve().parents[1]
CONFTEST = Path(__file__).with_name("conftest.py")


def test_formats():
    assert FORMATS == ("text", "concise", "json", "sarif", "github", "gitlab")
    assert set(REPORTERS) == set(FORMATS)


def test_unknown_format_is_a_value_error(ctx):
    with pytest.raises(ValueError, match=r"unknown output format 'xml' \(expected one of: text, concise, json, "
                                         r"sarif, github, gitlab\)"):
        render("xml", [], ctx)


def test_reporter_modules_are_imported_on_first_use():
    script = (
        "import sys, composelint.reporters as r\n"
        "loaded = lambda: sorted(m for m in sys.modules if m.startswith('composelint.reporters.'))\n"
        "before = loaded()\n"
        "r.REPORTERS['concise']([], None)\n"
        "print(before, loaded())\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}).stdout
    assert out.strip() == "[] ['composelint.reporters.concise']"


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_input_gives_identical_output(fmt, diagnostics, ctx):
    assert render(fmt, diagnostics, ctx) == render(fmt, list(diagnostics), ctx)


def test_output_does_not_depend_on_the_process():
    """Byte-identical across interpreter runs with different hash seeds."""
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('reporter_samples', {str(CONFTEST)!r})\n"
        "samples = importlib.util.module_from_spec(spec); spec.loader.exec_module(samples)\n"
        "from composelint.reporters import FORMATS, render\n"
        "for fmt in FORMATS:\n"
        "    sys.stdout.write(render(fmt, samples.make_diagnostics(), samples.make_context()))\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONHASHSEED": seed, "PYTHONIOENCODING": "utf-8"}
        outputs.append(subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, env=env).stdout)
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) > 1000


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_holds_the_absolute_root(fmt, diagnostics, ctx):
    out = render(fmt, diagnostics, ctx)
    assert "/srv/" not in out and "fleet" not in out


def test_suppressed_diagnostics_only_when_asked(diagnostics, ctx):
    hidden = replace(ctx, show_suppressed=False)
    for fmt in FORMATS:
        assert render(fmt, diagnostics, hidden) == render(fmt, [d for d in diagnostics if d.suppression is None], ctx)
    assert "suppressed" not in render("concise", diagnostics, hidden)


@pytest.mark.parametrize("fmt", FORMATS)
def test_undecodable_file_names_still_give_utf8_output(fmt, ctx):
    diagnostic = Diagnostic("CL201", "runtime-install", Severity.ERROR, "m", Span.at("bad-\udcff.yml", 1, 1))
    out = render(fmt, [diagnostic], ctx)
    out.encode("utf-8")  # raises if a lone surrogate is left
    assert "bad-" in out
