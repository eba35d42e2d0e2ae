"""CL416: ShellCheck without its binary, and hadolint's SC codes reaching it."""

from __future__ import annotations

from helpers import lint_lines, write_tree

from composelint.analysis import shellcheck


def test_without_the_binary_one_info_finding_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(shellcheck, "find_binary", lambda: None)
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN echo $A\nRUN echo $B\n"})
    assert lint_lines(tmp_path, ("CL416",)) == [
        "Dockerfile:2:1: CL416 info: the RUN scripts were not checked with ShellCheck: ShellCheck is not installed "
        "(`pip install 'composelint[shellcheck]'`)"]


def test_no_script_no_finding_even_without_the_binary(tmp_path, monkeypatch):
    monkeypatch.setattr(shellcheck, "find_binary", lambda: None)
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\nRUN [\"echo\", \"$A\"]\n"})
    assert lint_lines(tmp_path, ("CL416",)) == []


def test_hadolint_sc_pragma_and_config_reach_only_their_code(tmp_path):
    write_tree(tmp_path, {"Dockerfile": "FROM debian:12\n# hadolint ignore=SC2016\nRUN echo $A '$B'\n"
                                        "RUN echo `date`\n",
                          ".hadolint.yaml": "ignored: [SC2006]\n"})
    assert lint_lines(tmp_path, ("CL416", "CL009")) == [  # SC2016 and SC2006 suppressed, not SC2046
        "Dockerfile:3:10: CL416 warning: SC2086: Double quote to prevent globbing and word splitting",
        "Dockerfile:4:10: CL416 warning: SC2046: Quote this to prevent word splitting"]


def test_installing_shellcheck_changes_the_result_cache_key(tmp_path, monkeypatch):
    from composelint.cache import RunCache
    from composelint.config import Config

    monkeypatch.setattr(shellcheck, "find_binary", lambda: None)
    without = RunCache.for_run(tmp_path, Config(), {}).key
    monkeypatch.setattr(shellcheck, "find_binary", lambda: str(tmp_path / "shellcheck"))
    assert RunCache.for_run(tmp_path, Config(), {}).key != without


def test_the_script_copies_are_removed(tmp_path, monkeypatch):
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    project = write_tree(tmp_path / "p", {"Dockerfile": "FROM debian:12\nRUN echo $A\n"})
    assert lint_lines(project, ("CL416",)) == [
        "Dockerfile:2:10: CL416 warning: SC2086: Double quote to prevent globbing and word splitting"]
    assert list(scratch.iterdir()) == []
